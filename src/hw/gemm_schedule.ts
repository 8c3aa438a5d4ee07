/**
 * The GEMM controller of the systolic array: tiles `Y = A W` (A: M x K activations, W: K x N weights,
 * row-major) into folds, feeds the array's edge beat by beat, obeys the array's stall rules, collects the
 * output rows — and `simulateGemm`, which runs it cycle by cycle or takes the fast functional path.
 *
 * Folds (R x C array; padding lanes carry the operand value 0, so they add exactly 0 under WRAP and SAT):
 *   os: for each m-tile (R rows of A), for each n-tile (C columns of W): K beats
 *       h[r] = A[m0+r][k], v[c] = W[k][n0+c], last on k = K-1; then R idle cycles (drain rule).
 *   ws: for each n-tile (C columns), for each k-fold (R rows of W): R load beats v[c] = W[k0+j][n0+c], tag j,
 *       then M stream beats h[r] = A[m][k0+r], ps[c] = the previous k-fold's Y[m][n0+c] (0 for the first).
 *   is: for each m-tile (C rows of A), for each k-fold: R load beats v[c] = A[m0+c][k0+j], tag j, then N stream
 *       beats h[r] = W[k0+r][n], ps[c] = previous Y[m0+c][n]; output lane c is Y[m0+c][n].
 * Folds overlap in ws/is: the next fold's load beats follow the last stream beat directly; a stream beat
 * whose partial sum is not out yet waits (a bubble). A partial sum leaving y_o in cycle t may be fed to
 * ps_i in the same cycle (y_o is a register; the controller forwards it).
 * The cycle count is the index of the cycle in which the last result row is on y_o, plus one; `cost.ts`
 * gives it in closed form and the tests prove the two equal.
 */
import { accOutBits, allocGemmOut, gemmInt, type GemmOut } from '../kernels/index.js';
import { badValue, checkInt, InputError } from '../util/errors.js';
import { checkAlloc } from '../util/budget.js';
import { formatRange, type NumFormat } from '../arith/format.js';
import type { Design } from './design.js';
import type { AccRule, AccValue } from './mac_rule.js';
import { peKind, peRule, peWeights } from './pe_kind.js';
import { MacArray, type MacArrayInputs } from './mac_array.js';
import { estimateGemm, type GemmCost } from './cost.js';

export interface SimulateOptions {
  /** step the array model cycle by cycle (slow, the definition of the timing) instead of gemmInt + cost */
  cycleAccurate: boolean;
  /** called once per cycle with the array after its outputs were sampled (traces, tests) */
  onCycle?: (t: number, array: MacArray<AccValue>, inputs: MacArrayInputs<AccValue>) => void;
  /** asked once per cycle in which a beat could issue: true inserts a bubble instead (stress tests) */
  stall?: () => boolean;
}

export interface SimulateResult {
  Y: GemmOut;
  cycles: number;
  stats: GemmCost;
}

/**
 * Work limits of `simulateGemm` (multiply-accumulates): the functional path runs ~1e9 MAC/s, the
 * cycle-accurate one ~1e6; larger GEMMs are refused up front (`estimate --gemm` gives their cycles).
 */
export const SIMULATE_MAX_MACS = { functional: 2 ** 33, cycleAccurate: 2 ** 25 } as const;

/** Shapes, work limit and output memory of a GEMM request, checked before anything is allocated. */
export function checkGemmRequest(design: Design, M: number, K: number, N: number, cycleAccurate: boolean): void {
  checkInt('M', M, 1, 2 ** 31);
  checkInt('K', K, 1, 2 ** 31);
  checkInt('N', N, 1, 2 ** 31);
  const macs = M * K * N;
  const limit = cycleAccurate ? SIMULATE_MAX_MACS.cycleAccurate : SIMULATE_MAX_MACS.functional;
  if (macs > limit) {
    throw new InputError(`GEMM ${M}x${K}x${N}: ${macs.toExponential(2)} multiply-accumulates; allowed: at most 2^${Math.log2(limit)} on the ${cycleAccurate ? 'cycle-accurate' : 'functional'} path (\`lowbit estimate --gemm\` gives the cycles of larger GEMMs)`);
  }
  checkAlloc(`GEMM ${M}x${K}x${N} (output Y of ${M * N} accumulators)`, M * N * (accOutBits(design.accumulator) > 32 ? 8 : 4) + (cycleAccurate ? 64 * design.array.rows * design.array.cols : 0));
}

