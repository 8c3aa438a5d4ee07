/**
 * One training run end to end, shared by `lowbit train`, scripts/train-models.sh and the slow tests:
 * options -> NetSpec + TrainConfig, train, then publish:
 *   QAT:  export to a QuantizedModel, evaluate it on the MNIST test set with `integerInference`, record the
 *         accuracy in its provenance, save it (model owner's saver), load it back and check that the loaded
 *         model gives the identical accuracy; then the training log beside it.
 *   weight-only QAT (float activations): the FP32 checkpoint of the trained network's fake-quantized
 *         weights through the weight-only PTQ exporter (the caller's `weightOnly`, quant/weight_only.ts: one
 *         rule for PTQ and QAT, per channel or per group of --group weights), checked to give back the
 *         trained integer codes (negated where a batch-norm scale is negative), evaluated with
 *         `weightOnlyInference`, saved, reloaded, re-evaluated.
 *   FP32: the FP32 checkpoint (checkpoint.json + blobs) with the log and test accuracy in `meta`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs.js';
import { CheckFailedError, InputError, badValue, checkEnum, checkInt } from '../util/errors.js';
import { imageDataset } from '../data/arrays.js';
import { loadMnist, type ImageDataset } from '../data/mnist.js';
import { saveCheckpoint } from '../model/checkpoint.js';
import { saveQuantizedModel, loadQuantizedModel } from '../model/format.js';
import { integerInference } from '../model/infer.js';
import type { QuantizedModel } from '../model/types.js';
import type { Checkpoint } from '../model/checkpoint.js';
import { groupSize, weightOnlyInference, type FloatAct, type WeightOnlyModel, type WoWeight } from '../model/weight_only.js';
import { loadWeightOnlyModel, saveWeightOnlyModel } from '../model/weight_only_io.js';
import { Dense } from './dense.js';
import { Conv2d } from './conv.js';
import { ARCHS, quantizedActivations, type ArchName, type NetSpec } from './arch.js';
import type { Network } from './network.js';
import { testAccuracy, train, type EpochLog, type TrainCheckpoint, type TrainConfig } from './trainer.js';
import { mixedPrecisionHooks, mixedRoundingWord, type MixedPrecisionConfig } from './mixed.js';
import { loadState, saveState } from './state.js';
import { exportQuantized, toCheckpoint } from './export.js';
import type { ActQuantMethod, WeightQuantMethod } from './quantizers.js';
import { buildNetwork } from './arch.js';
import { loadTeacher } from './distill.js';
import { attachTransforms, checkMethodOptions, hasStages, runStages, type DistillOptions, type MethodOptions, type StageAccuracy } from './methods.js';

import { METHODS, type Method } from './names.js';
export { METHODS, type Method };

export interface RunOptions extends MethodOptions, DistillOptions {
  arch: ArchName;
  wbits: number;
  abits: number;
  method?: Method;
  epochs: number;
  seed: number;
  batchSize?: number;
  lr?: number;
  optimizer?: 'adam' | 'sgd';
  hidden?: number[];
  firstBits?: number;
  lastBits?: number;
  /** per-group weight scales: weights per group along K (int weights; integer multipliers, model/group.ts) */
  group?: number;
  xnorScale?: boolean;
  /** drop probability after every hidden activation (default 0.2 for FP32, 0 for QAT) */
  dropout?: number;
  /** drop probability on the input pixels (default 0) */
  inputDropout?: number;
  /** DoReFa gradient quantization bits (absent: FP32 gradients) */
  gradBits?: number;
  /** augmentation: random shifts of up to this many pixels (default 0) */
  shift?: number;
  maxTrain?: number;
  valCount?: number;
  dataDir?: string;
  /** images and labels files (.npy or IDX) to train on and to measure the test accuracy on, instead of MNIST */
  dataFiles?: { train: [string, string]; test: [string, string] };
  label?: string;
  /** stop after this many epochs, resumable from the state (runTraining's `stateDir`); not part of the run's identity */
  stopAfter?: number;
  /** simulated low-precision training (FP16/BF16/FP8) */
  mixed?: Pick<MixedPrecisionConfig, 'format' | 'rounding'>;
  /** weight-only QAT: float activations in this format (`--scheme w4afp16`); `abits` 32 with `wbits` < 32 means fp32 */
  floatAct?: FloatAct;
}

