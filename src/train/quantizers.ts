/**
 * Fake quantizers for quantization-aware training, each with its straight-through estimator (STE).
 * A quantizer maps real values to `q * scale` with integer q; `q` and `scale` are what the integer
 * hardware stores, so the exported QuantizedModel holds exactly these integers.
 *
 * Weights (per output channel o, row w[o][*]):
 *   binary   q = sign(w) in {-1,+1} (w >= 0 -> +1); scale 1, or mean|w[o]| with XNOR-Net scaling.
 *            STE: dL/dw = dL/dw_hat * [|w| <= 1] (BinaryNet); latent w clipped to [-1, 1] by the optimizer.
 *   ternary  q = sign(w) * [|w| > 0.7 * mean|w[o]|]; scale = mean of |w| over the kept weights (TWN).
 *   int      symmetric narrow range, b bits: q = clamp(round(w / s), -Q, Q), Q = 2^(b-1) - 1,
 *            s = max|w[o]| / Q (Brevitas-style max scaling). STE: gradient passes unchanged.
 *            With `group` (per-group scales): s per group of the row, rounded to integer multipliers of
 *            a per-row unit (`groupedIntWeights`); q holds code * multiplier, scale the unit.
 *            Weight-only QAT (`group` without `inMax`): the weight-only model's rule `quantizeRows`
 *            (model/weight_only.ts): one float32 scale per group (or per row), codes rounded half to even;
 *            q holds the codes, the per-group scales are returned (`weightValues` makes w_hat = q s_g).
 *   dorefa   DoReFa-Net: w_q = 2 quantize_k(tanh(w) / (2 max|tanh(w)|) + 1/2) - 1, quantize_k(r) =
 *            round((2^k - 1) r) / (2^k - 1) (round half to even, as tf.round in the authors' code), max over
 *            the layer; q = 2 round(n x) - n odd in [-n, n], scale 1/n (k = 2: {-1, -1/3, 1/3, 1}).
 *            The integer needs k + 1 signed bits. STE through quantize_k and tanh.
 *   lsq      a learned step s[o] (Esser et al.), computed exactly as PyTorch's learnable fake quantizer
 *            (`_fake_quantize_learnable_per_channel_affine`, zero point 0, range [-Q, Q]; fake_quant.ts):
 *            q = clamp(nearbyint(f32(w * f32(1/s))), -Q, Q); dL/dw = dL/dw_hat inside; dL/ds per element
 *            dy (q s - w) / s inside, +-Q dy outside, times 1/sqrt(numel(w[o]) * Q).
 *
 * Activations (after batch-norm), b bits unsigned unless binary; n = 2^b - 1:
 *   sign     q = y >= 0 ? +1 : -1, scale 1. STE: dL/dy = dL/dq * [|y| <= 1] (hardtanh gradient).
 *   dorefa   q = round(clamp(y, 0, 1) * n), scale 1/n. STE inside [0, 1].
 *   pact     q = round(clamp(y, 0, a) * n / a), scale a/n, learned a (Choi et al.): dL/da = sum dL/dv [y >= a].
 *   lsq      q = clamp(nearbyint(f32(y * f32(1/s))), 0, n), scale s learned: PyTorch's learnable per-tensor
 *            fake quantizer (zero point 0, range [0, n]) exactly, gradient factor 1/sqrt(numel * n).
 * Gradients (optional, `gradBits`): DoReFa's stochastic k-bit quantization of dL/dy of every weighted layer
 * but the first and the last (`quantizeGradDoReFa`, applied by the `GradQuant` layer).
 * Rounding of activations is floor(v + 0.5) (ties up), and the exported thresholds are derived from the
 * same function, so the integer model reproduces it exactly.
 */
import { formatRange, intFormat, roundReal, type Rounding } from '../arith/index.js';
import { GROUP_F_MAX, groupScaling } from '../model/group.js';
import type { WeightGroups } from '../model/types.js';
import { groupCount, groupSize, quantizeRows } from '../model/weight_only.js';
import { badValue } from '../util/errors.js';
import { learnableQ, learnableScaleGrad } from './fake_quant.js';

