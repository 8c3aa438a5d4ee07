import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { formatBits } from '../arith/format.js';
import { loadMnist } from '../data/mnist.js';
import { modelMemory } from '../estimate/memory.js';
import { compileModel } from '../hw/accel_compile.js';
import { layoutBits, type AccelLayer, type AccelProgram } from '../hw/accel_program.js';
import { estimateProgram } from '../estimate/network.js';
import { inferenceCycles, layerCycles, runAccelerator } from '../hw/accel_top.js';
import type { Design } from '../hw/design.js';
import { inputQuant, integerInference, argmaxRowsInt } from '../model/infer.js';
import { firstOutOfRange, quantizeInput } from '../model/stages.js';
import type { QuantizedModel } from '../model/types.js';
import { pixelsToFloat } from '../quant/evaluate.js';
import type { AccelCapacity } from '../rtl/accel_top.js';
import { txAccelerator } from '../rtl/accel_tx.js';
import { cacheRoot } from '../rtl/build.js';
import { InputError } from '../util/errors.js';
import { progress } from '../util/progress.js';

/**
 * `lowbit run`: a QuantizedModel on the accelerator. MNIST test images go through the integer reference
 * (`integerInference`, the definition), the TS accelerator model and, for a sample, the RTL in Verilator.
 * Logits are compared bit-exactly: the first disagreement is reported with its image, layer and element.
 */
export interface RunOptions {
  images: number;
  rtl: boolean;
  rtlImages: number;
  dataDir?: string;
  /** a data set given as arrays instead of the MNIST test split: `x` [count, ...inputShape] (floats go through the model's quantize layer, integers are already quantized), `labels` [count] */
  data?: { x: Float32Array | Int32Array; labels: Int32Array; count: number };
  /** minimum RTL memory sizes, so that several models share one Verilator build */
  capacity?: AccelCapacity;
  /** simulations at a time for the RTL (default: all cores) */
  jobs?: number;
  /** stop starting RTL images after this many seconds (the report then says how far it got) */
  rtlSeconds?: number;
  /** the batch: min(batch, R) images (MLP) or conv output pixels (CNN) on the array rows (default `defaultBatch`) */
  batch?: number;
}

/**
 * The batch when none is given: 1, except that an MLP checked in the RTL runs R images per run, one per
 * array row. Measured on sfc-w1a1 / binary-mnist (docs/verify.md, session 9): R = 16 images per run take
 * 46,273 cycles, 2,892 per image against 14,953 at batch 1, and the simulator's CPU time per image falls
 * with them; the batch changes only how many images share a run, not any image's outputs.
 */
export function defaultBatch(model: QuantizedModel, design: Design, rtl: boolean): number {
  return rtl && model.inputShape.length === 1 ? design.array.rows : 1;
}

export interface Disagreement {
  between: string;
  image: number;
  layer: string;
  element: number;
  expected: number;
  actual: number;
  cycle?: number;
  signal?: string;
  /** the RTL waveform of the failing run (GTKWave/Surfer), kept on an RTL mismatch */
  vcd?: string;
}

export interface RunReport {
  model: string;
  design: string;
  images: number;
  accuracy: { reference: number; accelerator: number; rtl?: number };
  agreement: { referenceVsAccelerator: number; acceleratorVsRtl?: number };
  cyclesPerInference: number;
  /** the RTL's cycles per inference (a run's start-to-done count over its images), which every agreeing run matched */
  rtlCycles?: number;
  inferencesPerSecond: number;
  latencyUs: number;
  clockMHz: number;
  /** images (MLP) or conv output pixels (CNN) per tile on the array rows */
  batch: number;
  /** per layer and run (`images` inferences for an MLP batch): M output pixels, K patch, N outputs */
  layers: { name: string; engine: string; M: number; K: number; N: number; rows: number; cycles: number; utilization: number; weightBits: number; activationBits: number }[];
  memory: { weightMemoryBits: number; parameterBits: number; fp32Bits: number; savingVsFp32: number };
  rtl?: {
    /** images simulated and checked (transaction level: outputs, cycles_o, done cycle, hash of every port every cycle) */
    images: number;
    /** images asked for */
    requested: number;
    /** of the checked images, those that agree with the TS accelerator */
    agree: number;
    /** why the RTL run ended early (a limit or a simulator failure) */
    stopped?: string;
    /** images per accelerator run (an MLP batch on the array rows) and the cycles of one run */
    imagesPerRun: number;
    cyclesPerRun: number;
    mode: string;
    jobs: number;
    buildSeconds: number; buildCached: boolean; simSeconds: number; simCycles: number;
  };
  seconds: { reference: number; accelerator: number; rtl?: number };
  disagreement?: Disagreement;
}