/** The weight-only PTQ exporter (quant/weight_only.ts `quantizeWeightOnly`, passed in by the caller: quant
 * and train are one layer apart): an FP32 checkpoint -> the weight-only model. */
export type WeightOnlyExporter = (ckpt: Checkpoint, o: { bits: number; group: number; activation: FloatAct; name: string; source: string; levels?: WoWeight[] }) => WeightOnlyModel;

/** The float activation format of a weight-only run (`floatAct`, or fp32 for `--wbits W --abits 32`), null otherwise. */
export function weightOnlyAct(o: Pick<RunOptions, 'wbits' | 'abits' | 'floatAct'>): FloatAct | null {
  return o.floatAct ?? (o.abits === 32 && o.wbits !== 32 ? 'fp32' : null);
}

/** A drop probability: a number in [0, 1) (1 would drop everything). */
function dropProbability(name: string, p: unknown): number {
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw badValue(name, p, 'a probability in [0, 1)');
  return p;
}

/** Maps the CLI's bits + method onto weight and activation quantizers. 32/32 is FP32. */
export function netSpecFor(o: RunOptions): NetSpec {
  checkEnum('arch', o.arch, ARCHS);
  const wo = weightOnlyAct(o);
  const fp = o.wbits === 32 && o.abits === 32 && wo === null;
  if (wo !== null) return weightOnlySpec(o, wo);
  // TTQ/INQ with quantized activations: FP32 latent weights that take the method's values (methods.ts)
  const methodWeights = o.wbits === 32 && (o.ttq !== undefined || o.inq !== undefined);
  if (!fp) {
    if (!methodWeights) checkInt('wbits', o.wbits, 1, 16);
    checkInt('abits', o.abits, 1, 16);
  }
  const dropout = dropProbability('dropout', o.dropout ?? (fp ? 0.2 : 0));
  const inputDropout = dropProbability('input-dropout', o.inputDropout ?? 0);
  const method = methodOf(o) as Method;
  if (!fp) checkEnum('method', method, METHODS);
  if (method === 'ternary' && o.wbits !== 2) throw badValue('wbits', o.wbits, '2 with --method ternary');
  let wm: WeightQuantMethod;
  if (fp || methodWeights) wm = 'none';
  else if (o.wbits === 1) wm = 'binary';
  else if (method === 'ternary') wm = 'ternary';
  else if (method === 'lsq') wm = 'lsq';
  else if (method === 'dorefa') wm = 'dorefa';
  else wm = 'int';
  let am: ActQuantMethod;
  if (fp) am = 'relu';
  else if (o.abits === 1) am = 'sign';
  else if (method === 'lsq') am = 'lsq';
  else if (method === 'dorefa') am = 'dorefa';
  else am = 'pact';
  return {
    arch: o.arch,
    ...(o.hidden ? { hidden: o.hidden } : {}),
    weights: { method: wm, bits: wm === 'none' ? 32 : o.wbits, ...(o.xnorScale ? { xnorScale: true } : {}), ...groupSpec(o, wm) },
    act: { method: am, bits: fp ? 32 : o.abits },
    ...(o.firstBits ? { firstBits: o.firstBits } : {}),
    ...(o.lastBits ? { lastBits: o.lastBits } : {}),
    ...(dropout > 0 ? { dropout } : {}),
    ...(inputDropout > 0 ? { inputDropout } : {}),
    ...(o.gradBits !== undefined ? { gradBits: checkInt('grad-bits', o.gradBits, 1, 16) } : {}),
  };
}

/**
 * `group`: per-group int weight scales; inputs are 8-bit pixels or `abits`-bit activations, so |x| <=
 * max(255, 2^abits - 1) bounds the accumulator (quantizers.ts `groupFracBits`).
 */
function groupSpec(o: RunOptions, wm: WeightQuantMethod): { group?: { size: number; inMax: number } } {
  if (o.group === undefined) return {};
  checkInt('group', o.group, 1, 2 ** 31 - 1);
  if (wm !== 'int') throw new InputError(`--group ${o.group}: per-group scales train int weights (--wbits 2..16 with the default method); this run has ${wm} weights`);
  const methods = (['ttq', 'inq', 'shareWeights', 'quantNoise'] as const).filter((k) => o[k] !== undefined);
  if (methods.length > 0) throw new InputError(`--group ${o.group}: per-group scales replace the weight quantizer that ${methods.join(', ')} rewrite${methods.length > 1 ? '' : 's'}; drop one of them`);
  return { group: { size: o.group, inMax: Math.max(255, 2 ** o.abits - 1) } };
}