/**
 * The rounding of quantization-aware training (weights of the int and LSQ quantizers, the inputs of the
 * exact integer forward pass): RND, nearest with ties toward +inf (docs/arithmetic.md section 1).
 * DoReFa rounds half to even (RND_CONV), as its reference does; PTQ rounds with RND_CONV (ONNX's rint).
 */
export const QAT_ROUNDING: Rounding = 'RND';

export type WeightQuantMethod = 'none' | 'binary' | 'ternary' | 'int' | 'dorefa' | 'lsq';
export type ActQuantMethod = 'none' | 'relu' | 'hardtanh' | 'sign' | 'dorefa' | 'pact' | 'lsq';

export interface WeightQuantSpec {
  method: WeightQuantMethod;
  /** bits of `int`, `dorefa`, `lsq`; 1 for binary, 2 for ternary */
  bits: number;
  /** XNOR-Net per-channel scaling of binary weights */
  xnorScale?: boolean;
  /** one scale for the whole tensor instead of one per output channel (the last layer, so that raw
   * integer logits keep the argmax) */
  perTensor?: boolean;
  /**
   * `int` only, `size` weights per group along the row. With `inMax` (integer activations): per-group scales
   * as integer multipliers (model/group.ts), inputs of magnitude at most `inMax` (fixes the multipliers'
   * precision, `groupFracBits`). Without (weight-only QAT, float activations): the weight-only model's
   * float32 scale per group, `quantizeRows`; size 0 (or >= the row) is one scale per row.
   */
  group?: { size: number; inMax?: number };
}

/** Q, the largest magnitude of a b-bit symmetric narrow-range integer: 2^(b-1) - 1. */
export function symLevels(bits: number): number {
  return formatRange(intFormat(bits, true), true).max;
}

/**
 * Quantizes the weights `w` (rows of `k`, `m` rows) into integers `q` and per-row scales `scale`, and the
 * STE mask/factor `ste` (dL/dw = ste * dL/dw_hat; for dorefa it includes the tanh derivative).
 * `lsqStep` is the learned step (per row) for `lsq`. Allocates nothing (but for grouped int weights).
 * Returns the weight-only per-group scales (m x G float32, `weightOnlyGroups`), else null.
 */
export function quantizeWeights(
  spec: WeightQuantSpec, w: Float32Array, m: number, k: number,
  q: Float32Array, scale: Float32Array, ste: Float32Array, lsqStep?: Float32Array,
): Float32Array | null {
  if (weightOnlyGroups(spec)) {
    const r = quantizeRows(w, m, spec.bits, spec.group!.size);
    const G = r.scale.length / m;
    q.set(r.data);
    ste.fill(1, 0, m * k);
    // the per-row scale (unused by w_hat): the row's largest group scale
    for (let o = 0; o < m; o++) scale[o] = Math.max(...r.scale.subarray(o * G, (o + 1) * G));
    return r.scale;
  }
  quantizeScaled(spec, w, m, k, q, scale, ste, lsqStep);
  return null;
}

/** Whether the spec is weight-only QAT's rule (`group` without `inMax`: float32 scales per group or row). */
export function weightOnlyGroups(spec: WeightQuantSpec): boolean {
  return spec.method === 'int' && spec.group !== undefined && spec.group.inMax === undefined;
}

/**
 * The effective weights w_hat (m rows of k): q[o][i] * scale[o], or q[o][i] * s[o][g(i)] with the weight-only
 * per-group scales `groupScale` of `quantizeWeights` (g(i) = floor(i / size), size = k for per-row).
 */
