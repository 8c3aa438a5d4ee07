/**
 * Uniform (linear) quantizers: an integer q stands for the real value `scale * (q - zeroPoint)`.
 *
 * Quantize (ONNX QuantizeLinear, docs/arithmetic.md section 3): `q = clamp(rint(float32(x / scale)) + zp, qmin, qmax)`
 * with `rint` = round half to even (arith's `roundHalfEven`). Ranges of the spec's int format of b bits
 * (arith's formatRange):
 * - signed:   `[-2^(b-1), 2^(b-1) - 1]`; narrow range drops the most negative value: `[-(2^(b-1) - 1), 2^(b-1) - 1]`
 * - unsigned: `[0, 2^b - 1]`
 * Choosing scale and zero point for a real range `[lo, hi]`:
 * - symmetric (zp = 0): signed `scale = max(|lo|, |hi|) / qmax`; unsigned `scale = hi / qmax` (lo clipped to 0)
 * - asymmetric: widen the range to hold 0, `scale = (hi - lo) / (qmax - qmin)`,
 *   `zp = clamp(qmin - rint(lo / scale), qmin, qmax)` so that 0 is exactly representable.
 * Scales are float32 values (Math.fround), as ONNX stores them. A zero range gives scale 1.
 * Granularity of weight scales: per tensor, per output channel (row), or per group of `groupSize`
 * consecutive elements of a row (ONNX blocked quantization: scale index `col // groupSize`).
 */
import { checkIntFormat, formatRange, roundHalfEven, type IntFormat } from '../arith/index.js';
import { InputError, badValue, checkFiniteArray, checkInt, checkScale } from '../util/errors.js';

export interface UniformSpec {
  /** the integer codes' format: 1..16 bits, signed or unsigned */
  format: IntFormat;
  /** zero point fixed at 0 */
  symmetric: boolean;
  /** signed only: drop the most negative code so the range is symmetric */
  narrow: boolean;
}

export interface QParams {
  scale: number;
  zeroPoint: number;
}

export type Granularity = 'tensor' | 'channel' | { groupSize: number };

export function checkSpec(s: UniformSpec, name = 'spec'): UniformSpec {
  const f = checkIntFormat(s.format, `${name}.format`);
  checkInt(`${name}.format.bits`, f.bits, 1, 16);
  if (s.narrow && !f.signed) throw badValue(`${name}.narrow`, true, 'false for unsigned formats');
  if (s.narrow && f.bits < 2) throw badValue(`${name}.format.bits`, f.bits, '2..16 with a narrow signed range');
  return s;
}

/** Inclusive integer range of a spec. */
export function qRange(s: UniformSpec): { qmin: number; qmax: number } {
  const r = formatRange(s.format, s.narrow);
  return { qmin: r.min, qmax: r.max };
}

/** Scale and zero point that cover `[lo, hi]` under `spec` (see the header). */
export function chooseQParams(lo: number, hi: number, spec: UniformSpec): QParams {
  checkSpec(spec);
  if (!(lo <= hi) || !Number.isFinite(lo) || !Number.isFinite(hi)) throw new InputError(`range: got [${lo}, ${hi}]; allowed: lo <= hi, both finite`);
  const { qmin, qmax } = qRange(spec);
  const signed = spec.format.signed;
  if (spec.symmetric) {
    const amax = signed ? Math.max(Math.abs(lo), Math.abs(hi)) : Math.max(hi, 0);
    if (signed && qmax === 0) throw badValue('spec.format.bits', spec.format.bits, '>= 2 for a symmetric signed quantizer');
    const scale = amax > 0 ? Math.fround(amax / qmax) : 1;
    return { scale: scale > 0 ? scale : 1, zeroPoint: 0 };
  }
  const l = Math.min(lo, 0);
  const h = Math.max(hi, 0);
  if (h === l) return { scale: 1, zeroPoint: signed ? 0 : qmin };
  const scale = Math.fround((h - l) / (qmax - qmin));
  const zp = Math.min(qmax, Math.max(qmin, qmin - roundHalfEven(l / scale)));
  return { scale, zeroPoint: zp };
}

/** `q = clamp(rint(float32(x / scale)) + zp, qmin, qmax)` — one value. */
export function quantizeValue(x: number, scale: number, zeroPoint: number, qmin: number, qmax: number): number {
  if (!(scale > 0 && scale < Infinity)) throw badValue('scale', scale, 'a finite scale > 0');
  if (x - x !== 0) throw badValue('x', x, 'a finite number (no NaN or infinity)');
  let f = Math.fround(x / scale);
  // clamp before rounding so the half-even rounding stays in its exact range; same result after the final clamp
  const lo = qmin - zeroPoint - 1;
  const hi = qmax - zeroPoint + 1;
  if (f < lo) f = lo;
  else if (f > hi) f = hi;
  const q = roundHalfEven(f) + zeroPoint;
  return q < qmin ? qmin : q > qmax ? qmax : q;
}