/** Weight-only QAT: int weights (per output channel, max scaling), ReLU with float activations in `act`. */
function weightOnlySpec(o: RunOptions, act: FloatAct): NetSpec {
  if (o.abits !== 32) throw badValue('abits', o.abits, `32 with float activations (${act}): a weight-only run keeps activations float`);
  if (!(Number.isInteger(o.wbits) && o.wbits >= 2 && o.wbits <= 8)) throw badValue('wbits', o.wbits, 'an integer 2..8 with float activations (weight-only models store 2..8-bit weight codes)');
  if (o.method !== undefined) throw new InputError(`method ${o.method}: weight-only QAT has one weight quantizer (symmetric, max scaling per output channel: the weight-only PTQ rule); drop --method`);
  const dropout = dropProbability('dropout', o.dropout ?? 0);
  const inputDropout = dropProbability('input-dropout', o.inputDropout ?? 0);
  return {
    arch: o.arch,
    ...(o.hidden ? { hidden: o.hidden } : {}),
    // the weight-only model's rule (quantizeRows): one float32 scale per group of --group weights, else per row
    weights: { method: 'int', bits: o.wbits, group: { size: o.group === undefined ? 0 : checkInt('group', o.group, 1, 2 ** 31 - 1) } },
    act: { method: 'relu', bits: 32 },
    floatAct: act,
    ...(o.firstBits ? { firstBits: o.firstBits } : {}),
    ...(o.lastBits ? { lastBits: o.lastBits } : {}),
    ...(dropout > 0 ? { dropout } : {}),
    ...(inputDropout > 0 ? { inputDropout } : {}),
    ...(o.gradBits !== undefined ? { gradBits: checkInt('grad-bits', o.gradBits, 1, 16) } : {}),
  };
}

/** The training configuration for the options (Adam + cosine decay by default). */
export function trainConfigFor(o: RunOptions): TrainConfig {
  const net = netSpecFor(o);
  const binary = net.weights.method === 'binary';
  return {
    net,
    epochs: checkInt('epochs', o.epochs, 1, 100000),
    batchSize: o.batchSize ?? 100,
    optimizer: { name: o.optimizer ?? 'adam', lr: o.lr ?? (binary ? 0.01 : net.weights.method === 'none' ? 0.002 : 0.003), ...(o.optimizer === 'sgd' ? { momentum: 0.9, weightDecay: 5e-4 } : {}) },
    schedule: { name: 'cosine', epochs: Math.max(1, o.epochs) },
    seed: o.seed,
    valCount: o.valCount ?? 5000,
    ...(o.maxTrain ? { maxTrain: o.maxTrain } : {}),
    ...(o.shift ? { shift: checkInt('shift', o.shift, 0, 8) } : {}),
    ...(o.stopAfter !== undefined ? { stopAfter: checkInt('stop-after', o.stopAfter, 1, o.epochs) } : {}),
    label: o.label ?? runName(o),
    ...(o.mixed ? { mixed: mixedPrecisionHooks(o.mixed) } : {}),
  };
}

/** Top-1 accuracy of a QuantizedModel on a dataset through `integerInference` (batches of 1000). */
export function integerAccuracy(model: QuantizedModel, data: ImageDataset): number {
  return datasetAccuracy(data, (x) => integerInference(model, x).output);
}

/** Top-1 accuracy of a weight-only model on a dataset through `weightOnlyInference` (batches of 1000). */
export function weightOnlyAccuracy(model: WeightOnlyModel, data: ImageDataset): number {
  return datasetAccuracy(data, (x, n) => weightOnlyInference(model, x, n));
}

