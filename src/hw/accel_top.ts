import { formatBits, intFormat, packBits, packedWords } from '../arith/index.js';
import { gemmInt, gemmXnor } from '../kernels/index.js';
import { badValue } from '../util/errors.js';
import { geometry, groupPasses, type AccelLayer, type AccelProgram } from './accel_program.js';
import { osFoldCycles } from './cost.js';
import { requantScale, type RequantizerParams } from './requantizer.js';
import { chwToNhwc, gatherPatches, maxPoolNhwc, nhwcToChw, windowPadded } from './conv_window.js';
import { XNOR_POPCOUNT_LATENCY } from './xnor_popcount.js';

/**
 * The TS model of `hdl/accel_top.sv`: values bit-exact, cycles exact.
 *
 * Values: per layer the hardware's arithmetic on the NHWC activation map. The window generator
 * (conv_window.ts) gathers each output pixel's patch (padding = the pad value), then dot = sum_k w'[n][k]
 * x[k] (gemmInt: the same sum the array, the XNOR unit and the bit-serial path compute), acc =
 * wrap32(dot + bias'), then the output stage: requantize with the requantizer's `requantScale` and
 * clamp(v + zp, min, max); thresholds count t < steps with acc >= thr; raw acc. The pooling unit takes the
 * max over each window. The compiler guarantees no partial sum leaves the accumulator, so the array's
 * WRAP/SAT never acts and a GEMM gives its sums. Per-group weight scales (mac): the array sums each pass p
 * of `size` beats on its own, acc_p = sum_{k in p} w'[n][k] x[k], and the output stage's group
 * accumulator adds them scaled: acc = wrap32(bias' + sum_p m[n][p mod G] acc_p).
 *
 * Cycles (the controller of accel_top.sv, see its header; R x C array, L lanes, G = the layer's issue
 * groups). A layer is its INIT cycle, the engine's cycles E from its first beat or word to the cycle its
 * last result leaves the engine (inclusive), and the output stage's 5 cycles from that capture to the
 * write:
 *   mac layer:          E = osFoldCycles(R, C, G, K, P) = (G - 1)(K + R) + K + 2R + C - 1 + G (P - 1) R,
 *                       G = ceil(M / rows) * ceil(N / C) (tiles of output pixels x folds), P = passes
 *                       per patch (1 without per-group scales: each pass drains on its own)
 *   xnor/serial layer:  E = G * Bx * Bw * Wd words + XNOR_POPCOUNT_LATENCY (3),
 *                       G = M * N, Wd = kh * ceil(kw*C / L) (Bx = Bw = 1 for xnor)
 *   layer:              1 + E + 5, so (G - 1)(K + R) + K + 2R + C + 5 and G Bx Bw Wd + 9
 *   pool layer:         1 + G + 1 = G + 2, G = M * C elements, one per cycle, each written the next cycle
 *   one run:            1 + sum of the layers (from the start_i cycle to the done_o cycle)
 * A run holds `images` images (an MLP's batch on the array rows), so an inference takes run / images.
 */
export const ACCEL_OUTPUT_STAGE_CYCLES = 5;

export function layerCycles(l: AccelLayer, p: AccelProgram): number {
  const { R, C } = geometry(p.design);
  if (l.engine === 'pool') return l.groups + 2;
  const planes = l.engine === 'serial' ? formatBits(l.xFormat) * formatBits(l.wFormat) : 1;
  const engine = l.engine === 'mac' ? osFoldCycles(R, C, l.groups, l.K, groupPasses(l)) : l.groups * planes * l.wd + XNOR_POPCOUNT_LATENCY;
  return 1 + engine + ACCEL_OUTPUT_STAGE_CYCLES;
}

/** Cycles of one run (start_i to done_o) of `p.images` images. */
export function runCycles(p: AccelProgram): number {
  return 1 + p.layers.reduce((s, l) => s + layerCycles(l, p), 0);
}

/** Cycles per inference: a run's cycles over the images it holds. */
export function inferenceCycles(p: AccelProgram): number {
  return runCycles(p) / p.images;
}

export interface AccelRun {
  /** batch x outputElems: the last layer's values (logits) */
  outputs: Int32Array;
  /** cycles of one run (start_i to done_o), the same for every run */
  cycles: number;
  layerCycles: number[];
  /** per layer, batch x the layer's outputs in the model's order (CHW): for locating a disagreement */
  layerOutputs: Int32Array[];
}

/**
 * Runs `batch` images through the accelerator model, `p.images` per run. `x` holds batch x inputElems integers in the model's order (CHW for a CNN) and the first
 * layer's input format (the model's quantized input, before the input shift). With `layerOutputs` every
 * layer's outputs are kept (in the model's order).
 */
export function runAccelerator(p: AccelProgram, x: Int32Array, batch: number, opts: { layerOutputs?: boolean } = {}): AccelRun {
  if (x.length !== batch * p.inputElems) throw badValue('input length', x.length, `batch x ${p.inputElems} = ${batch * p.inputElems}`);
  const E = p.outputElems;
  const outputs = new Int32Array(batch * E);
  const perLayer: Int32Array[][] = p.layers.map(() => []);
  // an MLP's images are independent rows of every layer: all of them go through at once (a run of
  // `images` images computes the same values per image); a CNN runs image by image
  const chunk = p.inputShape.length === 1 ? batch : 1;
  for (let b0 = 0; b0 < batch; b0 += chunk) {
    const outs = runLayers(p, hostInput(p, x, b0, batch, chunk));
    outputs.set(outs[outs.length - 1].subarray(0, chunk * E), b0 * E);
    if (opts.layerOutputs) p.layers.forEach((l, i) => perLayer[i].push(chunk === 1 ? toModelOrder(l, outs[i]) : outs[i]));
  }
  const layerOutputs = perLayer.map((list) => {
    const all = new Int32Array(list.reduce((a, v) => a + v.length, 0));
    let o = 0;
    for (const v of list) {
      all.set(v, o);
      o += v.length;
    }
    return all;
  });
  return { outputs, cycles: runCycles(p), layerCycles: p.layers.map((l) => layerCycles(l, p)), layerOutputs };
}

