import { packBits, packedWords } from '../arith/index.js';
import { gemmInt, gemmXnor } from '../kernels/index.js';
import { badValue } from '../util/errors.js';
import { geometry, type AccelLayer, type AccelProgram } from './accel_program.js';
import { osFoldCycles } from './cost.js';
import { requantScale, type RequantizerParams } from './requantizer.js';
import { XNOR_POPCOUNT_LATENCY } from './xnor_popcount.js';

/**
 * The TS model of `hdl/accel_top.sv`: values bit-exact, cycles exact.
 *
 * Values: per layer the hardware's arithmetic, through the same kernels and unit functions the unit
 * models use — dot = sum_k w'[n][k] x[k] (gemmInt; xnor layers: gemmXnor on packed ±1 rows), acc =
 * wrap32(dot + bias'), then the output stage: requantize with the requantizer's `requantScale` and
 * clamp(v + zp, min, max); thresholds count t < steps with acc >= thr; raw acc. The compiler guarantees
 * no partial sum leaves the accumulator, so the array's WRAP/SAT never acts and a GEMM gives its sums.
 *
 * Cycles (the controller of accel_top.sv, see its header; R x C array, L lanes). A layer is its INIT
 * cycle, the engine's cycles E from its first beat or word to the cycle its last result leaves the
 * engine (inclusive), and the output stage's 5 cycles from that capture to the write:
 *   mac layer:          E = osFoldCycles(R, C, F, K) = (F - 1)(K + R) + K + 2R + C - 1, F = ceil(N / C)
 *   xnor/serial layer:  E = N * Bx * Bw * ceil(K / L) words + XNOR_POPCOUNT_LATENCY (3)
 *                       (Bx = Bw = 1 for xnor)
 *   layer:              1 + E + 5, so (F - 1)(K + R) + K + 2R + C + 5 and N Bx Bw ceil(K / L) + 9
 *   one inference:      1 + sum of the layers (from the start_i cycle to the done_o cycle)
 */
export const ACCEL_OUTPUT_STAGE_CYCLES = 5;

export function layerCycles(l: AccelLayer, p: AccelProgram): number {
  const { R, C } = geometry(p.design);
  const planes = l.engine === 'serial' ? l.xFormat.bits * l.wFormat.bits : 1;
  const engine = l.engine === 'mac' ? osFoldCycles(R, C, l.groups, l.K) : l.N * planes * l.wd + XNOR_POPCOUNT_LATENCY;
  return 1 + engine + ACCEL_OUTPUT_STAGE_CYCLES;
}

export function inferenceCycles(p: AccelProgram): number {
  return 1 + p.layers.reduce((s, l) => s + layerCycles(l, p), 0);
}

export interface AccelRun {
  /** batch x outputElems: the last layer's values (logits) */
  outputs: Int32Array;
  /** cycles of one inference (start_i to done_o), the same for every image */
  cycles: number;
  layerCycles: number[];
  /** per layer, batch x N: each layer's output values (for locating a disagreement) */
  layerOutputs: Int32Array[];
}

/**
 * Runs `batch` images through the accelerator model. `x` holds batch x inputElems integers in the first
 * layer's input format (the model's quantized input, before the input shift).
 */
export function runAccelerator(p: AccelProgram, x: Int32Array, batch: number): AccelRun {
  if (x.length !== batch * p.inputElems) throw badValue('input length', x.length, `batch x ${p.inputElems} = ${batch * p.inputElems}`);
  let cur: Int32Array = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) cur[i] = x[i] - p.inputShift;
  const layerOutputs: Int32Array[] = [];
  for (const l of p.layers) {
    const acc = accumulate(l, cur, batch);
    cur = outputStage(l, p, acc, batch);
    layerOutputs.push(cur);
  }
  return { outputs: cur, cycles: inferenceCycles(p), layerCycles: p.layers.map((l) => layerCycles(l, p)), layerOutputs };
}

/** acc[b][n] = wrap32(sum_k w'[n][k] x[b][k] + bias'[n]). */
function accumulate(l: AccelLayer, x: Int32Array, batch: number): Int32Array {
  const { K, N } = l;
  const acc = new Int32Array(batch * N);
  if (l.engine === 'xnor') {
    const wpr = packedWords(K);
    const xp = new Uint32Array(batch * wpr);
    for (let b = 0; b < batch; b++) packBits(x.subarray(b * K, (b + 1) * K), xp.subarray(b * wpr, (b + 1) * wpr));
    gemmXnor(xp, packedWeights(l), batch, N, K, acc);
    for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] + l.bias[i % N]) | 0;
    return acc;
  }
  gemmInt(x, l.weights, batch, K, N, { bits: 32, overflow: 'WRAP' }, acc, { bias: l.bias, wTransposed: true });
  return acc;
}

const packedCache = new WeakMap<AccelLayer, Uint32Array>();
function packedWeights(l: AccelLayer): Uint32Array {
  let w = packedCache.get(l);
  if (!w) {
    const wpr = packedWords(l.K);
    w = new Uint32Array(l.N * wpr);
    for (let n = 0; n < l.N; n++) packBits(l.weights.subarray(n * l.K, (n + 1) * l.K), w.subarray(n * wpr, (n + 1) * wpr));
    packedCache.set(l, w);
  }
  return w;
}

/** The output stage of accel_top (stages B and C), per element. */
function outputStage(l: AccelLayer, p: AccelProgram, acc: Int32Array, batch: number): Int32Array {
  const N = l.N;
  const y = new Int32Array(batch * N);
  const st = l.stage;
  if (st.kind === 'raw') {
    y.set(acc);
    return y;
  }
  if (st.kind === 'threshold') {
    for (let i = 0; i < y.length; i++) {
      const n = i % N;
      let cnt = 0;
      for (let t = 0; t < st.steps; t++) if (acc[i] >= st.thresholds[n * st.steps + t]) cnt++;
      const v = cnt + st.offset;
      y[i] = st.bipolar ? 2 * v - 1 : v;
    }
    return y;
  }
  const rq = laneRequantizer(p);
  for (let i = 0; i < y.length; i++) {
    const n = i % N;
    const v = requantScale(acc[i], st.multiplier[n], st.shift[n], rq) + st.zeroPoint;
    y[i] = v < st.min ? st.min : v > st.max ? st.max : v;
  }
  return y;
}

/** The parameters of the per-lane requantizers in accel_top: the Design's mode, 32-bit in and out. */
export function laneRequantizer(p: AccelProgram): RequantizerParams {
  const r = p.design.requant;
  return { accBits: 32, channels: 1, mode: r.mode, rounding: r.rounding, outBits: 32, outSigned: true, zeroPoint: 0, relu: false };
}