/** Top-1 accuracy of `forward` (pixels / 255 as float32 in, n x classes logits out) over the dataset, 1000 images at a time. */
function datasetAccuracy(data: ImageDataset, forward: (x: Float32Array, n: number) => ArrayLike<number>): number {
  const sz = data.rows * data.cols;
  let correct = 0;
  for (let s = 0; s < data.count; s += 1000) {
    const n = Math.min(1000, data.count - s);
    const x = new Float32Array(n * sz);
    for (let i = 0; i < n * sz; i++) x[i] = data.images[s * sz + i]! / 255;
    const out = forward(x, n);
    const C = out.length / n;
    for (let b = 0; b < n; b++) {
      let best = 0;
      for (let c = 1; c < C; c++) if (out[b * C + c]! > out[b * C + best]!) best = c;
      if (best === data.labels[s + b]) correct++;
    }
  }
  return correct / data.count;
}

export interface RunSummary {
  name: string;
  arch: string;
  wbits: number;
  abits: number;
  method: string;
  epochs: number;
  seed: number;
  /** drop probability after every hidden activation (0: none) */
  dropout: number;
  /** drop probability on the input pixels (0: none) */
  inputDropout: number;
  /** augmentation: random shifts of up to this many pixels (0: none) */
  shift: number;
  /** the `lowbit train` command line that reproduces the run (same machine: bit-identical weights) */
  command: string;
  /** accuracy of the exported integer model (QAT) or of the FP32 network on the MNIST test set */
  testAccuracy: number;
  /** the network's own exact-mode accuracy (equals testAccuracy for QAT, by construction) */
  networkTestAccuracy: number;
  trainSeconds: number;
  samplesPerSec: number;
  out: string | null;
  log: EpochLog[];
  /** a training method's stages (INQ partitions, pruning, weight sharing): MNIST test accuracy of each */
  stages?: StageAccuracy[];
}

/**
 * Publishes a trained network to `out` (QuantizedModel or FP32 checkpoint, plus train-log.json) and
 * returns the summary. Throws CheckFailedError if the saved model does not reproduce its accuracy.
 */
export function publish(net: Network, spec: NetSpec, info: Omit<RunSummary, 'testAccuracy' | 'networkTestAccuracy' | 'out'>, out: string | null, test: ImageDataset, opts: PublishOptions = {}): RunSummary {
  const netAcc = testAccuracy(net, test);
  const fp = spec.weights.method === 'none' && !quantizedActivations(spec);
  let acc = netAcc;
  if (spec.floatAct !== undefined) {
    acc = publishWeightOnly(net, spec, info, out, test, opts);
  } else if (!fp) {
    const qm = exportQuantized(net, info.name, {
      tool: 'lowbit train', date: new Date().toISOString(), source: info.command,
      accuracy: [], notes: `QAT (${spec.weights.method} weights, ${spec.act.method} activations); first layer reads 8-bit pixels; BN + activation folded into thresholds; last layer raw int32 logits`,
    });
    acc = integerAccuracy(qm, test);
    qm.provenance.accuracy.push({ dataset: 'mnist-test', metric: 'top1', value: acc, samples: test.count });
    if (out) {
      saveQuantizedModel(qm, out, { force: opts.force });
      const again = integerAccuracy(loadQuantizedModel(out), test);
      if (again !== acc) throw new CheckFailedError(`${out}: the saved model gives ${again} on the MNIST test set, the exported one ${acc}`);
    }
  } else if (out) {
    saveCheckpoint(out, toCheckpoint(net, spec.arch, { testAccuracy: acc, log: info.log, seed: info.seed }), { force: opts.force });
  }
  const summary: RunSummary = { ...info, testAccuracy: acc, networkTestAccuracy: netAcc, out };
  if (out) writeFileAtomic(join(out, 'train-log.json'), JSON.stringify(summary, null, 1) + '\n');
  return summary;
}

export interface PublishOptions {
  force?: boolean;
  /** the weight-only PTQ exporter; needed for a weight-only run */
  weightOnly?: WeightOnlyExporter;
}