export async function runModel(model: QuantizedModel, design: Design, opts: RunOptions): Promise<RunReport> {
  const batchReq = opts.batch ?? defaultBatch(model, design, opts.rtl);
  const p = compileModel(model, design, { batch: batchReq });
  const est = estimateProgram(p, model);
  const set = opts.data ? null : loadMnist('test', opts.dataDir);
  const pixels = set ? set.rows * set.cols : opts.data!.x.length / opts.data!.count;
  if (pixels !== p.inputElems) throw new InputError(`model ${model.name} takes ${p.inputElems} inputs; the ${set ? 'test images have' : 'data has'} ${pixels} ${set ? 'pixels' : 'values per sample'}`);
  const n = Math.min(opts.images, set ? set.count : opts.data!.count);
  const labels = set ? set.labels : opts.data!.labels;
  const q = inputQuant(model);
  const E = p.outputElems;
  const xq = new Int32Array(n * pixels);
  const src = set ? null : opts.data!.x;
  if (src instanceof Int32Array) {
    xq.set(src.subarray(0, n * pixels));
    const bad = q ? firstOutOfRange(q, xq) : -1;
    if (bad >= 0) throw new InputError(`data[${bad}]: ${xq[bad]} is not in the model's input format`);
  } else if (q) quantizeInput(q, src ? src.subarray(0, n * pixels) : pixelsToFloat(set!.images, pixels, 0, n), xq);
  else if (set) for (let i = 0; i < xq.length; i++) xq[i] = set.images[i]!;
  else throw new InputError(`model ${model.name} has no quantize layer: give integer (already quantized) data`);

  const batch = 1000;
  const k = opts.rtl ? Math.min(opts.rtlImages, n) : 0;
  const accOut = new Int32Array(k * E); // the TS accelerator's outputs of the RTL images (expected there)
  let refCorrect = 0;
  let accCorrect = 0;
  let refSec = 0;
  let accSec = 0;
  let disagreement: Disagreement | undefined;
  const bar = progress('run: TS accelerator', n);
  for (let s = 0; s < n; s += batch) {
    const m = Math.min(batch, n - s);
    const xb = xq.subarray(s * pixels, (s + m) * pixels);
    let t0 = performance.now();
    const ref = integerInference(model, xb).output;
    refSec += (performance.now() - t0) / 1000;
    t0 = performance.now();
    const acc = runAccelerator(p, xb, m).outputs;
    accSec += (performance.now() - t0) / 1000;
    if (s < k) accOut.set(acc.subarray(0, Math.min(m, k - s) * E), s * E);
    refCorrect += correct(ref, E, labels, s, m);
    accCorrect += correct(acc, E, labels, s, m);
    if (!disagreement) {
      const i = firstDiff(ref, acc);
      if (i >= 0) disagreement = locate(model, p, xq, s + Math.floor(i / E));
    }
    bar.tick(m, { acc: (100 * accCorrect) / (s + m) });
  }
  bar.stop();

  const cycles = inferenceCycles(p);
  const mem = modelMemory(model);
  const report: RunReport = {
    model: model.name,
    design: design.name,
    images: n,
    accuracy: { reference: refCorrect / n, accelerator: accCorrect / n },
    agreement: { referenceVsAccelerator: disagreement ? 0 : 1 },
    cyclesPerInference: cycles,
    inferencesPerSecond: (design.clockMHz * 1e6) / cycles,
    latencyUs: cycles / design.clockMHz,
    clockMHz: design.clockMHz,
    batch: batchReq,
    layers: p.layers.map((l, i) => ({
      name: l.name, engine: l.engine, M: l.win.Ho * l.win.Wo, K: l.K, N: l.N, rows: l.rows, cycles: layerCycles(l, p),
      utilization: est.layers[i].utilization, weightBits: layerWeightBits(l, p), activationBits: layoutBits(l.inLayout, l.win.H * l.win.W * l.win.C),
    })),
    memory: { weightMemoryBits: p.wDepth * p.wordBits, parameterBits: mem.parameterBits, fp32Bits: mem.fp32Bits, savingVsFp32: mem.savingVsFp32 },
    seconds: { reference: refSec, accelerator: accSec },
    ...(disagreement ? { disagreement } : {}),
  };
  if (opts.rtl && !disagreement) await runRtl(report, p, xq, labels, accOut, k, opts);
  return report;
}

