/**
 * Post-training quantization of one segment (compute layer + batch-norm + activation) into a QuantizedModel
 * dense/conv2d layer.
 *
 * Output stage by case (s_x input scale, s_w[o] weight scale, s_y output scale):
 * - `threshold` (sign activations, or <= 4 activation bits): weights quantized as trained, batch-norm and
 *   the activation folded into integer thresholds (fold.ts); channels with a negative BN scale are negated.
 * - `requantize` (> 4 activation bits): batch-norm folded into the float weights first, bias
 *   `b_q[o] = rint(b[o] / (s_x * s_w[o]))` in int32, then `y = clamp(M(acc) + zp_y)` with
 *   `M = quantizeMultiplier(s_x * s_w[o] / s_y)` (TFLite) — or, shift-only, `roundShift(acc, n[o], 'RND')`
 *   with all scales powers of two and `2^-n = s_x * s_w / s_y`.
 * - `accumulator` (the logits layer without activation): one weight scale for the whole layer, so the
 *   int32 accumulator (+ bias at `s_x * s_w`) orders the classes as the real logits do.
 * Output activations: after ReLU unsigned `[0, 2^b - 1]`, zero point 0, `s_y = clip / (2^b - 1)`;
 * otherwise signed narrow `[-(2^(b-1) - 1), 2^(b-1) - 1]`, `s_y = clip / (2^(b-1) - 1)`; a sign activation
 * or 1 bit without ReLU is bipolar ±1 (binary format, scale 1). Clips come from calibration.
 */
import { formatRange, intFormat, quantizeMultiplier, roundHalfEven } from '../arith/index.js';
import { InputError, badValue } from '../util/errors.js';
import { groupScaling } from '../model/group.js';
import { chooseGroupF, groupAccBound } from './group.js';
import type { ActQuant, Conv2dLayer, DenseLayer, OutputStage, Scaling, TensorFormat, WeightGroups } from '../model/types.js';
import { binarizeWeights, ternarizeWeights } from './binarize.js';
import { chooseClip, mseClipValues, type ActStats, type CalibMethod } from './calibration.js';
import { applyFlips, channelAffine, foldBatchNorm, INT32_MAX, INT32_MIN, multiThresholds, signThresholds } from './fold.js';
import { pow2Ceil, pow2Exponent, pow2Weights } from '../arith/pow2.js';
import { weightQuantName, type LayerScheme } from './scheme.js';
import type { Segment } from './segments.js';
import { quantizeValue, quantizeWeightMatrix, type UniformSpec } from './uniform.js';

export interface LayerQuantOptions {
  ls: LayerScheme;
  perChannel: boolean;
  shiftOnly: boolean;
  isLast: boolean;
  calib: CalibMethod;
  /** statistics of the segment's output activation over the calibration set */
  stats: ActStats;
  variant: 'double' | 'single';
  name: string;
  /** weights per group along K for per-group scales (0: per channel / per tensor) */
  group: number;
}

export interface LayerQuantReport {
  name: string;
  weight: string;
  stage: OutputStage['kind'];
  /** calibrated clip of the output activation (0 for the accumulator) */
  clip: number;
  outScale: number;
}

export interface QuantWeightsOut {
  q: Int32Array;
  scale: number[];
  format: TensorFormat;
  /** per-group scales (quantizeSegment turns them into integer multipliers: `scale` is then the unit) */
  groups?: { size: number; scales: Float64Array };
  group?: WeightGroups;
}

/**
 * Weight quantizer of a layer scheme over a `[rows][cols]` float matrix (symmetric, zero point 0).
 * `group` (integer weights, 0 < group < cols): one scale per `group` consecutive weights of a row (`groups`).
 */
