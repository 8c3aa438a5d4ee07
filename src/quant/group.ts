import { formatRange } from '../arith/format.js';
import { GROUP_F_MAX } from '../model/group.js';
import type { ActQuant, WeightGroups } from '../model/types.js';
import { InputError } from '../util/errors.js';

/**
 * PTQ's choice of the group multipliers' precision F (the multipliers themselves: `groupScaling` in
 * model/group.ts, shared with QAT): `chooseGroupF` takes the largest F <= GROUP_F_MAX whose layer the caller
 * accepts (the accumulator bound below fits int32 and the requantizer can represent the scale).
 */

/**
 * The largest |acc| of the widened accumulator: max over rows of |bias[o]| + sum_k |w[o][k]| m[o][g(k)] X,
 * X = max |x - xZp| over the input format (weights with zero point 0).
 */
export function groupAccBound(q: Int32Array, rows: number, g: WeightGroups, input: ActQuant, bias: Int32Array | null): number {
  const K = q.length / rows;
  const G = g.multiplier.length / rows;
  const r = formatRange(input.format);
  const X = Math.max(Math.abs(r.min - input.zeroPoint), Math.abs(r.max - input.zeroPoint));
  let worst = 0;
  for (let o = 0; o < rows; o++) {
    let s = bias === null ? 0 : Math.abs(bias[o]!);
    for (let k = 0; k < K; k++) s += Math.abs(q[o * K + k]!) * g.multiplier[o * G + Math.floor(k / g.size)]! * X;
    worst = Math.max(worst, s);
  }
  return worst;
}

/** `build(F)` for F = GROUP_F_MAX down to 0; returns the first result that is not null. */
export function chooseGroupF<T>(layer: string, build: (F: number) => T | null): T {
  for (let F = GROUP_F_MAX; F >= 0; F--) {
    const r = build(F);
    if (r !== null) return r;
  }
  throw new InputError(`layer ${layer}: no group multiplier precision keeps the widened accumulator within int32 (or the requantizer's range); use a larger --group or fewer bits`);
}
