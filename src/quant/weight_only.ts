import type { Checkpoint } from '../model/checkpoint.js';
import type { BatchNormCkpt } from '../model/checkpoint.js';
import { groupCount, groupSize, quantizeRows, type FloatAct, type WeightOnlyModel, type WoLayer, type WoWeight } from '../model/weight_only.js';

export { quantizeRows };
import { InputError, checkInt } from '../util/errors.js';
import { bnScale, foldBatchNorm } from './fold.js';

/**
 * Weight-only post-training quantization: FP32 checkpoint -> WeightOnlyModel (model/weight_only.ts).
 * No calibration: activations stay float (FP32, FP16 or BF16).
 *
 * 1. A batch-norm after a dense/conv layer is folded into it (`foldBatchNorm`: w' = a w, b' = a (b - mean)
 *    + beta, a = gamma / sqrt(var + eps)).
 * 2. Per output channel o and group g, the weight-only model's rule `quantizeRows` (model/weight_only.ts,
 *    also weight-only QAT's fake quantizer): scale = f32(max_{k in g} |w'[o][k]| / qmax),
 *    q = clamp(rint_even(w' / scale), -qmax, qmax), qmax = 2^(bits-1) - 1.
 * 3. ReLU, hardtanh, max-pool and flatten are kept; a `sign` activation (binary activations) is refused.
 */
export interface WeightOnlyOptions {
  bits: number;
  /** inputs per group along K; 0 = one scale per output channel */
  group: number;
  activation: FloatAct;
  name: string;
  source: string;
  /**
   * Weight-only QAT's trained levels, one per dense/conv layer in order (codes q and float32 scales s of
   * `quantizeRows`, the fake quantizer's): exported as they are instead of re-quantized, with batch-norm
   * folded into them (`foldLevels`). The checkpoint's weights must be their values f32(q s).
   */
  levels?: WoWeight[];
}

export function quantizeWeightOnly(ckpt: Checkpoint, o: WeightOnlyOptions): WeightOnlyModel {
  checkInt('bits', o.bits, 2, 8);
  checkInt('group', o.group, 0, 2 ** 31);
  const layers: WoLayer[] = [];
  const L = ckpt.layers;
  for (let i = 0; i < L.length; i++) {
    const l = L[i];
    const name = `${l.kind}${i}`;
    if (l.kind === 'dense' || l.kind === 'conv2d') {
      const next = L[i + 1];
      const rows = l.kind === 'dense' ? l.out : l.outC;
      const trained = o.levels?.[layers.filter((x) => x.kind === 'dense' || x.kind === 'conv2d').length];
      if (o.levels !== undefined && trained === undefined) throw new InputError(`checkpoint layer ${i}: no trained levels for it (${o.levels.length} given)`);
      let w = l.weight;
      let bias = l.bias;
      let weight: WoWeight;
      if (trained !== undefined) {
        if (trained.bits !== o.bits || trained.group !== groupSize(o.group, l.weight.length / rows)) throw new InputError(`checkpoint layer ${i}: trained levels int${trained.bits} in groups of ${trained.group}; the options ask int${o.bits}, group ${o.group}`);
        checkLevels(l.weight, rows, trained, i);
        ({ weight, bias } = foldLevels(trained, rows, bias, next?.kind === 'batchnorm' ? next : null));
        if (next?.kind === 'batchnorm') i++;
      } else {
        if (next?.kind === 'batchnorm') {
          ({ weight: w, bias } = foldBatchNorm(w, bias, next));
          i++;
        }
        weight = quantizeRows(w, rows, o.bits, o.group);
      }
      layers.push(l.kind === 'dense'
        ? { kind: 'dense', name, in: l.in, out: l.out, weight, bias }
        : { kind: 'conv2d', name, inC: l.inC, outC: l.outC, k: l.k, stride: l.stride, pad: l.pad, weight, bias });
    } else if (l.kind === 'batchnorm') {
      throw new InputError(`checkpoint layer ${i}: a batch-norm not after a dense/conv layer cannot be folded into integer weights`);
    } else if (l.kind === 'sign') {
      throw new InputError(`checkpoint layer ${i}: a sign activation makes binary activations; weight-only quantization keeps float activations (use --scheme wXaY for integer activations)`);
    } else if (l.kind === 'maxpool2d') {
      layers.push({ kind: 'maxpool2d', name, k: l.k });
    } else {
      layers.push({ kind: l.kind, name });
    }
  }
  return {
    format: 'lowbit-weight-only-model', schemaVersion: 1, name: o.name, inputShape: ckpt.inputShape.slice(),
    activation: o.activation, layers,
    provenance: {
      tool: 'lowbit quantize', date: new Date().toISOString(), source: o.source, accuracy: [],
      notes: `weight-only int${o.bits} ${o.group === 0 ? 'per-channel' : `group ${o.group}`} scales, ${o.activation} activations`,
    },
  };
}

/** The checkpoint's weights of a layer must be the trained levels' values f32(q s) (else they are another model's). */
function checkLevels(w: Float32Array, rows: number, t: WoWeight, layer: number): void {
  const K = w.length / rows;
  const G = groupCount(K, t.group);
  for (let k = 0; k < w.length; k++) {
    const v = Math.fround(t.data[k]! * t.scale[Math.floor(k / K) * G + Math.floor((k % K) / t.group)]!);
    if (v !== w[k]) throw new InputError(`checkpoint layer ${layer}: weight ${k} is ${w[k]}, its trained level ${v}; the levels are not this checkpoint's`);
  }
}

/**
 * Trained levels with the batch-norm after them folded in: with a[o] = gamma / sqrt(var + eps) (bnScale),
 * codes sign(a[o]) q, scales f32(|a[o]| s[o][g]) (where that is 0 — a = 0 or underflow — codes 0 and
 * scale 1), bias a (b - mean) + beta as `foldBatchNorm`; without batch-norm the levels unchanged.
 */
export function foldLevels(t: WoWeight, rows: number, bias: Float32Array | null, bn: BatchNormCkpt | null): { weight: WoWeight; bias: Float32Array | null } {
  if (bn === null) return { weight: { ...t, data: t.data.slice(), scale: t.scale.slice() }, bias };
  const { a } = bnScale(bn);
  const K = t.data.length / rows;
  const G = t.scale.length / rows;
  const data = new Int32Array(t.data.length);
  const scale = new Float32Array(t.scale.length);
  for (let o = 0; o < rows; o++) {
    const sign = Math.sign(a[o]!);
    for (let g = 0; g < G; g++) {
      const s = Math.fround(Math.abs(a[o]!) * t.scale[o * G + g]!);
      if (!Number.isFinite(s)) throw new InputError(`batch-norm channel ${o}: scale ${a[o]} times the trained weight scale ${t.scale[o * G + g]} overflows float32`);
      // a zero product (a = 0, or underflow): the group's weights are 0, stored as codes 0 with scale 1
      scale[o * G + g] = s > 0 ? s : 1;
      const end = Math.min(K, (g + 1) * t.group);
      for (let k = g * t.group; k < end; k++) data[o * K + k] = s > 0 ? sign * t.data[o * K + k]! + 0 : 0;
    }
  }
  return { weight: { bits: t.bits, data, group: t.group, scale }, bias: foldBatchNorm(new Float32Array(rows * K), bias, bn).bias };
}