export function weightValues(spec: WeightQuantSpec, q: Float32Array, scale: Float32Array, groupScale: Float32Array | null, m: number, k: number, what: Float32Array): void {
  if (groupScale === null) {
    for (let o = 0; o < m; o++) {
      const s = scale[o]!;
      for (let i = o * k; i < (o + 1) * k; i++) what[i] = q[i]! * s;
    }
    return;
  }
  const size = groupSize(spec.group!.size, k);
  const G = groupScale.length / m;
  for (let o = 0; o < m; o++) {
    for (let i = 0; i < k; i++) what[o * k + i] = q[o * k + i]! * groupScale[o * G + Math.floor(i / size)]!;
  }
}

/** `quantizeWeights` for every rule but weight-only QAT's: integers q with one scale per row. */
function quantizeScaled(
  spec: WeightQuantSpec, w: Float32Array, m: number, k: number,
  q: Float32Array, scale: Float32Array, ste: Float32Array, lsqStep?: Float32Array,
): void {
  if (spec.group !== undefined && spec.method === 'int' && spec.group.size < k) {
    // the integer the accumulator sees is code * multiplier, in units of the row's u (model/group.ts)
    const g = groupedIntWeights(spec, w, m, k);
    const G = g.group.multiplier.length / m;
    for (let o = 0; o < m; o++) {
      scale[o] = g.unit[g.unit.length === 1 ? 0 : o]!;
      for (let i = 0; i < k; i++) q[o * k + i] = g.codes[o * k + i]! * g.group.multiplier[o * G + Math.floor(i / g.group.size)]!;
    }
    ste.fill(1, 0, m * k);
    return;
  }
  if (spec.perTensor && m > 1) {
    quantizeScaled({ ...spec, perTensor: false }, w, 1, m * k, q, scale, ste, lsqStep);
    scale.fill(scale[0]!, 1, m);
    return;
  }
  switch (spec.method) {
    case 'none':
      for (let i = 0; i < m * k; i++) {
        q[i] = w[i]!;
        ste[i] = 1;
      }
      scale.fill(1, 0, m);
      return;
    case 'binary':
      for (let o = 0; o < m; o++) {
        let s = 0;
        for (let i = o * k; i < (o + 1) * k; i++) {
          // q = v >= 0 ? 1 : -1 and ste = |v| <= 1, written without branches (random signs defeat prediction)
          const v = w[i]!;
          q[i] = 2 * +(v >= 0) - 1;
          ste[i] = +(Math.abs(v) <= 1);
          s += Math.abs(v);
        }
        scale[o] = spec.xnorScale ? Math.fround(s / k) : 1;
      }
      return;
    case 'ternary':
      for (let o = 0; o < m; o++) {
        let s = 0;
        for (let i = o * k; i < (o + 1) * k; i++) s += Math.abs(w[i]!);
        const delta = (0.7 * s) / k;
        let kept = 0;
        let sk = 0;
        for (let i = o * k; i < (o + 1) * k; i++) {
          const a = Math.abs(w[i]!);
          q[i] = a > delta ? (w[i]! >= 0 ? 1 : -1) : 0;
          ste[i] = 1;
          if (a > delta) {
            kept++;
            sk += a;
          }
        }
        scale[o] = kept > 0 ? Math.fround(sk / kept) : 1;
      }
      return;
    case 'int': {
      const Q = symLevels(spec.bits);
      for (let o = 0; o < m; o++) {
        let mx = 0;
        for (let i = o * k; i < (o + 1) * k; i++) mx = Math.max(mx, Math.abs(w[i]!));
        const s = Math.fround(mx > 0 ? mx / Q : 1);
        scale[o] = s;
        for (let i = o * k; i < (o + 1) * k; i++) {
          const r = roundReal(w[i]! / s, QAT_ROUNDING);
          q[i] = r > Q ? Q : r < -Q ? -Q : r;
          ste[i] = 1;
        }
      }
      return;
    }
    case 'lsq': {
      // PyTorch's learnable fake quantizer (per channel, or per tensor), zero point 0, range [-Q, Q]
      const Q = symLevels(spec.bits);
      for (let o = 0; o < m; o++) {
        const s = Math.fround(lsqStep![o]!);
        const inv = Math.fround(1 / s);
        scale[o] = s;
        for (let i = o * k; i < (o + 1) * k; i++) {
          const r = learnableQ(w[i]!, inv, 0);
          q[i] = r > Q ? Q : r < -Q ? -Q : r;
          ste[i] = +(r >= -Q && r <= Q);
        }
      }
      return;
    }
    case 'dorefa': {
      // DoReFa-Net (Zhou et al. 2016, eq. 9): w_q = 2 quantize_k(tanh(w) / (2 max|tanh(w)|) + 1/2) - 1 with
      // quantize_k(r) = round((2^k - 1) r) / (2^k - 1), the max over the whole layer. As integers:
      // r = round(n x) in 0..n (n = 2^k - 1), q = 2r - n (odd, in [-n, n]), scale 1/n, so w_q = q / n.
      const n = dorefaLevels(spec.bits);
      let mx = 0;
      for (let i = 0; i < m * k; i++) mx = Math.max(mx, Math.abs(Math.tanh(w[i]!)));
      if (mx === 0) mx = 1;
      for (let i = 0; i < m * k; i++) {
        const t = Math.tanh(w[i]!);
        q[i] = 2 * roundReal(n * (t / (2 * mx) + 0.5), 'RND_CONV') - n;
        // STE through quantize_k: d w_q / d w = 2 * (1 - t^2) / (2 max) (the max is held constant)
        ste[i] = (1 - t * t) / mx;
      }
      scale.fill(Math.fround(1 / n), 0, m);
      return;
    }
  }
}