/** The checks both paths of `simulateGemm` share: the request, and every operand an integer of its Design format (bipolar: -1 or +1). */
function checkGemmOperands(design: Design, A: ArrayLike<number>, W: ArrayLike<number>, M: number, K: number, N: number, cycleAccurate: boolean): void {
  checkGemmRequest(design, M, K, N, cycleAccurate);
  if (A.length !== M * K) throw badValue('A.length', A.length, `M*K = ${M * K}`);
  if (W.length !== K * N) throw badValue('W.length', W.length, `K*N = ${K * N}`);
  checkOperand('A', A, K, design.activation, 'activation');
  checkOperand('W', W, N, design.weight, 'weight');
}

function checkOperand(name: string, x: ArrayLike<number>, cols: number, f: NumFormat, role: string): void {
  const { min: lo, max: hi } = formatRange(f);
  const bipolar = f.type === 'binary';
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!(Number.isInteger(v) && v >= lo && v <= hi) || (bipolar && v === 0)) {
      throw badValue(`${name}[${Math.floor(i / cols)}][${i % cols}]`, v, `an integer of the Design's ${role} format (${bipolar ? '-1 or +1' : `${lo}..${hi}`})`);
    }
  }
}

/** Runs one GEMM on the Design's array; both paths give identical `Y` and `cycles` and validate identically. */
export function simulateGemm(
  design: Design, A: ArrayLike<number>, W: ArrayLike<number>, M: number, K: number, N: number,
  opts: SimulateOptions = { cycleAccurate: false },
): SimulateResult {
  checkGemmOperands(design, A, W, M, K, N, opts.cycleAccurate);
  // the weights as the PE's lanes carry them (power-of-two codes on the shift PE; refused without one)
  const lanesW = peKind(design) === 'shift' ? peWeights(design, W, 'W') : W;
  const stats = estimateGemm(design, M, K, N);
  const Y = allocGemmOut(M, N, design.accumulator);
  if (!opts.cycleAccurate) {
    gemmInt(A, W, M, K, N, design.accumulator, Y);
    return { Y, cycles: stats.cycles, stats };
  }
  const cycles = runCycleAccurate(design, A, lanesW, M, K, N, Y, peRule(design) as AccRule<AccValue>, opts);
  return { Y, cycles, stats };
}

interface WsFold {
  tile: number;
  kf: number;
  rowsOut: number;
}

