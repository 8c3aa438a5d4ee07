import { InputError } from '../../util/errors.js';
import { formatRange, type Conv2dLayer, type DenseLayer } from '../types.js';

/** The integer a quantizer outputs for accumulator `acc` of output channel `o`; nondecreasing in acc. */
export type LevelFn = (acc: number, o: number) => number;

/**
 * The largest |acc| a dense/conv layer can produce per output channel: sum_k max|w[o][k] - wZp| * max|x - xZp|
 * + |bias[o]| over the input format's range (padding reads the zero point, adding 0).
 */
export function accumulatorBound(l: DenseLayer | Conv2dLayer): number[] {
  const O = l.kind === 'dense' ? l.outFeatures : l.outChannels;
  const K = l.weight.data.length / O;
  const r = formatRange(l.input.format);
  const xMax = Math.max(Math.abs(r.max - l.input.zeroPoint), Math.abs(r.min - l.input.zeroPoint));
  const out: number[] = [];
  for (let o = 0; o < O; o++) {
    const wz = l.weight.zeroPoint.length === 1 ? l.weight.zeroPoint[0]! : l.weight.zeroPoint[o]!;
    let s = Math.abs(l.bias?.[o] ?? 0);
    for (let k = 0; k < K; k++) s += Math.abs(l.weight.data[o * K + k]! - wz) * xMax;
    out.push(s);
  }
  return out;
}

/** The integer levels a quantizer outputs for accumulators `acc[o]` of every output channel o (one each). */
export type LevelsFn = (acc: Int32Array) => ArrayLike<number>;

/** Per-channel LevelFn -> LevelsFn. */
export function perChannel(level: LevelFn): LevelsFn {
  return (acc) => Array.from(acc, (a, o) => level(a, o));
}

/**
 * Thresholds of a monotone quantizer: for each channel o and each target level k of `levels` (ascending), the
 * smallest integer acc in [-bound[o], bound[o] + 1] with level(acc)[o] >= k (bound[o] + 1: never reached), by
 * bisection (all channels at once). Then #{k : acc >= T[o][k]} + (lowest level) equals level(acc)[o] for every
 * reachable acc. Returns T laid out [o * levels.length + k]. The reachable range must fit int32.
 */
export function monotoneThresholds(level: LevelsFn, bound: number[], levels: number[], where: string): Int32Array {
  const O = bound.length;
  const out = new Int32Array(O * levels.length);
  bound.forEach((hi, o) => {
    if (hi + 1 > 2 ** 31 - 1) throw new InputError(`${where}: output channel ${o}: the accumulator can reach ${hi}; thresholds beyond int32 are not representable`);
  });
  const a = new Int32Array(O);
  const b = new Int32Array(O);
  const mid = new Int32Array(O);
  levels.forEach((k, j) => {
    // invariant: level(a) < k <= level(b), with level(bound + 1) >= k by convention (never reached)
    for (let o = 0; o < O; o++) {
      a[o] = -bound[o]!;
      b[o] = bound[o]! + 1;
    }
    const l0 = level(a);
    for (let o = 0; o < O; o++) if (l0[o]! >= k) b[o] = a[o]!;
    for (;;) {
      let open = false;
      for (let o = 0; o < O; o++) {
        mid[o] = b[o]! - a[o]! > 1 ? Math.floor((a[o]! + b[o]!) / 2) : a[o]!;
        if (b[o]! - a[o]! > 1) open = true;
      }
      if (!open) break;
      const lm = level(mid);
      for (let o = 0; o < O; o++) {
        if (b[o]! - a[o]! <= 1) continue;
        if (lm[o]! >= k) b[o] = mid[o]!;
        else a[o] = mid[o]!;
      }
    }
    for (let o = 0; o < O; o++) out[o * levels.length + j] = b[o]!;
  });
  return out;
}
