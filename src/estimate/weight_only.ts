/**
 * Cost of a weight-only model (model/weight_only.ts: integer weight codes, float activations) per inference,
 * for `lowbit estimate --model <weight-only>`. No Design: the accelerator has no float datapath; this is the
 * dequantize-in-the-loop kernel the reference defines, with its operations counted exactly:
 *
 *   MACs       dense in * out; conv2d outC * (inC k k) * Ho * Wo (padded taps included: the reference reads 0)
 *   per MAC    one product q * x of a b-bit code and an activation-format value, one float32 add (s_g)
 *   per group  one float32 multiply (scale * s_g) and one float32 add (into acc): outputs * ceil(K / group)
 *   per output one float32 add (the bias; counted for every output of a layer that has one)
 *
 * Energy (pJ, the energy table's float figures; default Horowitz ISSCC 2014, 45 nm):
 *   E(q * x)  charged as one float multiply in the activation format: fpMul32 for FP32; for FP16 and BF16
 *             the published FP16 multiply, 1.1 pJ, i.e. fpMul32 * 1.1 / 3.7 of the table (BF16 has no
 *             published 45 nm figure and is charged as FP16; its 8-bit significand multiplier is smaller).
 *             An integer code times a float needs only a (b-1)-bit x p-bit significand product, so this
 *             is an upper bound.
 *   E(add)    fpAdd32 (the float32 accumulator of the reference)
 *   compute   = MACs (E(q x) + fpAdd32) + groups (fpMul32 + fpAdd32) + biased outputs * fpAdd32
 *   memory    = bits moved * sram32 / 32: every code, scale and bias read once, every activation written once
 *               and read once by the next layer (a batch-1 kernel that keeps one input vector in registers;
 *               the input image is read once; DRAM not counted: the weights stay on chip)
 * The FP32 baseline is the same network with float32 weights and activations: MACs (fpMul32 + fpAdd32) +
 * biased outputs * fpAdd32, memory with 32-bit weights, biases and activations.
 *
 * Memory: weight bits = codes * b + scales * 32 + biases * 32; FP32 = (weights + biases) * 32, FP16 = * 16.
 * Activation bits per inference: the sum over every tensor (the input and each layer's output) times the
 * format's width, and the peak live pair (a layer's input plus output), for FP32, FP16 and BF16.
 */
import { groupCount, woShapes, type FloatAct, type WeightOnlyModel } from '../model/weight_only.js';
import { HOROWITZ_45NM, sramEnergyPerBit, type EnergyTable } from './energy.js';

/** Horowitz ISSCC 2014, 45 nm: FP16 multiply 1.1 pJ against FP32 multiply 3.7 pJ. */
const FP16_MUL_OVER_FP32 = 1.1 / 3.7;

export const ACT_BITS: Record<FloatAct, number> = { fp32: 32, fp16: 16, bf16: 16 };

export interface WoLayerCost {
  name: string;
  kind: 'dense' | 'conv2d';
  macs: number;
  groups: number;
  weights: number;
  weightBits: number;
  computePJ: number;
}

export interface WoEstimate {
  model: string;
  activation: FloatAct;
  layers: WoLayerCost[];
  macs: number;
  weights: number;
  memory: {
    /** codes + scales + biases, bits */
    weightBits: number;
    fp32WeightBits: number;
    fp16WeightBits: number;
    /** activation bits per inference (every tensor once) and the peak live input + output, per format */
    activationBits: Record<FloatAct, number>;
    peakActivationBits: Record<FloatAct, number>;
  };
  energy: { computePJ: number; sramPJ: number; totalPJ: number; pJPerMac: number; fp32TotalPJ: number; table: string };
  perOpPJ: { productQx: number; fpAdd32: number; fpMul32: number; sramBit: number };
}

/** The energy of one code x activation product in the format (file header). */
export function productEnergy(t: EnergyTable, act: FloatAct): number {
  return act === 'fp32' ? t.fpMul32 : t.fpMul32 * FP16_MUL_OVER_FP32;
}

export function estimateWeightOnly(m: WeightOnlyModel, t: EnergyTable = HOROWITZ_45NM): WoEstimate {
  const shapes = woShapes(m);
  const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);
  const eq = productEnergy(t, m.activation);
  const layers: WoLayerCost[] = [];
  let biasBits = 0;
  let biased = 0;
  m.layers.forEach((l, i) => {
    if (l.kind !== 'dense' && l.kind !== 'conv2d') return;
    const rows = l.kind === 'dense' ? l.out : l.outC;
    const K = l.weight.data.length / rows;
    const pixels = l.kind === 'dense' ? 1 : size(shapes[i + 1]!.slice(1));
    const outputs = rows * pixels;
    const macs = outputs * K;
    const groups = outputs * groupCount(K, l.weight.group);
    const withBias = l.bias ? outputs : 0;
    biased += withBias;
    biasBits += l.bias ? 32 * l.bias.length : 0;
    layers.push({
      name: l.name, kind: l.kind, macs, groups, weights: l.weight.data.length,
      weightBits: l.weight.data.length * l.weight.bits + 32 * l.weight.scale.length + (l.bias ? 32 * l.bias.length : 0),
      computePJ: macs * (eq + t.fpAdd32) + groups * (t.fpMul32 + t.fpAdd32) + withBias * t.fpAdd32,
    });
  });
  const macs = layers.reduce((s, l) => s + l.macs, 0);
  const weights = layers.reduce((s, l) => s + l.weights, 0);
  const weightBits = layers.reduce((s, l) => s + l.weightBits, 0);
  const biases = biasBits / 32;
  const tensors = shapes.map(size);
  const perFormat = (f: (bits: number) => number): Record<FloatAct, number> => ({ fp32: f(32), fp16: f(16), bf16: f(16) });
  const allActs = tensors.reduce((a, b) => a + b, 0);
  let peak = 0;
  for (let i = 1; i < tensors.length; i++) peak = Math.max(peak, tensors[i - 1]! + tensors[i]!);
  // activation traffic: the input read once, every later tensor written once and read once
  const actTraffic = (bits: number): number => (tensors[0]! + 2 * (allActs - tensors[0]!)) * bits;
  const sramBit = sramEnergyPerBit(t);
  const computePJ = layers.reduce((s, l) => s + l.computePJ, 0);
  const sramPJ = (weightBits + actTraffic(ACT_BITS[m.activation])) * sramBit;
  const fp32TotalPJ = macs * (t.fpMul32 + t.fpAdd32) + biased * t.fpAdd32 + (32 * (weights + biases) + actTraffic(32)) * sramBit;
  return {
    model: m.name, activation: m.activation, layers, macs, weights,
    memory: {
      weightBits, fp32WeightBits: 32 * (weights + biases), fp16WeightBits: 16 * (weights + biases),
      activationBits: perFormat((b) => allActs * b), peakActivationBits: perFormat((b) => peak * b),
    },
    energy: { computePJ, sramPJ, totalPJ: computePJ + sramPJ, pJPerMac: (computePJ + sramPJ) / macs, fp32TotalPJ, table: t.name },
    perOpPJ: { productQx: eq, fpAdd32: t.fpAdd32, fpMul32: t.fpMul32, sramBit },
  };
}
