import { formatRange } from '../arith/format.js';
import { roundHalfEven } from '../arith/requant.js';
import { GROUP_F_MAX } from '../model/group.js';
import type { ActQuant, WeightGroups } from '../model/types.js';
import { InputError } from '../util/errors.js';

/**
 * Per-group float weight scales -> the QuantizedModel's integer group multipliers (model/group.ts).
 *
 * For F fraction bits, the unit of the widened accumulator is `u[o] = max_g s[o][g] / 2^F` (per output row;
 * `sharedUnit`: one u for the whole layer, `max` over every row, as the logits layer needs) and the
 * multiplier of group g is `m[o][g] = rint_even(s[o][g] / u[o])`, in 0..2^F because s <= max. The error of
 * the integer accumulator against the float group scales is then at most `s_x u[o] / 2 * (sum_g |acc_g| + 1)`
 * (model/group.ts). `chooseGroupF` takes the largest F <= GROUP_F_MAX whose layer the caller accepts (the
 * accumulator bound below fits int32 and the requantizer can represent the scale).
 */
export interface GroupScaling {
  /** F: multipliers are 0..2^F */
  fracBits: number;
  /** u[o] (one value when the unit is shared) */
  unit: number[];
  group: WeightGroups;
}

/** The multipliers of `scales` (`rows x G`, group size `size`) at F fraction bits (file header). */
export function groupScaling(scales: ArrayLike<number>, rows: number, size: number, F: number, sharedUnit: boolean): GroupScaling {
  const G = scales.length / rows;
  const rowMax = (o: number): number => {
    let m = 0;
    for (let g = 0; g < G; g++) m = Math.max(m, scales[o * G + g]!);
    return m;
  };
  const maxes = Array.from({ length: rows }, (_, o) => rowMax(o));
  const unit = sharedUnit ? [Math.max(...maxes) / 2 ** F] : maxes.map((m) => m / 2 ** F);
  const multiplier = new Int32Array(rows * G);
  for (let o = 0; o < rows; o++) {
    const u = unit[sharedUnit ? 0 : o]!;
    for (let g = 0; g < G; g++) multiplier[o * G + g] = roundHalfEven(scales[o * G + g]! / u);
  }
  return { fracBits: F, unit, group: { size, multiplier } };
}

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