/**
 * Multiplier precision F of a grouped layer with rows of k weights of `bits` bits and inputs |x| <= inMax:
 * the largest F <= GROUP_F_MAX with k Q 2^F inMax <= 2^31 - 1, so that |acc| <= sum_k |q| m |x| fits int32
 * whatever the weights (m <= 2^F, |q| <= Q).
 */
export function groupFracBits(k: number, bits: number, inMax: number): number {
  const F = Math.min(GROUP_F_MAX, Math.floor(Math.log2((2 ** 31 - 1) / (k * symLevels(bits) * inMax))));
  if (F < 0) throw badValue('--group', `rows of ${k} int${bits} weights with inputs up to ${inMax}`, 'layers whose accumulator fits int32 without multipliers');
  return F;
}

/**
 * Grouped int weights (`spec.group`): per group of `size` weights of a row, s_g = f32(max|w_g| / Q) (1 when
 * all zero) and codes q = clamp(round(w / s_g), -Q, Q) (QAT rounding); the multipliers m_g and units u of
 * `groupScaling` (model/group.ts) at F = groupFracBits (one unit for the layer when `perTensor`). The
 * training forward uses w_hat = q m_g u; the exporter calls this again on the same latent weights.
 */
export function groupedIntWeights(spec: WeightQuantSpec, w: Float32Array, m: number, k: number): { codes: Int32Array; unit: number[]; group: WeightGroups } {
  const { size, inMax } = spec.group!;
  if (inMax === undefined) throw new Error('groupedIntWeights: integer multipliers need the input bound inMax');
  const Q = symLevels(spec.bits);
  const G = groupCount(k, size);
  const s = new Float64Array(m * G);
  const codes = new Int32Array(m * k);
  for (let o = 0; o < m; o++) {
    for (let g = 0; g < G; g++) {
      const end = o * k + Math.min(k, (g + 1) * size);
      let mx = 0;
      for (let i = o * k + g * size; i < end; i++) mx = Math.max(mx, Math.abs(w[i]!));
      const sg = Math.fround(mx > 0 ? mx / Q : 1);
      s[o * G + g] = sg;
      for (let i = o * k + g * size; i < end; i++) {
        const r = roundReal(w[i]! / sg, QAT_ROUNDING);
        codes[i] = r > Q ? Q : r < -Q ? -Q : r;
      }
    }
  }
  const sc = groupScaling(s, m, size, groupFracBits(k, spec.bits, inMax), spec.perTensor === true);
  return { codes, unit: sc.unit, group: sc.group };
}

