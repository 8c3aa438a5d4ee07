/**
 * Folding what follows an integer accumulator into the hardware's output stage.
 *
 * A dense/conv output channel o computes `acc[o] = sum (w_q - w_zp)(x_q - x_zp)`; its real pre-activation is
 *   `y[o] = a[o] * (s_x * s_w[o] * acc[o] + b[o] - mean[o]) + beta[o]`,  `a[o] = gamma[o] / sqrt(var[o] + eps)`
 * (a = 1, mean = beta = 0 without batch-norm) — an affine map `y = S[o] * acc + B[o]` with
 * `S = a * s_x * s_w`, `B = a * (b - mean) + beta`.
 *
 * - Batch-norm folding into float weights (for requantized layers; Jacob et al. 2018):
 *   `w'[o][:] = a[o] * w[o][:]`, `b'[o] = a[o] * (b[o] - mean[o]) + beta[o]`.
 * - Thresholds (FINN): where S[o] < 0 the comparison flips; lowbit negates that channel's integer weights
 *   (`flip[o] = 1`, so acc becomes -acc and S becomes |S|), then every output level is a threshold on acc:
 *   output code `q = clamp(rint(y / s_y) + zp)` reaches `qmin + t` (t = 1..qmax-qmin) iff
 *   `y >= s_y * (qmin + t - zp - 1/2)`, i.e. `acc >= T_t = ceil((s_y * (qmin + t - zp - 1/2) - B) / S)`.
 *   A sign (bipolar) output is +1 iff `y >= 0`: one threshold `ceil(-B / S)`. Exact ties of y with a
 *   rounding edge are resolved upward (the half-even rule is not reproduced on exact ties).
 *   S = 0: y = B is constant; thresholds are INT32_MIN (always reached) or INT32_MAX (never, an int32
 *   accumulator equals INT32_MAX only at overflow).
 *   Thresholds are clamped to int32.
 */
import type { BatchNormCkpt } from '../model/checkpoint.js';

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

/** Per-channel batch-norm scale `a` and shift: `bn(x) = a * x + (beta - a * mean)`. */
export function bnScale(bn: BatchNormCkpt): { a: Float64Array; shift: Float64Array } {
  const a = new Float64Array(bn.channels);
  const shift = new Float64Array(bn.channels);
  for (let c = 0; c < bn.channels; c++) {
    a[c] = bn.gamma[c] / Math.sqrt(bn.var[c] + bn.eps);
    shift[c] = bn.beta[c] - a[c] * bn.mean[c];
  }
  return { a, shift };
}

/**
 * Folds batch-norm into float weights `[rows][cols]` and bias: returns new arrays `w' = a*w`,
 * `b' = a*(b - mean) + beta` (b = 0 when `bias` is null).
 */
export function foldBatchNorm(w: Float32Array, bias: Float32Array | null, bn: BatchNormCkpt): { weight: Float32Array; bias: Float32Array } {
  const rows = bn.channels;
  const cols = w.length / rows;
  const { a, shift } = bnScale(bn);
  const weight = new Float32Array(w.length);
  const b = new Float32Array(rows);
  for (let o = 0; o < rows; o++) {
    for (let i = 0; i < cols; i++) weight[o * cols + i] = a[o] * w[o * cols + i];
    b[o] = a[o] * (bias === null ? 0 : bias[o]) + shift[o];
  }
  return { weight, bias: b };
}

/** The affine map `y = S * acc + B` of each output channel, with S made >= 0 by flipping channels. */
export interface ChannelAffine {
  S: Float64Array;
  B: Float64Array;
  /** 1 where the channel's integer weights must be negated (the BN scale times s_w was negative) */
  flip: Uint8Array;
}

/**
 * `S = a * s_x * s_w[o]`, `B = a * (b - mean) + beta` per channel; `sw` has one entry (per tensor) or one per
 * channel. Negative S flips the channel.
 */
export function channelAffine(channels: number, sx: number, sw: ArrayLike<number>, bias: ArrayLike<number> | null, bn: BatchNormCkpt | null): ChannelAffine {
  const S = new Float64Array(channels);
  const B = new Float64Array(channels);
  const flip = new Uint8Array(channels);
  const ab = bn === null ? null : bnScale(bn);
  for (let o = 0; o < channels; o++) {
    const a = ab === null ? 1 : ab.a[o];
    const b = bias === null ? 0 : bias[o];
    let s = a * sx * sw[sw.length === 1 ? 0 : o];
    B[o] = a * b + (ab === null ? 0 : ab.shift[o]);
    if (s < 0) {
      flip[o] = 1;
      s = -s;
    }
    S[o] = s;
  }
  return { S, B, flip };
}

function clampI32(t: number): number {
  if (t !== t) return INT32_MAX;
  return t < INT32_MIN ? INT32_MIN : t > INT32_MAX ? INT32_MAX : t;
}

/** The smallest integer acc with `S * acc + B >= edge` (S >= 0), clamped to int32. */
export function thresholdFor(S: number, B: number, edge: number): number {
  if (S === 0) return B >= edge ? INT32_MIN : INT32_MAX;
  const t = (edge - B) / S;
  let T = Math.ceil(t);
  // guard the float division: move T so that it is the least integer meeting the condition
  if (Number.isFinite(T) && Math.abs(T) < 2 ** 52) {
    for (let k = 0; k < 4 && S * (T - 1) + B >= edge; k++) T--;
    for (let k = 0; k < 4 && S * T + B < edge; k++) T++;
  }
  return clampI32(T);
}

/**
 * Multi-threshold table for an output quantized as `q = clamp(rint(y / sy) + zp, qmin, qmax)`:
 * `thresholds[o * steps + t - 1]` (t = 1..steps, steps = qmax - qmin); the output is
 * `qmin + #{t : acc >= T_t}` (FINN MultiThreshold with offset qmin).
 */
export function multiThresholds(aff: ChannelAffine, sy: number, zp: number, qmin: number, qmax: number): Int32Array {
  const channels = aff.S.length;
  const steps = qmax - qmin;
  const out = new Int32Array(channels * steps);
  for (let o = 0; o < channels; o++) {
    for (let t = 1; t <= steps; t++) {
      out[o * steps + t - 1] = thresholdFor(aff.S[o], aff.B[o], sy * (qmin + t - zp - 0.5));
    }
  }
  return out;
}

/** One threshold per channel for a sign output (+1 iff `S * acc + B >= 0`). */
export function signThresholds(aff: ChannelAffine): Int32Array {
  const out = new Int32Array(aff.S.length);
  for (let o = 0; o < out.length; o++) out[o] = thresholdFor(aff.S[o], aff.B[o], 0);
  return out;
}

/** Negates the integer weight rows (and zero points) of flipped channels, in place. */
export function applyFlips(q: Int32Array, rows: number, flip: Uint8Array, zeroPoint?: Int32Array): void {
  const cols = q.length / rows;
  for (let o = 0; o < rows; o++) {
    if (!flip[o]) continue;
    for (let i = 0; i < cols; i++) q[o * cols + i] = -q[o * cols + i];
    if (zeroPoint !== undefined && zeroPoint.length === rows) zeroPoint[o] = -zeroPoint[o];
  }
}
