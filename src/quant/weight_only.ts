import { formatRange, intFormat } from '../arith/format.js';
import { roundHalfEven } from '../arith/requant.js';
import type { Checkpoint } from '../model/checkpoint.js';
import { groupCount, type FloatAct, type WeightOnlyModel, type WoLayer, type WoWeight } from '../model/weight_only.js';
import { InputError, checkInt } from '../util/errors.js';
import { foldBatchNorm } from './fold.js';

/**
 * Weight-only post-training quantization: FP32 checkpoint -> WeightOnlyModel (model/weight_only.ts).
 * No calibration: activations stay float (FP32, FP16 or BF16).
 *
 * 1. A batch-norm after a dense/conv layer is folded into it (`foldBatchNorm`: w' = a w, b' = a (b - mean)
 *    + beta, a = gamma / sqrt(var + eps)).
 * 2. Per output channel o and group g (`group` consecutive weights of the row along K; `group` >= K means
 *    one group = per channel), symmetric, narrow range qmax = 2^(bits-1) - 1:
 *      scale = f32(max_{k in g} |w'[o][k]| / qmax)   (1 when the group is all zero)
 *      q[o][k] = clamp(rint_even(w'[o][k] / scale), -qmax, qmax)
 * 3. ReLU, hardtanh, max-pool and flatten are kept; a `sign` activation (binary activations) is refused.
 */
export interface WeightOnlyOptions {
  bits: number;
  /** inputs per group along K; 0 = one scale per output channel */
  group: number;
  activation: FloatAct;
  name: string;
  source: string;
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
      let w = l.weight;
      let bias = l.bias;
      if (next?.kind === 'batchnorm') {
        ({ weight: w, bias } = foldBatchNorm(w, bias, next));
        i++;
      }
      const rows = l.kind === 'dense' ? l.out : l.outC;
      const weight = quantizeRows(w, rows, o.bits, o.group);
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

/** Symmetric codes and scales of `rows` rows (step 2 of the file header). */
export function quantizeRows(w: Float32Array, rows: number, bits: number, group: number): WoWeight {
  const K = w.length / rows;
  const gs = group === 0 || group >= K ? Math.max(K, 1) : group;
  const G = groupCount(K, gs);
  const qmax = formatRange(intFormat(bits, true), true).max; // 2^(bits-1) - 1
  const data = new Int32Array(w.length);
  const scale = new Float32Array(rows * G);
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < G; g++) {
      const k0 = r * K + g * gs;
      const k1 = r * K + Math.min(K, (g + 1) * gs);
      let m = 0;
      for (let k = k0; k < k1; k++) m = Math.max(m, Math.abs(w[k]));
      const s = m > 0 ? Math.fround(m / qmax) : 1;
      scale[r * G + g] = s;
      for (let k = k0; k < k1; k++) data[k] = Math.max(-qmax, Math.min(qmax, roundHalfEven(w[k] / s)));
    }
  }
  return { bits, data, group: gs, scale };
}