/**
 * The activation map the host writes for a run of `count` images (default `p.images`) starting at image
 * b0: their inputs minus the input shift, each in NHWC order (a CNN's CHW input transposed; a vector as it
 * is); past the last image the last one repeats.
 */
export function hostInput(p: AccelProgram, x: Int32Array, b0: number, batch: number, count = p.images): Int32Array {
  const n = p.inputElems;
  const out = new Int32Array(count * n);
  for (let b = 0; b < count; b++) {
    const src = Math.min(b0 + b, batch - 1);
    const img = x.subarray(src * n, (src + 1) * n);
    const [C, H, W] = p.inputShape.length === 3 ? p.inputShape : [n, 1, 1];
    const nhwc = C === n ? img : chwToNhwc(img, C, H, W);
    for (let i = 0; i < n; i++) out[b * n + i] = nhwc[i] - p.inputShift;
  }
  return out;
}

/** One run: every layer's output map (NHWC) from the host's input map (`hostInput`). */
export function runLayers(p: AccelProgram, input: Int32Array): Int32Array[] {
  let cur = input;
  const outs: Int32Array[] = [];
  for (const l of p.layers) {
    if (l.engine === 'pool') cur = maxPoolNhwc(l.win, cur);
    else cur = outputStage(l, p, accumulate(l, cur));
    outs.push(cur);
  }
  return outs;
}

/**
 * acc[m][n] = wrap32(sum_k w'[n][k] patch_m[k] + bias'[n]) over the output pixels m of the window (a
 * dense layer: over however many images `x` holds).
 */
function accumulate(l: AccelLayer, x: Int32Array): Int32Array {
  const w = l.win;
  // a 1 x 1, stride-1, unpadded window's patches are the map itself (dense layers)
  const pointwise = w.kh === 1 && w.kw === 1 && w.sh === 1 && w.sw === 1 && w.pt === 0 && w.pl === 0 && w.W === 1;
  const patches = pointwise ? x : gatherPatches(w, x);
  const M = patches.length / l.K;
  const acc = new Int32Array(M * l.N);
  if (l.engine === 'xnor' && !windowPadded(w)) {
    // ±1 patches and weights: 2*popcount(XNOR) - K per output (gemmXnor), then the bias; a padded
    // window's patches hold the pad value 0 at padded taps, which no bit encodes: the integer GEMM
    // below sums them (the RTL leaves them out of the popcount)
    const wpr = packedWords(l.K);
    const xp = new Uint32Array(M * wpr);
    for (let m = 0; m < M; m++) packBits(patches.subarray(m * l.K, (m + 1) * l.K), xp.subarray(m * wpr, (m + 1) * wpr));
    gemmXnor(xp, packedWeights(l), M, l.N, l.K, acc);
    for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] + l.bias[i % l.N]) | 0;
    return acc;
  }
  if (l.wgroup) return groupAccumulate(l, patches, M);
  gemmInt(patches, l.weights, M, l.K, l.N, { bits: 32, overflow: 'WRAP' }, acc, { bias: l.bias, wTransposed: true });
  return acc;
}

/**
 * Per-group weight scales: acc[m][n] = wrap32(bias'[n] + sum_p m[n][p mod G] acc_p[m][n]), acc_p the
 * array's sum over pass p's beats k = p*size .. min(K, (p+1)*size) - 1 (one gemmInt per pass; exact, the
 * compiler bounds every acc_p by the array register).
 */
function groupAccumulate(l: AccelLayer, patches: Int32Array, M: number): Int32Array {
  const { K, N } = l;
  const { size, count, passes, multiplier } = l.wgroup!;
  const acc = new Int32Array(M * N);
  for (let i = 0; i < acc.length; i++) acc[i] = l.bias[i % N];
  for (let p = 0; p < passes; p++) {
    const j = p % count;
    const k0 = p * size;
    const len = Math.min(K, k0 + size) - k0;
    const x = new Int32Array(M * len);
    const w = new Int32Array(N * len);
    for (let m = 0; m < M; m++) x.set(patches.subarray(m * K + k0, m * K + k0 + len), m * len);
    for (let n = 0; n < N; n++) w.set(l.weights.subarray(n * K + k0, n * K + k0 + len), n * len);
    const part = new Int32Array(M * N);
    gemmInt(x, w, M, len, N, { bits: 32, overflow: 'WRAP' }, part, { wTransposed: true });
    for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] + Math.imul(multiplier[(i % N) * count + j], part[i])) | 0;
  }
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

/** A layer's output (one image, NHWC) in the model's order (CHW; vectors unchanged). */
function toModelOrder(l: AccelLayer, y: Int32Array): Int32Array {
  return l.win.Ho * l.win.Wo === 1 ? y : nhwcToChw(y, l.N, l.win.Ho, l.win.Wo);
}

/** The output stage of accel_top (stages B and C), per element (m, n), n = index mod N. */
function outputStage(l: AccelLayer, p: AccelProgram, acc: Int32Array): Int32Array {
  const N = l.N;
  const y = new Int32Array(acc.length);
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
  return { accBits: 32, channels: 1, mode: r.mode, rounding: r.rounding, out: intFormat(32, true), zeroPoint: 0, relu: false };
}