export function quantizeLayerWeights(w: Float32Array, rows: number, ls: LayerScheme, perChannel: boolean, shiftOnly: boolean, group = 0): QuantWeightsOut {
  const wq = ls.weight;
  const cols = w.length / rows;
  if (group > 0 && group < cols && wq.kind !== 'int') throw new InputError(`--group: per-group scales apply to integer weights (wXaY with X >= 2); got ${weightQuantName(wq)} weights`);
  if (wq.kind === 'binary') {
    const r = binarizeWeights(w, rows, perChannel);
    return { q: r.q, scale: Array.from(r.scale, (s) => (shiftOnly ? pow2Ceil(s) : Math.fround(s))), format: { type: 'binary' } };
  }
  if (wq.kind === 'ternary') {
    const r = ternarizeWeights(w, rows, perChannel);
    return { q: r.q, scale: Array.from(r.scale, (s) => (shiftOnly ? pow2Ceil(s) : Math.fround(s))), format: { type: 'int', bits: 2, signed: true } };
  }
  if (wq.kind === 'pow2') {
    const r = pow2Weights(w, rows, wq.bits, perChannel);
    return { q: r.q, scale: Array.from(r.scale), format: { type: 'int', bits: r.intBits, signed: true } };
  }
  const spec: UniformSpec = { format: intFormat(wq.bits, true), symmetric: true, narrow: wq.bits >= 2 };
  // low-bit weights: MSE-optimal clip per group; 5+ bits: max|w|
  const clip = wq.bits <= 4 ? (v: Float32Array, s: UniformSpec) => { const c = mseClipValues(v, s); return { lo: -c, hi: c }; } : undefined;
  if (group > 0 && group < cols) {
    if (shiftOnly) throw new InputError('--group: per-group scales are integer multipliers, not powers of two; drop --group for shift-only schemes');
    const g = quantizeWeightMatrix(w, rows, spec, { groupSize: group }, clip);
    return { q: g.q, scale: [], format: intFormat(wq.bits, true), groups: { size: group, scales: g.scale } };
  }
  const r = quantizeWeightMatrix(w, rows, spec, perChannel ? 'channel' : 'tensor', clip);
  let scale = Array.from(r.scale);
  if (shiftOnly) {
    // re-quantize with the power-of-two scale (rounded up: nothing newly clipped)
    scale = scale.map(pow2Ceil);
    const qmax = formatRange(intFormat(wq.bits, true)).max;
    for (let o = 0; o < rows; o++) {
      const s = scale[perChannel ? o : 0];
      for (let i = 0; i < cols; i++) r.q[o * cols + i] = quantizeValue(w[o * cols + i], s, 0, -qmax, qmax);
    }
  }
  return { q: r.q, scale, format: { type: 'int', bits: wq.bits, signed: true } };
}

/** Output activation quantization for a segment: format, scale, integer range. */
export function outputQuant(seg: Segment, ls: LayerScheme, clip: number, shiftOnly: boolean): { aq: ActQuant; qmin: number; qmax: number; bipolar: boolean } {
  const b = ls.abits;
  if (seg.act === 'sign' || (b === 1 && seg.act !== 'relu')) {
    return { aq: { format: { type: 'binary' }, scale: 1, zeroPoint: 0 }, qmin: -1, qmax: 1, bipolar: true };
  }
  const unsigned = seg.act === 'relu';
  const qmax = formatRange(intFormat(b, !unsigned)).max;
  const qmin = unsigned ? 0 : -qmax;
  let s = Math.fround(clip / qmax);
  if (!(s > 0)) s = 1;
  if (shiftOnly) s = pow2Ceil(s);
  return { aq: { format: { type: 'int', bits: b, signed: !unsigned }, scale: s, zeroPoint: 0 }, qmin, qmax, bipolar: false };
}