/**
 * DoReFa-Net gradient quantization (Zhou et al. 2016, eq. 12) of dL/dy, per sample b of `size` values:
 *   f_G(dr) = 2 M [quantize_k(dr / (2 M) + 1/2 + N(k)) - 1/2],  M = max|dr| over the sample,
 *   N(k) = sigma / (2^k - 1), sigma ~ U(-1/2, 1/2) drawn per element from `rng`,
 * with the noisy value clipped to [0, 1] before quantize_k, as in the authors' tensorpack code (the clip
 * is not in the paper's formula; it only acts where noise pushes a value past 0 or 1). quantize_k rounds
 * half to even. A sample whose gradient is all zero stays zero. In place on `g[0 .. n*size)`.
 */
export function quantizeGradDoReFa(g: Float32Array, n: number, size: number, bits: number, rng: { float(): number }): void {
  const levels = 2 ** bits - 1;
  for (let b = 0; b < n; b++) {
    const o = b * size;
    let M = 0;
    for (let i = o; i < o + size; i++) M = Math.max(M, Math.abs(g[i]!));
    if (M === 0) continue;
    for (let i = o; i < o + size; i++) {
      const v = g[i]! / (2 * M) + 0.5 + (rng.float() - 0.5) / levels;
      const c = v < 0 ? 0 : v > 1 ? 1 : v;
      g[i] = 2 * M * (roundReal(levels * c, 'RND_CONV') / levels - 0.5);
    }
  }
}

/** n = 2^k - 1 for DoReFa k-bit weights: the codes r = 0..n give the odd integers q = 2r - n in [-n, n]. */
export function dorefaLevels(bits: number): number {
  return 2 ** bits - 1;
}

/**
 * LSQ step gradient for weights, PyTorch's learnable fake-quantizer rule per element (`learnableScaleGrad`:
 * dy (q s - w) / s inside, -Q dy or Q dy outside, each times g = 1 / sqrt(numel(w[o]) Q)), summed per row
 * in float64 into dstep[o].
 */
export function lsqWeightStepGrad(
  w: Float32Array, dwhat: Float32Array, step: Float32Array, m: number, k: number, bits: number, dstep: Float32Array,
): void {
  const Q = symLevels(bits);
  const g = Math.fround(1 / Math.sqrt(k * Q));
  for (let o = 0; o < m; o++) {
    const s = Math.fround(step[o]!);
    const inv = Math.fround(1 / s);
    let acc = 0;
    for (let i = o * k; i < (o + 1) * k; i++) acc += learnableScaleGrad(dwhat[i]!, w[i]!, learnableQ(w[i]!, inv, 0), s, inv, 0, -Q, Q, g);
    dstep[o] += acc;
  }
}

/** Integer activation level count n = 2^b - 1 (b-bit unsigned). */
export function actLevels(bits: number): number {
  return 2 ** bits - 1;
}

/**
 * The activation quantizer as an integer function of the (batch-normed) real value y: the q that the
 * hardware outputs. `invStep` = 1/scale (n for dorefa, n/a for pact, 1/s for lsq). Binary: -1/+1.
 * Exported thresholds are found by evaluating exactly this function, so it is the definition.
 */
export function actQuantInt(y: number, binary: boolean, invStep: number, n: number): number {
  if (binary) return y >= 0 ? 1 : -1;
  const r = Math.floor(y * invStep + 0.5);
  return r < 0 ? 0 : r > n ? n : r;
}

/** The LSQ activation integer: clamp(nearbyint(f32(y * inv)), 0, n), inv = f32(1/s) (PyTorch's rounding). */
export function lsqActInt(y: number, inv: number, n: number): number {
  const r = learnableQ(y, inv, 0);
  return r < 0 ? 0 : r > n ? n : r;
}
