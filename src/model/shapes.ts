import { InputError } from '../util/errors.js';
import type { Layer, QuantizedModel } from './types.js';

/**
 * Shape propagation through a QuantizedModel (per-sample shapes, no batch dimension).
 * dense: [in] -> [out]; conv2d: [C, H, W] -> [O, H', W'] with H' = floor((H + pt + pb - kh) / sh) + 1;
 * maxpool2d: [C, H, W] -> [C, H', W'] (same formula); flatten: [C, H, W] -> [C*H*W]; globalavgpool: [C, H, W] ->
 * [C, 1, 1]; quantize, clamp, add: same (modelShapes checks that both operands of an add have this shape).
 */
export function layerOutputShape(layer: Layer, inShape: readonly number[], where: string): number[] {
  const fail = (msg: string): never => {
    throw new InputError(`${where}: ${msg}`);
  };
  switch (layer.kind) {
    case 'quantize':
    case 'clamp':
    case 'add':
      return [...inShape];
    case 'globalavgpool':
      if (inShape.length !== 3) fail(`globalavgpool needs a [C, H, W] input; got shape [${inShape}]`);
      return [inShape[0]!, 1, 1];
    case 'flatten':
      return [inShape.reduce((a, b) => a * b, 1)];
    case 'dense': {
      if (inShape.length !== 1) fail(`dense needs a vector input; got shape [${inShape}] (add a flatten layer before it)`);
      if (inShape[0] !== layer.inFeatures) fail(`inFeatures: got ${layer.inFeatures}; the input has ${inShape[0]} features`);
      return [layer.outFeatures];
    }
    case 'conv2d':
    case 'maxpool2d': {
      if (inShape.length !== 3) fail(`${layer.kind} needs a [C, H, W] input; got shape [${inShape}]`);
      const [c, h, w] = inShape as [number, number, number];
      if (layer.kind === 'conv2d' && c !== layer.inChannels) fail(`inChannels: got ${layer.inChannels}; the input has ${c} channels`);
      const [kh, kw] = layer.kernel;
      const [sh, sw] = layer.stride;
      const [pt, pl, pb, pr] = layer.padding;
      const ho = windowOutput(h, pt, pb, kh, sh);
      const wo = windowOutput(w, pl, pr, kw, sw);
      if (ho < 1 || wo < 1) fail(`kernel [${kh}, ${kw}] does not fit the padded input ${h}x${w}`);
      return [layer.kind === 'conv2d' ? layer.outChannels : c, ho, wo];
    }
  }
}

/** Output length of a sliding window (conv, pool) over n positions: floor((n + padLo + padHi - k) / stride) + 1. */
export function windowOutput(n: number, padLo: number, padHi: number, k: number, stride: number): number {
  return Math.floor((n + padLo + padHi - k) / stride) + 1;
}

/** Input shape of every layer and the model output shape: `shapes[i]` is the input of layer i, `shapes[n]` the output. */
export function modelShapes(model: QuantizedModel, source = 'model'): number[][] {
  const shapes: number[][] = [[...model.inputShape]];
  model.layers.forEach((l, i) => {
    const where = `${source}: layers[${i}] (${l.name})`;
    if (l.kind === 'add') {
      for (const [k, op] of [['a', l.a], ['b', l.b]] as const) {
        const s = shapes[op.from + 1];
        if (!Number.isInteger(op.from) || op.from < 0 || op.from >= i || !s) throw new InputError(`${where}: ${k}.from ${op.from} must name an earlier layer (0..${i - 1})`);
        if (s.join() !== shapes[i]!.join()) throw new InputError(`${where}: ${k}.from ${op.from} has shape [${s}]; the add's input has shape [${shapes[i]}] (they must be equal)`);
      }
      if (l.a.from !== i - 1 && l.b.from !== i - 1) throw new InputError(`${where}: one operand must be the previous layer (from ${i - 1}); got ${l.a.from} and ${l.b.from}`);
    }
    shapes.push(layerOutputShape(l, shapes[i]!, where));
  });
  return shapes;
}

/** Number of elements of a shape. */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