/** Quantizes one segment whose input is `input`; returns the layer and its output quantization (null: accumulator). */
export function quantizeSegment(seg: Segment, input: ActQuant, o: LayerQuantOptions): { layer: DenseLayer | Conv2dLayer; out: ActQuant | null; report: LayerQuantReport } {
  const c = seg.compute;
  const rows = c.kind === 'dense' ? c.out : c.outC;
  const sx = input.scale;
  const final = o.isLast && seg.act === null;
  const threshold = !final && (seg.act === 'sign' || o.ls.abits <= 4);
  const perChannel = final ? false : o.perChannel || o.group > 0;
  let stage: OutputStage;
  let out: ActQuant | null = null;
  let clip = 0;
  let weights: QuantWeightsOut;
  let bias: Int32Array | null = null;

  if (threshold) {
    weights = quantizeLayerWeights(c.weight, rows, o.ls, perChannel, false, o.group);
    if (weights.groups) resolveGroups(weights, rows, input, !perChannel, o.name, () => null, () => true);
    const aff = channelAffine(rows, sx, weights.scale, c.bias, seg.bn);
    applyFlips(weights.q, rows, aff.flip);
    clip = seg.act === 'sign' ? 1 : chooseClip(o.stats, o.calib, specFor(seg, o.ls.abits));
    const oq = outputQuant(seg, o.ls, clip, o.shiftOnly);
    out = oq.aq;
    // the stored weight scale carries the folded BN factor and sign: real pre-activation = S*acc + B
    weights.scale = perChannel || aff.S.some((s) => s !== aff.S[0]) ? Array.from(aff.S, (s) => s / sx) : [aff.S[0] / sx];
    const thresholds = oq.bipolar ? signThresholds(aff) : multiThresholds(aff, oq.aq.scale, 0, oq.qmin, oq.qmax);
    stage = {
      kind: 'threshold', thresholds, channels: rows, steps: oq.bipolar ? 1 : oq.qmax - oq.qmin,
      offset: oq.bipolar ? 0 : oq.qmin, bipolar: oq.bipolar, output: oq.aq,
    };
  } else {
    const folded = seg.bn === null ? { weight: c.weight, bias: c.bias } : foldBatchNorm(c.weight, c.bias, seg.bn);
    if (!final) clip = chooseClip(o.stats, o.calib, specFor(seg, o.ls.abits));
    const oq = final ? null : outputQuant(seg, o.ls, clip, o.shiftOnly);
    weights = quantizeLayerWeights(folded.weight, rows, o.ls, perChannel, o.shiftOnly, o.group);
    const biasFor = (sw: number[]): Int32Array | null => quantizeBias(folded.bias, sx, sw, rows);
    // every requantizer multiplier representable (quantizeMultiplier gives 0 below 2^-32)
    const scalable = (sw: number[]): boolean => oq === null || sw.every((u) => quantizeMultiplier((sx * u) / oq.aq.scale).multiplier > 0);
    bias = weights.groups ? resolveGroups(weights, rows, input, !perChannel, o.name, biasFor, scalable) : biasFor(weights.scale);
    if (oq === null) stage = { kind: 'accumulator' };
    else {
      out = oq.aq;
      const sy = oq.aq.scale;
      let scaling: Scaling;
      if (o.shiftOnly) {
        const ex = pow2Exponent(sx, `${o.name}: input scale`);
        const ey = pow2Exponent(sy, `${o.name}: output scale`);
        const shift = weights.scale.map((sw) => ey - ex - pow2Exponent(sw, `${o.name}: weight scale`));
        if (shift.some((n) => n < 0 || n > 62)) throw badValue(`${o.name}: requantization shift`, Math.min(...shift), '0..62 (output scale too fine for shift-only requantization)');
        scaling = { kind: 'shift', rounding: 'RND', shift };
      } else {
        const mq = weights.scale.map((sw) => quantizeMultiplier((sx * sw) / sy));
        scaling = { kind: 'multiplier', variant: o.variant, multiplier: mq.map((m) => m.multiplier), shift: mq.map((m) => m.shift) };
      }
      let lo = oq.qmin;
      let hi = oq.qmax;
      if (seg.act === 'hardtanh') {
        lo = Math.max(lo, roundHalfEven(-1 / sy));
        hi = Math.min(hi, roundHalfEven(1 / sy));
      }
      stage = { kind: 'requantize', scaling, output: oq.aq, clamp: { min: lo, max: hi } };
    }
  }
  const weight = { format: weights.format, data: weights.q, zeroPoint: weights.scale.map(() => 0), scale: weights.scale, ...(weights.group ? { group: weights.group } : {}) };
  const layer: DenseLayer | Conv2dLayer = c.kind === 'dense'
    ? { kind: 'dense', name: o.name, inFeatures: c.in, outFeatures: c.out, input, weight, bias, output: stage }
    : {
        kind: 'conv2d', name: o.name, inChannels: c.inC, outChannels: c.outC, kernel: [c.k, c.k], stride: [c.stride, c.stride],
        padding: [c.pad, c.pad, c.pad, c.pad], input, weight, bias, output: stage,
      };
  const wname = weights.format.type === 'binary' ? 'binary' : `int${weights.format.bits}`;
  return { layer, out, report: { name: o.name, weight: `${wname}${o.ls.weight.kind === 'pow2' ? ' (pow2)' : o.ls.weight.kind === 'ternary' ? ' (ternary)' : ''}`, stage: stage.kind, clip, outScale: out?.scale ?? 0 } };
}

/**
 * Turns `w.groups` into integer multipliers (quant/group.ts): the largest F whose widened accumulator
 * (bias `biasFor(unit)` included) fits int32 and whose units `ok` accepts; sets `w.scale` to the units and
 * `w.group`; returns the bias.
 */
function resolveGroups(
  w: QuantWeightsOut, rows: number, input: ActQuant, sharedUnit: boolean, name: string,
  biasFor: (unit: number[]) => Int32Array | null, ok: (unit: number[]) => boolean,
): Int32Array | null {
  const gs = w.groups!;
  const r = chooseGroupF(name, (F) => {
    const g = groupScaling(gs.scales, rows, gs.size, F, sharedUnit);
    const bias = biasFor(g.unit);
    return ok(g.unit) && groupAccBound(w.q, rows, g.group, input, bias) <= INT32_MAX ? { g, bias } : null;
  });
  w.scale = r.g.unit;
  w.group = r.g.group;
  return r.bias;
}

function specFor(seg: Segment, bits: number): UniformSpec {
  return seg.act === 'relu'
    ? { format: intFormat(bits, false), symmetric: true, narrow: false }
    : { format: intFormat(Math.max(bits, 2), true), symmetric: true, narrow: true };
}

/** `b_q[o] = rint(b[o] / (s_x * s_w[o]))`, saturated to int32. */
export function quantizeBias(b: Float32Array | null, sx: number, sw: number[], rows: number): Int32Array | null {
  if (b === null) return null;
  const out = new Int32Array(rows);
  for (let o = 0; o < rows; o++) {
    const v = roundHalfEven(Math.max(INT32_MIN, Math.min(INT32_MAX, b[o] / (sx * sw[sw.length === 1 ? 0 : o]))));
    out[o] = v;
  }
  return out;
}
