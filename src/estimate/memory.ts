import type { ActQuant, Layer, QuantizedModel } from '../model/types.js';
import { formatBits } from '../model/types.js';
import { groupMultiplierBits } from '../model/group.js';
import { layerOutputShape, shapeSize } from '../model/shapes.js';

/**
 * Memory footprint of a QuantizedModel in its own formats against FP32 and FP16 storage of the same
 * tensors. Weights: elements x bits (binary = 1 bit). Biases: 32 bits each. Requantization parameters:
 * 32-bit multiplier + 8-bit shift per channel (multiplier scaling), 8-bit shift (shift scaling), 32-bit
 * float (onnx). Thresholds: 32 bits each. Per-group weight multipliers (model/group.ts): 17 bits each. Activations: every layer's output tensor at its bits; the peak
 * is the largest input + output pair live at once (ping-pong buffers; an add also holds its skip operand).
 * The FP32/FP16 baselines store every weight and bias as 32/16 bits and need no requantization parameters.
 */
export interface LayerMemory {
  name: string;
  kind: Layer['kind'];
  weights: number;
  weightBits: number;
  biasBits: number;
  paramBits: number;
  outputElements: number;
  outputBits: number;
}

export interface ModelMemory {
  layers: LayerMemory[];
  /** total bits of weights + biases + requantization/threshold parameters in the model's formats */
  parameterBits: number;
  fp32Bits: number;
  fp16Bits: number;
  /** peak live activation bits (one layer's input + output) */
  peakActivationBits: number;
  peakActivationBitsFp32: number;
  savingVsFp32: number;
  savingVsFp16: number;
}

export function modelMemory(m: QuantizedModel): ModelMemory {
  const layers: LayerMemory[] = [];
  let elems = m.inputShape.reduce((a, b) => a * b, 1);
  let shape = [...m.inputShape];
  let actBits = 32; // float input until a quantize layer
  let peak = 0;
  let peak32 = 0;
  for (const l of m.layers) {
    const inElems = elems;
    const inBits = actBits;
    let weights = 0;
    let weightBits = 0;
    let biasBits = 0;
    let paramBits = 0;
    let skipBits = 0;
    switch (l.kind) {
      case 'quantize':
        actBits = bitsOf(l.output);
        break;
      case 'dense':
        weights = l.inFeatures * l.outFeatures;
        weightBits = weights * formatBits(l.weight.format);
        biasBits = l.bias ? 32 * l.bias.length : 0;
        paramBits = stageBits(l.output, l.outFeatures) + groupMultiplierBits(l);
        elems = l.outFeatures;
        shape = [l.outFeatures];
        actBits = l.output.kind === 'accumulator' ? 32 : bitsOf(l.output.output);
        break;
      case 'conv2d': {
        const [kh, kw] = l.kernel;
        weights = l.outChannels * l.inChannels * kh * kw;
        weightBits = weights * formatBits(l.weight.format);
        biasBits = l.bias ? 32 * l.bias.length : 0;
        paramBits = stageBits(l.output, l.outChannels) + groupMultiplierBits(l);
        shape = layerOutputShape(l, shape, m.name);
        elems = shapeSize(shape);
        actBits = l.output.kind === 'accumulator' ? 32 : bitsOf(l.output.output);
        break;
      }
      case 'maxpool2d':
        shape = layerOutputShape(l, shape, m.name);
        elems = shapeSize(shape);
        break;
      case 'flatten':
        shape = [elems];
        break;
      case 'clamp':
        break;
      case 'globalavgpool':
        shape = layerOutputShape(l, shape, m.name);
        elems = shapeSize(shape);
        actBits = bitsOf(l.output);
        break;
      case 'add':
        // the skip operand is live too
        skipBits = shapeSize(shape) * bitsOf(l.a.from === m.layers.indexOf(l) - 1 ? l.b.quant : l.a.quant);
        actBits = bitsOf(l.output);
        break;
    }
    peak = Math.max(peak, inElems * inBits + elems * actBits + skipBits);
    peak32 = Math.max(peak32, (inElems + elems) * 32);
    layers.push({ name: l.name, kind: l.kind, weights, weightBits, biasBits, paramBits, outputElements: elems, outputBits: elems * actBits });
  }
  const parameterBits = layers.reduce((a, l) => a + l.weightBits + l.biasBits + l.paramBits, 0);
  const fp32Bits = layers.reduce((a, l) => a + 32 * l.weights + l.biasBits, 0);
  const fp16Bits = layers.reduce((a, l) => a + 16 * l.weights + l.biasBits / 2, 0);
  return {
    layers,
    parameterBits,
    fp32Bits,
    fp16Bits,
    peakActivationBits: peak,
    peakActivationBitsFp32: peak32,
    savingVsFp32: fp32Bits / parameterBits,
    savingVsFp16: fp16Bits / parameterBits,
  };
}

function bitsOf(q: ActQuant): number {
  return formatBits(q.format);
}

function stageBits(stage: Extract<Layer, { kind: 'dense' }>['output'], channels: number): number {
  switch (stage.kind) {
    case 'requantize': {
      const n = stage.scaling.kind === 'shift' ? stage.scaling.shift.length : stage.scaling.kind === 'multiplier' ? stage.scaling.multiplier.length : stage.scaling.scale.length;
      const per = stage.scaling.kind === 'multiplier' ? 40 : stage.scaling.kind === 'shift' ? 8 : 32;
      return Math.min(n, channels) * per;
    }
    case 'threshold':
      return 32 * stage.thresholds.length;
    case 'accumulator':
      return 0;
  }
}