async function runRtl(report: RunReport, p: AccelProgram, xq: Int32Array, labels: ArrayLike<number>, expected: Int32Array, k: number, opts: RunOptions): Promise<void> {
  const pixels = p.inputElems;
  const t0 = performance.now();
  process.stderr.write(`run: ${k} images through the RTL in Verilator (a new design's first build takes minutes)\n`);
  const vcd = join(cacheRoot(), 'vcd', `accel-${safeName(report.model)}-${safeName(report.design)}.vcd`);
  mkdirSync(dirname(vcd), { recursive: true });
  let bar: ReturnType<typeof progress> | undefined;
  let shown = 0;
  const r = await txAccelerator(p, xq.subarray(0, k * pixels), k, {
    capacity: opts.capacity ?? {}, expected, vcdPath: vcd,
    ...(opts.jobs !== undefined ? { jobs: opts.jobs } : {}), ...(opts.rtlSeconds !== undefined ? { seconds: opts.rtlSeconds } : {}),
    onProgress: (done) => {
      bar ??= progress('run: RTL', k);
      bar.tick(done - shown);
      shown = done;
    },
  });
  bar?.stop();
  report.seconds.rtl = (performance.now() - t0) / 1000;
  report.rtl = {
    images: r.images, requested: k, agree: r.agree, ...(r.stopped ? { stopped: r.stopped } : {}), imagesPerRun: r.imagesPerRun, cyclesPerRun: r.cycles, mode: r.build.kind === 'accel-lib' ? 'in-process (koffi)' : 'processes',
    jobs: r.jobs, buildSeconds: r.build.seconds, buildCached: r.build.cached, simSeconds: r.simSeconds, simCycles: r.simCycles,
  };
  report.rtlCycles = r.cycles / r.imagesPerRun;
  let rtlCorrect = 0;
  const pred = argmaxRowsInt(r.outputs, p.outputElems);
  for (let b = 0; b < k; b++) if (r.checked[b] === 1 && pred[b] === labels[b]) rtlCorrect++;
  if (r.images > 0) report.accuracy.rtl = rtlCorrect / r.images;
  report.agreement.acceleratorVsRtl = r.images > 0 ? r.agree / r.images : 0;
  const d = r.disagreement;
  if (d !== undefined) {
    report.disagreement = {
      between: 'TS accelerator vs RTL', image: d.image,
      layer: d.what === 'outputs' ? p.layers[p.layers.length - 1].name : `(${d.what})`,
      element: d.element ?? -1, expected: d.expected, actual: d.actual,
      ...(d.cycle !== undefined ? { cycle: d.cycle } : {}), ...(d.signal !== undefined ? { signal: d.signal } : {}), ...(d.vcd !== undefined ? { vcd: d.vcd } : {}),
    };
  }
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function correct(y: Int32Array, E: number, labels: ArrayLike<number>, start: number, m: number): number {
  const pred = argmaxRowsInt(y.subarray(0, m * E), E);
  let c = 0;
  for (let b = 0; b < m; b++) if (pred[b] === labels[start + b]) c++;
  return c;
}

function firstDiff(a: Int32Array, b: Int32Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Weight-memory bits of a layer. */
function layerWeightBits(l: AccelLayer, p: AccelProgram): number {
  const words = l.engine === 'mac' ? l.prows * l.K : l.engine === 'pool' ? 0 : l.N * l.wd * (l.engine === 'serial' ? formatBits(l.wFormat) : 1);
  return words * p.wordBits;
}

/** Re-runs one image layer by layer to find the first dense/conv/pool layer whose outputs differ. */
function locate(model: QuantizedModel, p: AccelProgram, xq: Int32Array, image: number): Disagreement {
  const pixels = p.inputElems;
  const x = xq.slice(image * pixels, (image + 1) * pixels);
  const refLayers: Int32Array[] = [];
  let pending: Int32Array | null = null;
  integerInference(model, x, {
    onLayer: (_i, l, out) => {
      if (l.kind === 'dense' || l.kind === 'conv2d' || l.kind === 'maxpool2d') {
        if (pending) refLayers.push(pending);
        pending = out.slice();
      } else if (l.kind === 'clamp' && pending) pending = out.slice();
    },
  });
  if (pending) refLayers.push(pending);
  const acc = runAccelerator(p, x, 1, { layerOutputs: true }).layerOutputs;
  for (let li = 0; li < acc.length; li++) {
    const e = firstDiff(refLayers[li], acc[li]);
    if (e >= 0) return { between: 'integer reference vs TS accelerator', image, layer: p.layers[li].name, element: e, expected: refLayers[li][e], actual: acc[li][e] };
  }
  return { between: 'integer reference vs TS accelerator', image, layer: '(output)', element: -1, expected: 0, actual: 0 };
}
