import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { formatBits } from '../arith/format.js';
import { designToJson, parseDesign, type Design } from '../hw/design.js';
import { PRESETS, PRESET_NAMES } from '../hw/presets.js';
import { compileModel } from '../hw/accel_compile.js';
import { runAccelerator } from '../hw/accel_top.js';
import { loadModel, resolveModelPath } from '../model/locate.js';
import type { QuantizedModel } from '../model/types.js';
import { inputQuant } from '../model/infer.js';
import { quantizeInput } from '../model/stages.js';
import { loadMnist } from '../data/mnist.js';
import { estimateProgram } from '../estimate/network.js';
import { estimateArea } from '../estimate/area.js';
import { hasWindowLayers } from '../hw/conv_window.js';
import { InputError, badValue, didYouMean } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { Rng } from '../util/rng.js';
import { cacheRoot } from '../rtl/build.js';
import { applyPoint, pointAt, type Space } from './space.js';
import type { Metrics } from './sweep.js';

/**
 * Evaluating one sweep point (called in the worker pool, so every argument is plain data):
 * the point's Design (base + scheme overrides + axis values, validated by `parseDesign`), the scheme's
 * QuantizedModel compiled onto it, the network estimate (src/estimate/network.ts) flattened to metrics,
 * Yosys area unless disabled, and the MNIST accuracy of the TS accelerator when asked.
 *
 * A point whose model does not fit its Design (the compiler's InputError) is a result, not a failure:
 * its metrics carry `error` with the compiler's message. A bad Design (a field out of range) fails the run.
 *
 * Accuracy: `runAccelerator` over the MNIST test images (all 10,000, or `space.images` chosen by a
 * seeded shuffle with `space.seed`), pixels / 255 quantized by the model's input quantization. It is
 * cached on disk (`<cache>/accuracy/<hash>.json`) by the model's files and the Design fields that can
 * change values — operand formats, accumulator, requantizer, thresholds — so points that differ only in
 * array size, lanes, buffers or clock reuse it.
 */
export interface PointOptions {
  accuracy: boolean;
  area: boolean;
  batch: number;
}

export function baseDesignJson(s: Space): Record<string, unknown> {
  if (typeof s.base === 'string') {
    if (!(PRESET_NAMES as string[]).includes(s.base)) throw badValue('space: base', s.base, `a preset (${PRESET_NAMES.join(', ')}) or a Design object${didYouMean(s.base, PRESET_NAMES)}`);
    return designToJson(PRESETS[s.base as keyof typeof PRESETS]);
  }
  return designToJson(parseDesign(s.base, 'space: base'));
}

export function pointDesign(s: Space, index: number): Design {
  const p = pointAt(s, index);
  const json = applyPoint(baseDesignJson(s), s, p);
  json.name = p.key;
  return parseDesign(json, `space point ${index} (${p.key})`);
}

export function pointModelDir(s: Space, index: number): string {
  const p = pointAt(s, index);
  if (p.values.scheme === undefined) {
    const names = Object.keys(s.schemes);
    if (names.length !== 1) throw new InputError('space: without a "scheme" axis exactly one scheme must be defined (its model is used)');
    return resolveModelPath(s.schemes[names[0]].model);
  }
  return resolveModelPath(s.schemes[String(p.values.scheme)].model);
}

/** The accuracy cache key: the model's files + value-affecting Design fields + the image selection. */
export function accuracyKey(modelDir: string, d: Design, s: Space): string {
  const h = createHash('sha256');
  if (!existsSync(modelDir)) throw new InputError(`space: model ${modelDir} does not exist`);
  if (statSync(modelDir).isFile()) h.update(readFileSync(modelDir)); // a quantized .onnx file
  else {
    for (const f of readdirSync(modelDir).sort()) {
      const p = join(modelDir, f);
      if (statSync(p).isFile()) h.update(f).update(readFileSync(p));
    }
  }
  h.update(JSON.stringify({ w: d.weight, a: d.activation, acc: d.accumulator, rq: d.requant, thr: d.xnor.thresholds, images: s.images, seed: s.images ? s.seed : 0 }));
  return h.digest('hex').slice(0, 20);
}

/** MNIST test accuracy (0..1) of the model on the TS accelerator for this Design; disk-cached. */
export function pointAccuracy(s: Space, index: number): { accuracy: number; images: number; cached: boolean } {
  const d = pointDesign(s, index);
  const dir = pointModelDir(s, index);
  const file = join(cacheRoot(), 'accuracy', `${accuracyKey(dir, d, s)}.json`);
  if (existsSync(file)) return { ...(JSON.parse(readFileSync(file, 'utf8')) as { accuracy: number; images: number }), cached: true };
  const r = acceleratorAccuracy(loadModel(dir), d, s.images, s.seed, dir);
  writeFileAtomic(file, JSON.stringify(r));
  return { ...r, cached: false };
}