/** A weight-only network -> its weight-only model (file header): exported, checked, measured, saved. Returns the accuracy. */
function publishWeightOnly(net: Network, spec: NetSpec, info: Omit<RunSummary, 'testAccuracy' | 'networkTestAccuracy' | 'out'>, out: string | null, test: ImageDataset, opts: PublishOptions): number {
  if (!opts.weightOnly) throw new Error('publish: a weight-only run needs the weight-only exporter (quantizeWeightOnly of quant/weight_only.ts)');
  const group = spec.weights.group?.size ?? 0;
  const m = opts.weightOnly(toCheckpoint(net, spec.arch), { bits: spec.weights.bits, group, activation: spec.floatAct!, name: info.name, source: info.command, levels: trainedLevels(net, spec.weights.bits) });
  checkTrainedCodes(net, m, spec.weights.bits, group);
  m.provenance.tool = 'lowbit train';
  m.provenance.notes = `weight-only QAT (int${spec.weights.bits} weights, ${group === 0 ? 'one scale per output channel' : `one scale per ${group} weights along K`}, ${spec.floatAct} activations); BN folded into the weights and biases`;
  const acc = weightOnlyAccuracy(m, test);
  m.provenance.accuracy.push({ dataset: 'mnist-test', metric: 'top1', value: acc, samples: test.count });
  if (out) {
    saveWeightOnlyModel(m, out, opts.force);
    const again = weightOnlyAccuracy(loadWeightOnlyModel(out), test);
    if (again !== acc) throw new CheckFailedError(`${out}: the saved model gives ${again} on the MNIST test set, the exported one ${acc}`);
  }
  return acc;
}

/**
 * The exporter re-quantizes the trained weights w_hat = s_g q after folding batch-norm (a w_hat); with max
 * scaling per row or group that gives back q, negated where a < 0 (a row of zeros where a = 0). Checked row
 * by row: any other code means the exporter's rule (bits, group size, rounding) is not the one trained.
 */
function checkTrainedCodes(net: Network, m: WeightOnlyModel, bits: number, group: number): void {
  const trained = net.layers.filter((l): l is Dense | Conv2d => l instanceof Dense || l instanceof Conv2d);
  const exported = m.layers.filter((l) => l.kind === 'dense' || l.kind === 'conv2d');
  if (exported.length !== trained.length) throw new CheckFailedError(`the exported model has ${exported.length} weighted layers, the network ${trained.length}`);
  trained.forEach((l, i) => {
    l.quantize(false);
    const e = exported[i]!;
    if (e.kind !== 'dense' && e.kind !== 'conv2d') return;
    const rows = e.kind === 'dense' ? e.out : e.outC;
    const K = e.weight.data.length / rows;
    const size = groupSize(group, K);
    if (e.weight.bits !== bits || e.weight.group !== size) throw new CheckFailedError(`layer ${e.name}: exported int${e.weight.bits} weights in groups of ${e.weight.group}; trained int${bits} in groups of ${size}`);
    for (let r = 0; r < rows; r++) {
      let same = true;
      let neg = true;
      let zero = true;
      for (let k = r * K; k < (r + 1) * K; k++) {
        const c = e.weight.data[k]!;
        const t = l.q[k]!;
        same &&= c === t;
        neg &&= c === -t;
        zero &&= c === 0;
      }
      if (!(same || neg || zero)) throw new CheckFailedError(`layer ${e.name} row ${r}: the exported weight codes differ from the trained ones (the exporter's rule is not the trained quantizer's)`);
    }
  });
}

/** The trained levels of every dense/conv layer (codes and per-group scales of weight-only QAT's quantizer). */
function trainedLevels(net: Network, bits: number): WoWeight[] {
  return net.layers.filter((l): l is Dense | Conv2d => l instanceof Dense || l instanceof Conv2d).map((l) => {
    l.quantize(false);
    const rows = l instanceof Dense ? l.outF : l.outC;
    const K = l.q.length / rows;
    const scale = l.groupScale!;
    return { bits, data: Int32Array.from(l.q), group: groupSize(l.wq.group!.size, K), scale: scale.slice() };
  });
}

/** The run saved in `dir` to continue (null when `dir` holds none); refuses a run of other options. */
function savedRun(dir: string, o: RunOptions): { net: Network; checkpoint: TrainCheckpoint } | null {
  if (!existsSync(join(dir, 'state.json'))) return null;
  const { net, state, checkpoint } = loadState(dir);
  const saved = state.meta.options as RunOptions | undefined;
  // the same run: the same reproducing command line on the same data
  const id = (x: RunOptions): string => `${trainCommandLine(x)}${x.dataDir ? ` --data ${x.dataDir}` : ''}${x.dataFiles ? ` --data ${x.dataFiles.train.join(' --labels ')} --test-data ${x.dataFiles.test.join(' --test-labels ')}` : ''}`;
  const [was, now] = [saved ? id(saved) : '(unknown)', id(o)];
  if (was !== now) throw new InputError(`${dir} holds the state of another run (${was}; this one is ${now}): pass its options to continue it, or another --state folder`);
  if (!checkpoint) throw new InputError(`${dir}/state.json has no checkpoint to continue from (an older lowbit saved it): use another --state folder`);
  process.stderr.write(`${dir}: continuing after epoch ${checkpoint.epoch} of ${o.epochs}\n`);
  return { net, checkpoint };
}

