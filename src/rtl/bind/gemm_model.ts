import type { Design } from '../../hw/design.js';
import { intFormat } from '../../arith/format.js';
import { laneFormat } from '../../hw/mac_rule.js';
import { Rng } from '../../util/rng.js';
import { laneCorners, randomLane } from '../units/mac_pe.js';
import { macRule, type BindModel, type ModelRun, type Txn } from './models.js';

/**
 * gemm: one matrix product per transaction, `Y = A W` with A M x K (Design.activation), W K x N
 * (Design.weight) and Y M x N (Design.accumulator), every matrix row-major in its port's lanes (lane
 * m*K + k of `a` is A[m][k], lane k*N + n of `w` is W[k][n], lane m*N + n of `y` is Y[m][n]). Each element
 * is accumulated as lowbit's PEs and mac_array accumulate it, k = 0, 1, ..., K-1 in order:
 * `acc = ovf(acc + A[m][k] * W[k][n])` from 0, ovf = wrap or saturate to Design.accumulator after every
 * add (src/hw/mac_pe.ts accRule), so a saturating design is held to the same order of additions.
 * The shape comes from the lane counts: K = sqrt(|a| |w| / |y|), M = |a| / K, N = |w| / K.
 */
export interface GemmShape {
  m: number;
  k: number;
  n: number;
}

/** M, K, N from the lanes of a, w, y; undefined when they are not M*K, K*N, M*N of whole numbers. */
export function gemmShape(la: number, lw: number, ly: number): GemmShape | undefined {
  const k = Math.round(Math.sqrt((la * lw) / ly));
  if (k < 1 || la % k !== 0 || lw % k !== 0) return undefined;
  const s = { m: la / k, k, n: lw / k };
  return s.m * s.n === ly ? s : undefined;
}

/** Y = A W with the accumulator rule of the design (A, W row-major lane values). */
export function gemmProduct(d: Design, s: GemmShape, a: bigint[], w: bigint[]): bigint[] {
  const rule = macRule(d);
  const y: bigint[] = [];
  for (let m = 0; m < s.m; m++) {
    for (let n = 0; n < s.n; n++) {
      let acc = rule.zero;
      for (let k = 0; k < s.k; k++) acc = rule.mac(acc, Number(a[m * s.k + k]), Number(w[k * s.n + n]));
      y.push(rule.toBigInt(acc));
    }
  }
  return y;
}

export const gemmModel: BindModel = {
  name: 'gemm',
  operands: [
    { name: 'a', dir: 'in', optional: false, format: (d) => laneFormat(d.activation), lanes: 'any', describe: 'the M x K activation matrix, row-major (Design.activation)' },
    { name: 'w', dir: 'in', optional: false, format: (d) => laneFormat(d.weight), lanes: 'any', describe: 'the K x N weight matrix, row-major (Design.weight)' },
    { name: 'y', dir: 'out', optional: false, format: (d) => intFormat(d.accumulator.bits, true), lanes: 'any', describe: 'the M x N product, row-major (Design.accumulator)' },
  ],
  checkLanes(lanes) {
    if (gemmShape(lanes.a, lanes.w, lanes.y) !== undefined) return undefined;
    return `gemm: a (${lanes.a} lanes), w (${lanes.w} lanes) and y (${lanes.y} lanes) are not M x K, K x N and M x N matrices; give ports of M*K, K*N and M*N lanes`;
  },
  stimulus(d, lanes, _bound, seed, groups) {
    const rng = new Rng(seed);
    const fa = laneFormat(d.activation);
    const fw = laneFormat(d.weight);
    const out: Txn[] = [];
    // directed: every element at each corner pair (a whole row of min*min overflows a narrow accumulator)
    for (const ca of laneCorners(fa)) for (const cw of laneCorners(fw)) out.push({ a: Array(lanes.a).fill(BigInt(ca)), w: Array(lanes.w).fill(BigInt(cw)) });
    for (let g = 0; g < groups; g++) {
      out.push({ a: Array.from({ length: lanes.a }, () => BigInt(randomLane(rng, fa))), w: Array.from({ length: lanes.w }, () => BigInt(randomLane(rng, fw))) });
    }
    return out;
  },
  run(d, inputs, _bound, lanes) {
    const s = gemmShape(lanes.a, lanes.w, lanes.y)!;
    const res: ModelRun = { outputs: [], from: [], to: [] };
    inputs.forEach((t, k) => {
      res.outputs.push({ y: gemmProduct(d, s, t.a, t.w) });
      res.from.push(k);
      res.to.push(k);
    });
    return res;
  },
};