/** All metrics of one point (a worker-pool task). */
export function evaluatePoint(s: Space, index: number, opts: PointOptions): Metrics {
  const d = pointDesign(s, index);
  const dir = pointModelDir(s, index);
  const model = loadModel(dir);
  let prog;
  try {
    prog = compileModel(model, d);
  } catch (e) {
    if (e instanceof InputError) return { model: model.name, error: e.message };
    throw e;
  }
  const e = estimateProgram(prog, model, { batch: opts.batch });
  const m: Metrics = {
    model: model.name,
    weightBits: formatBits(d.weight),
    activationBits: formatBits(d.activation),
    arrayPEs: d.array.rows * d.array.cols,
    lanes: d.xnor.bitsPerCycle,
    engines: e.layers.map((l) => l.engine).join('+'),
    cycles: e.cycles,
    utilization: e.utilization,
    latencyUs: e.latencySeconds * 1e6,
    inferencesPerSecond: e.inferencesPerSecond,
    computeInferencesPerSecond: e.computeInferencesPerSecond,
    weightMemoryBits: e.memory.weightMemoryBits,
    paramMemoryBits: e.memory.paramMemoryBits,
    onChipMemoryBits: e.memory.weightMemoryBits + e.memory.paramMemoryBits + e.memory.activationBufferBits + e.memory.outputBufferBits,
    modelParameterBits: e.memory.model.parameterBits,
    fp32Bits: e.memory.model.fp32Bits,
    savingVsFp32: e.memory.model.savingVsFp32,
    savingVsFp16: e.memory.model.savingVsFp16,
    energyPJ: e.energy.totalPJ,
    computePJ: e.energy.computePJ,
    accumulatePJ: e.energy.accumulatePJ,
    outputStagePJ: e.energy.outputStagePJ,
    windowPJ: e.energy.windowPJ,
    sramPJ: e.energy.sramPJ,
    dramPJ: e.energy.dramPJ,
  };
  if (opts.area) {
    const a = estimateArea(d, hasWindowLayers(model));
    if ('skipped' in a) m.areaSkipped = a.skipped;
    else Object.assign(m, { gates: a.gates, flipFlops: a.flipFlops, luts: a.luts });
  }
  if (opts.accuracy) {
    const acc = pointAccuracy(s, index);
    m.accuracy = acc.accuracy;
    m.accuracyImages = acc.images;
  }
  return m;
}

/**
 * MNIST test accuracy (0..1) of `model` compiled onto `d`, run on the TS accelerator (bit-exact with the
 * RTL): all 10,000 test images, or `images` of them chosen by a seeded shuffle with `seed`.
 */
export function acceleratorAccuracy(model: QuantizedModel, d: Design, images: number, seed: number, where = model.name): { accuracy: number; images: number } {
  const dir = where;
  const prog = compileModel(model, d);
  const q = inputQuant(model);
  if (q === null) throw new InputError(`model ${dir}: no input quantization to map MNIST pixels`);
  const set = loadMnist('test');
  const px = set.rows * set.cols;
  if (px !== prog.inputElems) throw new InputError(`model ${dir}: takes ${prog.inputElems} inputs; MNIST images have ${px}`);
  let order = Int32Array.from({ length: set.count }, (_, i) => i);
  if (images > 0) order = new Rng(seed).shuffle(order).subarray(0, Math.min(images, set.count));
  const batch = 500;
  const xf = new Float32Array(batch * px);
  const xq = new Int32Array(batch * px);
  let correct = 0;
  for (let start = 0; start < order.length; start += batch) {
    const n = Math.min(batch, order.length - start);
    for (let b = 0; b < n; b++) {
      const base = order[start + b] * px;
      for (let i = 0; i < px; i++) xf[b * px + i] = set.images[base + i] / 255;
    }
    quantizeInput(q, xf.subarray(0, n * px), xq.subarray(0, n * px));
    const y = runAccelerator(prog, xq.subarray(0, n * px), n).outputs;
    const C = prog.outputElems;
    for (let b = 0; b < n; b++) {
      let best = 0;
      for (let j = 1; j < C; j++) if (y[b * C + j] > y[b * C + best]) best = j;
      if (best === set.labels[order[start + b]]) correct++;
    }
  }
  return { accuracy: correct / order.length, images: order.length };
}