/** The `lowbit train` command line for the options (every option that changes the trained weights). */
export function trainCommandLine(o: RunOptions): string {
  const spec = netSpecFor(o);
  const cfg = trainConfigFor(o);
  const wo = weightOnlyAct(o);
  const a = [wo ? `lowbit train --arch ${o.arch} --scheme w${o.wbits}a${wo}` : `lowbit train --arch ${o.arch} --wbits ${o.wbits} --abits ${o.abits}`];
  if (spec.weights.method !== 'none' && !wo) a.push(`--method ${methodOf(o)}`);
  a.push(`--epochs ${o.epochs} --seed ${o.seed}`);
  if (cfg.batchSize !== 100) a.push(`--batch-size ${cfg.batchSize}`);
  if (o.lr !== undefined) a.push(`--lr ${o.lr}`);
  if (o.optimizer === 'sgd') a.push('--optimizer sgd');
  if (o.hidden) a.push(`--hidden ${o.hidden.join(',')}`);
  if (o.firstBits) a.push(`--first-bits ${o.firstBits}`);
  if (o.lastBits) a.push(`--last-bits ${o.lastBits}`);
  if (o.xnorScale) a.push('--xnor-scale');
  if (o.group !== undefined) a.push(`--group ${o.group}`);
  if (o.dropout !== undefined) a.push(`--dropout ${o.dropout}`);
  if (o.inputDropout) a.push(`--input-dropout ${o.inputDropout}`);
  if (o.shift) a.push(`--shift ${o.shift}`);
  if (o.gradBits !== undefined) a.push(`--grad-bits ${o.gradBits}`);
  if (o.maxTrain) a.push(`--train-images ${o.maxTrain}`);
  if (cfg.valCount !== 5000) a.push(`--val-images ${cfg.valCount}`);
  if (o.mixed) a.push(`--precision ${o.mixed.format} --rounding ${mixedRoundingWord(o.mixed.rounding)}`);
  if (o.ttq !== undefined) a.push(`--ttq ${o.ttq}${o.ttqScaleBits !== undefined ? ` --ttq-scale-bits ${o.ttqScaleBits}` : ''}${o.ttqShift ? ' --ttq-shift' : ''}`);
  if (o.quantNoise !== undefined) a.push(`--quant-noise ${o.quantNoise} --qn-block ${o.qnBlock ?? 4}`);
  if (o.teacher !== undefined) a.push(`--teacher ${o.teacher} --temperature ${o.temperature ?? 4} --distill-weight ${o.distillWeight ?? 0.9}`);
  if (o.inq) a.push(`--inq ${o.inq.join(',')} --inq-bits ${o.inqBits ?? 5}`);
  if (o.pruneChannels !== undefined) a.push(`--prune-channels ${o.pruneChannels}`);
  if (o.pruneWeights !== undefined) a.push(`--prune-weights ${o.pruneWeights}`);
  if (o.shareWeights !== undefined) a.push(`--share-weights ${o.shareWeights}`);
  if (hasStages(o)) a.push(`--stage-epochs ${o.stageEpochs ?? 1}`);
  return a.join(' ');
}

function methodOf(o: RunOptions): string {
  if (weightOnlyAct(o)) return 'weight-only';
  return o.wbits === 32 && o.abits === 32 ? 'fp32' : (o.method ?? (o.wbits === 1 && o.abits === 1 ? 'bnn' : 'pact'));
}

/** The run description `publish` records, from the options and the training log (a run that stopped
 * before `o.epochs` says so in its command). */
export function runInfo(o: RunOptions, name: string, r: { seconds: number; samplesPerSec: number; log: EpochLog[] }): Omit<RunSummary, 'testAccuracy' | 'networkTestAccuracy' | 'out'> {
  const done = r.log.length;
  return {
    name, arch: o.arch, wbits: o.wbits, abits: o.abits, method: methodOf(o), epochs: done, seed: o.seed,
    dropout: netSpecFor(o).dropout ?? 0, inputDropout: o.inputDropout ?? 0, shift: o.shift ?? 0,
    command: trainCommandLine(o) + (done < o.epochs ? ` (stopped after epoch ${done})` : ''),
    trainSeconds: r.seconds, samplesPerSec: r.samplesPerSec, log: r.log,
  };
}

