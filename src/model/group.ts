import { formatBits } from '../arith/format.js';
import { roundHalfEven } from '../arith/requant.js';
import { InputError } from '../util/errors.js';
import type { Conv2dLayer, DenseLayer, WeightGroups } from './types.js';
import { groupCount } from './weight_only.js';

/**
 * Per-group (block) weight scales with integer activations (docs/model.md "Per-group weight scales").
 *
 * A dense/conv row of K weights (dense: the inputs; conv: (c, i, j) of OIHW) is cut into G = ceil(K / size)
 * groups of `size` consecutive weights, the last possibly shorter. Group g of output o has the real scale
 * `s[o][g] = u[o] * m[o][g]`: `u[o]` = `weight.scale[o]` is the scale of one unit of the widened
 * accumulator and `m[o][g]` an integer 0..2^16. The accumulator is
 *
 *   acc[o] = wrap32( bias[o] + sum_g m[o][g] * acc_g[o] ),   acc_g[o] = sum_{k in g} (w[o][k] - wZp[o]) (x[k] - xZp)
 *
 * and its real value is `s_x * u[o] * acc[o]`, so the layer's output stage (requantize / threshold /
 * accumulator) reads it unchanged, with `u[o]` in place of the per-channel weight scale. Because
 * multiplication distributes over the ring sum, this equals the plain accumulation of the effective weights
 * `w'[o][k] = (w[o][k] - wZp[o]) * m[o][g(k)]`, g(k) = floor(k / size), modulo 2^32 — `effectiveWeights`,
 * the one implementation the reference inference (mac.ts) and the accumulator bounds (estimate) use.
 *
 * Multipliers from float group scales (quant/group.ts): with F fraction bits and the common scale
 * `u[o] = max_g s[o][g] / 2^F`, `m[o][g] = rint(s[o][g] / u[o])` in 0..2^F. The real pre-activation with the
 * float scales, `r = s_x sum_g s[o][g] acc_g + b`, and the integer one, `s_x u acc`, differ by at most
 *
 *   |r - s_x u[o] acc[o]| <= s_x u[o] / 2 * (sum_g |acc_g[o]| + 1) = s_x max_g s[o][g] 2^-(F+1) (sum_g |acc_g| + 1)
 *
 * (|s - m u| <= u / 2 per group; the bias rounded to units of s_x u adds at most s_x u / 2), provided no
 * wrap occurs: |acc| <= |bias| + sum_k |w'[o][k]| max|x - xZp| < 2^31, which quant/group.ts proves for the
 * F it chooses (the largest F <= 16 that fits).
 *
 * The weights of a grouped layer are integers of at most 15 bits or binary, so that every effective
 * weight `|w - wZp| * m <= (2^15 - 1) 2^16` fits an int32.
 */

/** Largest group multiplier: m in 0..2^GROUP_F_MAX. */
export const GROUP_F_MAX = 16;
export const GROUP_MULTIPLIER_MAX = 2 ** GROUP_F_MAX;
/** Widest integer weight format of a grouped layer (effective weights fit int32). */
export const GROUP_WEIGHT_MAX_BITS = 15;

/** Output channels and row length K of a dense/conv layer. */
export function layerRowsK(l: DenseLayer | Conv2dLayer): { rows: number; K: number } {
  return l.kind === 'dense' ? { rows: l.outFeatures, K: l.inFeatures } : { rows: l.outChannels, K: l.inChannels * l.kernel[0] * l.kernel[1] };
}

/** Groups per row of a grouped layer (1 when it has one scale per row). */
export function groupsPerRow(l: DenseLayer | Conv2dLayer): number {
  const g = l.weight.group;
  return g === undefined ? 1 : groupCount(layerRowsK(l).K, g.size);
}