/** Quantizes `x` with one scale/zero point into `out`. */
export function quantizeArray(x: ArrayLike<number>, p: QParams, spec: UniformSpec, out: Int32Array): Int32Array {
  const { qmin, qmax } = qRange(spec);
  for (let i = 0; i < x.length; i++) out[i] = quantizeValue(x[i], p.scale, p.zeroPoint, qmin, qmax);
  return out;
}

/** `out[i] = scale * (q[i] - zp)`. */
export function dequantizeArray(q: ArrayLike<number>, p: QParams, out: Float32Array): Float32Array {
  checkScale('scale', p.scale);
  for (let i = 0; i < q.length; i++) out[i] = p.scale * (q[i] - p.zeroPoint);
  return out;
}

/** Quantize then dequantize (fake quantization) into `out`. */
export function fakeQuantArray(x: ArrayLike<number>, p: QParams, spec: UniformSpec, out: Float32Array): Float32Array {
  const { qmin, qmax } = qRange(spec);
  for (let i = 0; i < x.length; i++) out[i] = p.scale * (quantizeValue(x[i], p.scale, p.zeroPoint, qmin, qmax) - p.zeroPoint);
  return out;
}

/** Quantized weight matrix: `q` row-major like the input, one QParams per tensor, row or group. */
export interface QuantizedWeights {
  q: Int32Array;
  scale: Float64Array;
  zeroPoint: Int32Array;
  /** scales per row (1 for per-tensor, 1 per row for per-channel, ceil(cols / groupSize) per group) */
  groupsPerRow: number;
  /** elements per scale group along a row (cols for per-channel and per-tensor) */
  groupSize: number;
  perTensor: boolean;
}

/**
 * Quantizes a `rows x cols` weight matrix (row = output channel) with scales per tensor, row or group.
 * `clip(values, spec)` chooses the real range of each group (default: its min and max).
 */
export function quantizeWeightMatrix(
  w: Float32Array, rows: number, spec: UniformSpec, granularity: Granularity,
  clip: (v: Float32Array, spec: UniformSpec) => { lo: number; hi: number } = minMaxOf,
): QuantizedWeights {
  checkSpec(spec);
  checkFiniteArray('w', w);
  if (rows < 1 || w.length % rows !== 0) throw badValue('rows', rows, `a divisor of the weight count ${w.length}`);
  const cols = w.length / rows;
  const perTensor = granularity === 'tensor';
  const groupSize = typeof granularity === 'object' ? checkInt('groupSize', granularity.groupSize, 1, cols) : cols;
  const groupsPerRow = Math.ceil(cols / groupSize);
  const nScales = perTensor ? 1 : rows * groupsPerRow;
  const scale = new Float64Array(nScales);
  const zeroPoint = new Int32Array(nScales);
  const q = new Int32Array(w.length);
  const { qmin, qmax } = qRange(spec);
  const setGroup = (k: number, v: Float32Array): void => {
    const r = clip(v, spec);
    const p = chooseQParams(r.lo, r.hi, spec);
    scale[k] = p.scale;
    zeroPoint[k] = p.zeroPoint;
  };
  if (perTensor) setGroup(0, w);
  else for (let r = 0; r < rows; r++) {
    for (let g = 0; g < groupsPerRow; g++) {
      const start = r * cols + g * groupSize;
      setGroup(r * groupsPerRow + g, w.subarray(start, Math.min(start + groupSize, (r + 1) * cols)));
    }
  }
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const k = perTensor ? 0 : r * groupsPerRow + Math.floor(c / groupSize);
      q[r * cols + c] = quantizeValue(w[r * cols + c], scale[k], zeroPoint[k], qmin, qmax);
    }
  }
  return { q, scale, zeroPoint, groupsPerRow, groupSize, perTensor };
}

/** The dequantized weights of `quantizeWeightMatrix`' result, into `out`. */
export function dequantizeWeights(qw: QuantizedWeights, rows: number, out: Float32Array): Float32Array {
  const cols = qw.q.length / rows;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const k = qw.perTensor ? 0 : r * qw.groupsPerRow + Math.floor(c / qw.groupSize);
      out[r * cols + c] = qw.scale[k] * (qw.q[r * cols + c] - qw.zeroPoint[k]);
    }
  }
  return out;
}

/** The smallest and largest value. */
export function minMaxOf(v: ArrayLike<number>): { lo: number; hi: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < v.length; i++) {
    if (v[i] < lo) lo = v[i];
    if (v[i] > hi) hi = v[i];
  }
  return v.length === 0 ? { lo: 0, hi: 0 } : { lo, hi };
}

/** Sum of squared differences between `x` and its fake-quantized value (the error a clip minimises). */
export function quantError(x: ArrayLike<number>, p: QParams, spec: UniformSpec): number {
  const { qmin, qmax } = qRange(spec);
  let e = 0;
  for (let i = 0; i < x.length; i++) {
    const d = x[i] - p.scale * (quantizeValue(x[i], p.scale, p.zeroPoint, qmin, qmax) - p.zeroPoint);
    e += d * d;
  }
  return e;
}