function runCycleAccurate<T extends AccValue>(
  design: Design, A: ArrayLike<number>, W: ArrayLike<number>, M: number, K: number, N: number,
  Y: GemmOut, rule: AccRule<T>, opts: SimulateOptions,
): number {
  const { onCycle, stall } = opts;
  const R = design.array.rows;
  const C = design.array.cols;
  const df = design.array.dataflow;
  const arr = new MacArray<T>(design, rule);
  const inp: MacArrayInputs<T> = {
    hValid: false, h: new Int32Array(R), vValid: false, v: new Int32Array(C), last: false, tag: 0,
    ps: new Array<T>(C).fill(rule.zero),
  };
  const put = (i: number, y: T): void => {
    if (Y instanceof BigInt64Array) Y[i] = rule.toBigInt(y);
    else Y[i] = y as number;
  };
  const clear = (): void => {
    inp.hValid = inp.vValid = inp.last = false;
    inp.tag = 0;
    inp.h.fill(0);
    inp.v.fill(0);
    inp.ps.fill(rule.zero);
  };
  let t = 0;
  if (df === 'os') {
    const tilesN = Math.ceil(N / C);
    const folds = Math.ceil(M / R) * tilesN;
    let issueFold = 0, k = 0, idle = 0; // issue side
    let outFold = 0, outRow = 0; // collect side
    for (;; t++) {
      if (arr.yValid()) {
        const m = Math.floor(outFold / tilesN) * R + (R - 1 - outRow);
        const n0 = (outFold % tilesN) * C;
        if (m < M) for (let c = 0; c < C && n0 + c < N; c++) put(m * N + n0 + c, arr.y(c));
        if (++outRow === R) {
          outRow = 0;
          if (++outFold === folds) return t + 1;
        }
      }
      clear();
      if (idle > 0) idle--;
      else if (issueFold < folds && !stall?.()) {
        const m0 = Math.floor(issueFold / tilesN) * R;
        const n0 = (issueFold % tilesN) * C;
        inp.hValid = inp.vValid = true;
        for (let r = 0; r < R && m0 + r < M; r++) inp.h[r] = A[(m0 + r) * K + k];
        for (let c = 0; c < C && n0 + c < N; c++) inp.v[c] = W[k * N + n0 + c];
        inp.last = k === K - 1;
        if (++k === K) {
          k = 0;
          issueFold++;
          idle = R;
        }
      }
      onCycle?.(t, arr as MacArray<AccValue>, inp as MacArrayInputs<AccValue>);
      arr.step(inp);
    }
  }
  // ws / is: S stream beats per fold over L lanes
  const ws = df === 'ws';
  const S = ws ? M : N;
  const L = ws ? N : M;
  const stat = ws ? (kk: number, l: number) => W[kk * N + l] : (kk: number, l: number) => A[l * K + kk];
  const strm = ws ? (s: number, kk: number) => A[s * K + kk] : (s: number, kk: number) => W[kk * N + s];
  const outIdx = ws ? (s: number, l: number) => s * N + l : (s: number, l: number) => l * N + s;
  const kFolds = Math.ceil(K / R);
  const tiles = Math.ceil(L / C);
  const folds: WsFold[] = [];
  for (let tile = 0; tile < tiles; tile++) for (let kf = 0; kf < kFolds; kf++) folds.push({ tile, kf, rowsOut: 0 });
  const psBuf = new Array<T>(S * C).fill(rule.zero);
  let f = 0, beat = 0; // issue side: beat < R is a load beat, else stream beat beat-R
  let outFold = 0;
  for (;; t++) {
    if (arr.yValid()) {
      const fo = folds[outFold];
      const s = fo.rowsOut++;
      const l0 = fo.tile * C;
      const final = fo.kf === kFolds - 1;
      for (let c = 0; c < C; c++) {
        if (final) {
          if (l0 + c < L) put(outIdx(s, l0 + c), arr.y(c));
        } else psBuf[s * C + c] = arr.y(c);
      }
      if (fo.rowsOut === S && ++outFold === folds.length) return t + 1;
    }
    clear();
    if (f < folds.length && !stall?.()) {
      const fo = folds[f];
      const l0 = fo.tile * C;
      const k0 = fo.kf * R;
      if (beat < R) {
        const kk = k0 + beat;
        inp.vValid = true;
        inp.tag = beat;
        if (kk < K) for (let c = 0; c < C && l0 + c < L; c++) inp.v[c] = stat(kk, l0 + c);
        beat++;
      } else {
        const s = beat - R;
        if (fo.kf === 0 || folds[f - 1].rowsOut > s) {
          inp.hValid = true;
          for (let r = 0; r < R && k0 + r < K; r++) inp.h[r] = strm(s, k0 + r);
          if (fo.kf > 0) for (let c = 0; c < C; c++) inp.ps[c] = psBuf[s * C + c];
          if (++beat === R + S) {
            beat = 0;
            f++;
          }
        }
      }
    }
    onCycle?.(t, arr as MacArray<AccValue>, inp as MacArrayInputs<AccValue>);
    arr.step(inp);
  }
}