/** Effective weights `w'[o][k] = (w[o][k] - wZp[o]) * m[o][floor(k / size)]` (m = 1 without groups), row-major. */
export function effectiveWeights(l: DenseLayer | Conv2dLayer): Int32Array {
  const { rows, K } = layerRowsK(l);
  const data = l.weight.data;
  const zp = l.weight.zeroPoint;
  const grp = l.weight.group;
  const G = groupsPerRow(l);
  const w = new Int32Array(rows * K);
  for (let o = 0; o < rows; o++) {
    const z = zp.length === 1 ? zp[0]! : zp[o]!;
    for (let k = 0; k < K; k++) {
      const m = grp === undefined ? 1 : grp.multiplier[o * G + Math.floor(k / grp.size)]!;
      w[o * K + k] = (data[o * K + k]! - z) * m;
    }
  }
  return w;
}

/** The name of a grouped layer's scales for messages, e.g. "per-group scales (group 64, 13 groups per row)". */
export function groupDescription(l: DenseLayer | Conv2dLayer): string {
  const g = l.weight.group;
  return g === undefined ? 'per-channel scales' : `per-group weight scales (group ${g.size}, ${groupsPerRow(l)} groups per row)`;
}

/** Bits of a layer's group multipliers (each 0..2^16: GROUP_F_MAX + 1 bits), 0 without groups. */
export function groupMultiplierBits(l: DenseLayer | Conv2dLayer): number {
  return l.weight.group === undefined ? 0 : l.weight.group.multiplier.length * (GROUP_F_MAX + 1);
}

/** The first layer with per-group scales, or undefined. */
export function groupedLayer(layers: readonly { kind: string }[]): DenseLayer | Conv2dLayer | undefined {
  return layers.find((x): x is DenseLayer | Conv2dLayer => (x.kind === 'dense' || x.kind === 'conv2d') && (x as DenseLayer).weight.group !== undefined);
}

/** One-line refusal naming the first layer with per-group scales: `what` cannot run it; `fix` says what to do. */
export function refuseGroupedLayers(layers: readonly { kind: string }[], what: string, fix: string): void {
  const l = groupedLayer(layers);
  if (l !== undefined) throw new InputError(`layer ${l.name}: ${groupDescription(l)}; ${what}; ${fix}`);
}

/** Field checks of `weight.group` (validate.ts); `at` prefixes the field path. */
export function checkWeightGroups(at: string, l: DenseLayer | Conv2dLayer): void {
  const g = l.weight.group;
  if (g === undefined) return;
  if (g === null || typeof g !== 'object') throw new InputError(`${at}: got ${JSON.stringify(g)}; expected {size, multiplier} or no field`);
  const { rows, K } = layerRowsK(l);
  if (!Number.isInteger(g.size) || g.size < 1 || g.size >= K) {
    throw new InputError(`${at}.size: got ${g.size}; expected an integer 1..${K - 1} (a group of ${K} or more is one scale per row: omit the field)`);
  }
  const f = l.weight.format;
  if (f.type === 'int' && formatBits(f) > GROUP_WEIGHT_MAX_BITS) {
    throw new InputError(`${at}: weights int${f.bits}; per-group scales take weights of at most ${GROUP_WEIGHT_MAX_BITS} bits (so w * m fits int32)`);
  }
  const n = rows * groupCount(K, g.size);
  if (!(g.multiplier instanceof Int32Array) || g.multiplier.length !== n) {
    throw new InputError(`${at}.multiplier: got ${g.multiplier?.length} values; expected an Int32Array of ${rows} x ${groupCount(K, g.size)} = ${n}`);
  }
  for (let i = 0; i < n; i++) {
    const m = g.multiplier[i]!;
    if (m < 0 || m > GROUP_MULTIPLIER_MAX) throw new InputError(`${at}.multiplier[${i}]: got ${m}; expected an integer 0..${GROUP_MULTIPLIER_MAX}`);
  }
}

export interface GroupScaling {
  /** F: multipliers are 0..2^F */
  fracBits: number;
  /** u[o] (one value when the unit is shared) */
  unit: number[];
  group: WeightGroups;
}

/**
 * Per-group float weight scales -> integer multipliers. For F fraction bits, the unit of the widened
 * accumulator is `u[o] = max_g s[o][g] / 2^F` (per output row; `sharedUnit`: one u for the whole layer, the
 * max over every row, as the logits layer needs) and `m[o][g] = rint_even(s[o][g] / u[o])`, in 0..2^F
 * because s <= max (the error bound in the file header).
 */
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