/** A run's default name: arch-wXaY, or arch-wXafp16 for weight-only. */
function runName(o: RunOptions): string {
  return `${o.arch}-w${o.wbits}a${weightOnlyAct(o) ?? o.abits}`;
}

/** The last path component of an output folder (the model name). */
export function outName(out: string): string {
  return out.replace(/\/+$/, '').split('/').pop()!;
}

/**
 * Trains with the options and publishes to `out` (null: no files). With `stateDir` the full training state
 * is saved there after every epoch (src/train/state.ts), and a run already saved there with the same
 * options continues from its last completed epoch to the weights an uninterrupted run would reach.
 */
export function runTraining(o: RunOptions, out: string | null, stateDir?: string, opts: PublishOptions = {}): RunSummary {
  const cfg = trainConfigFor(o);
  checkMethodOptions(o, cfg.net.weights.method === 'none', !quantizedActivations(cfg.net), stateDir !== undefined);
  if (cfg.net.floatAct !== undefined && (hasStages(o) || o.quantNoise !== undefined)) {
    throw new InputError('--inq/--prune-channels/--share-weights/--quant-noise: not with weight-only QAT (float activations); train it plainly (--teacher is allowed)');
  }
  const f = o.dataFiles;
  const data = f ? imageDataset(f.train[0], f.train[1], 28, 28, 10) : loadMnist('train', o.dataDir);
  const test = f ? imageDataset(f.test[0], f.test[1], 28, 28, 10) : loadMnist('test', o.dataDir);
  for (const [d, split] of [[data, 'train'], [test, 'test']] as const) checkTrainData(d, split, o);
  if (o.teacher !== undefined) cfg.distill = { teacher: loadTeacher(o.teacher), temperature: o.temperature ?? 4, weight: o.distillWeight ?? 0.9 };
  let resume: { net: Network; checkpoint?: TrainCheckpoint } | null = null;
  if (stateDir) {
    resume = savedRun(stateDir, o);
    const { label: _, ...options } = o;
    cfg.onEpoch = (net, _e, checkpoint) => saveState(stateDir, net, { spec: cfg.net, seed: cfg.seed, meta: { options } }, checkpoint);
  }
  // a new network is built here (as train would) so that a method's transforms are on it before the optimizer
  resume ??= { net: buildNetwork(cfg.net, cfg.seed) };
  attachTransforms(resume.net, o);
  const r = train(cfg, data, resume);
  const info = runInfo(o, out ? outName(out) : runName(o), r);
  if (!hasStages(o) && o.quantNoise === undefined) return publish(r.net, cfg.net, info, out, test, opts);
  const st = runStages(r.net, cfg.net, cfg, o, data, test);
  return publish(st.net, st.spec, { ...info, log: [...r.log, ...st.log], trainSeconds: info.trainSeconds + st.seconds, stages: st.stages }, out, test, opts);
}

/** The architectures read 28x28 images into 10 classes: other image sizes or labels >= 10 are refused. */
function checkTrainData(d: ImageDataset, split: string, o: RunOptions): void {
  const where = o.dataFiles ? o.dataFiles[split as 'train' | 'test'][0] : o.dataDir ? `--data ${o.dataDir} (${split} split)` : `the MNIST ${split} split`;
  if (d.rows !== 28 || d.cols !== 28) throw new InputError(`${where}: images are ${d.rows}x${d.cols}; allowed: 28x28 (the architectures read 784 pixels)`);
  if (d.count < 1) throw new InputError(`${where}: holds no images`);
  for (let i = 0; i < d.count; i++) {
    if (d.labels[i]! >= 10) throw new InputError(`${where}: label ${i} is ${d.labels[i]}; allowed: 0..9 (the architectures have 10 outputs)`);
  }
  if (split === 'train' && (o.valCount ?? 5000) >= d.count) throw new InputError(`--val ${o.valCount ?? 5000}: the training split has only ${d.count} images; allowed: fewer than that`);
}
