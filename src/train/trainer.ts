/**
 * The training loop: seeded data order, mini-batch forward/backward, optimizer step with a scheduled
 * learning rate, per-epoch validation, progress on stderr. Evaluation of a quantized network runs in
 * exact mode (the integers the hardware computes), so the accuracy printed is the integer model's.
 * Same seed + same machine -> bit-identical weights (all randomness from Rng, fixed summation orders).
 * A run can stop after any epoch and resume bit-identically: `onEpoch` receives a TrainCheckpoint (every
 * generator state, the optimizer's moments and step count, the log) and `train(cfg, data, {net, checkpoint})`
 * continues from it; src/train/state.ts saves and loads both.
 */
import { batches, fullView, headView, trainValSplit, type DatasetView } from '../data/batches.js';
import { shiftBatch } from '../data/augment.js';
import type { ImageDataset } from '../data/mnist.js';
import { Rng } from '../util/rng.js';
import { InputError } from '../util/errors.js';
import { progress } from '../util/progress.js';
import { buildNetwork, type NetSpec } from './arch.js';
import { softmaxCrossEntropy, argmaxRows } from './loss.js';
import { Optimizer, scheduledLr, type OptimizerConfig, type OptimizerState, type ScheduleConfig } from './optim.js';
import type { Network, NetRunState } from './network.js';
import { distillationLoss, type DistillConfig, type Teacher } from './distill.js';

/**
 * Hooks of simulated low-precision training (src/train/mixed.ts implements them): round the working
 * copies before the forward pass, check/unscale gradients (return false to skip an overflowed step),
 * update the loss scale after the step.
 */
export interface PrecisionHooks {
  readonly lossScale: number;
  beforeForward(): void;
  afterBackward(): boolean;
  afterStep(): void;
  state(): PrecisionState;
  setState(s: PrecisionState): void;
}

/** The loss-scaling state of simulated low-precision training between steps. */
export interface PrecisionState {
  lossScale: number;
  /** clean steps since the scale last changed */
  good: number;
  skipped: number;
  rng: number[];
}

export interface TrainConfig {
  net: NetSpec;
  epochs: number;
  batchSize: number;
  optimizer: OptimizerConfig;
  schedule: ScheduleConfig;
  seed: number;
  /** held-out validation samples taken from the training set (default 5000; 0 = none) */
  valCount?: number;
  /** train on at most this many samples per epoch (quick runs) */
  maxTrain?: number;
  /** augmentation: shift every training image by up to this many pixels in each direction (0: none) */
  shift?: number;
  /** stop after this many completed epochs (at most `epochs`); the checkpoint continues the run later */
  stopAfter?: number;
  /** stop after this many optimizer steps in total (tests) */
  maxSteps?: number;
  /** simulated low-precision training (FP16/BF16/FP8), built for the network by `makeHooks` */
  mixed?: (net: Network, seed: number) => PrecisionHooks;
  /** knowledge distillation: the teacher's logits of each (augmented) batch and the loss's T, alpha */
  distill?: { teacher: Teacher } & DistillConfig;
  /** label for progress lines */
  label?: string;
  /** called after every epoch (e.g. to save the state of a long run; the checkpoint's arrays are live) */
  onEpoch?: (net: Network, entry: EpochLog, checkpoint: TrainCheckpoint) => void;
}

/** Everything besides the network's parameters that a run needs to continue bit-identically after
 * `epoch` completed epochs. */
export interface TrainCheckpoint {
  epoch: number;
  steps: number;
  /** training seconds so far */
  seconds: number;
  log: EpochLog[];
  /** generators of the data order and of the shift augmentation */
  orderRng: number[];
  augRng: number[];
  net: NetRunState;
  optimizer: OptimizerState;
  precision: PrecisionState | null;
}

export interface EpochLog {
  epoch: number;
  lr: number;
  loss: number;
  trainAcc: number;
  valAcc: number | null;
  seconds: number;
  samplesPerSec: number;
  /** mixed precision: current loss scale and skipped (overflowed) steps this epoch */
  lossScale?: number;
  skipped?: number;
  /** the stage of a multi-stage training method (e.g. "inq 0.75", "prune retrain") */
  stage?: string;
}

export interface TrainResult {
  net: Network;
  log: EpochLog[];
  steps: number;
  seconds: number;
  samplesPerSec: number;
  diverged: boolean;
}

/** Accuracy of `net` on a view (exact integer-equivalent mode for quantized layers). */
export function evaluate(net: Network, view: DatasetView, batchSize = 500): number {
  if (view.indices.length === 0) return NaN;
  net.setExact(true);
  const pred = new Uint8Array(batchSize);
  let correct = 0;
  for (const b of batches(view, batchSize, null)) {
    const z = net.forward(b.x, b.n, false);
    argmaxRows(z, b.n, net.outSize, pred);
    for (let i = 0; i < b.n; i++) if (pred[i] === b.y[i]) correct++;
  }
  net.setExact(false);
  return correct / view.indices.length;
}

/** Trains a new network for `cfg`, or continues `resume.net` (loaded with its state) from `resume.checkpoint`
 * to the same weights an uninterrupted run with the same `cfg` would reach; `resume.net` without a checkpoint
 * starts a fresh run (fresh optimizer) from that network's weights (fine-tuning, a method's retraining stage). */
export function train(cfg: TrainConfig, data: ImageDataset, resume?: { net: Network; checkpoint?: TrainCheckpoint }): TrainResult {
  const model = resume?.net ?? buildNetwork(cfg.net, cfg.seed);
  const split = trainValSplit(data, cfg.valCount ?? 5000, cfg.seed ^ 0x5eed);
  const trainView = cfg.maxTrain ? headView(split.train, cfg.maxTrain) : split.train;
  const rng = new Rng(cfg.seed ^ 0xda7a);
  // its own generator, so that augmentation leaves the data order (and dropout masks) unchanged
  const augRng = new Rng(cfg.seed ^ 0x5417);
  const shape = { rows: data.rows, cols: data.cols, channels: 1 };
  const augBuf = new Float32Array(cfg.shift ? cfg.batchSize * data.rows * data.cols : 0);
  const opt = new Optimizer(model.params(), cfg.optimizer);
  const mp = cfg.mixed ? cfg.mixed(model, cfg.seed ^ 0xf16) : null;
  const classes = model.outSize;
  const dz = new Float32Array(cfg.batchSize * classes);
  const ck = resume?.checkpoint;
  if (ck) {
    if (!ck.precision !== !mp) throw new InputError(`the checkpoint is of a ${ck.precision ? 'mixed-precision' : 'float32'} run; this configuration is ${mp ? 'mixed-precision' : 'float32'}`);
    rng.setState(ck.orderRng);
    augRng.setState(ck.augRng);
    model.setRunState(ck.net);
    opt.setState(ck.optimizer);
    if (mp && ck.precision) mp.setState(ck.precision);
  }
  const log: EpochLog[] = ck ? [...ck.log] : [];
  const stepsPerEpoch = Math.ceil(trainView.indices.length / cfg.batchSize);
  let steps = ck?.steps ?? 0;
  let diverged = log.some((e) => !Number.isFinite(e.loss));
  const t0 = performance.now() - (ck?.seconds ?? 0) * 1000;
  const lastEpoch = Math.min(cfg.epochs, cfg.stopAfter ?? cfg.epochs);
  for (let epoch = ck?.epoch ?? 0; epoch < lastEpoch; epoch++) {
    const te = performance.now();
    const bar = progress(`${cfg.label ?? 'train'} epoch ${epoch + 1}/${cfg.epochs}`, stepsPerEpoch);
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    let lr = 0;
    let skipped = 0;
    for (const b of batches(trainView, cfg.batchSize, rng)) {
      lr = scheduledLr(cfg.optimizer.lr, cfg.schedule, epoch + b.index / stepsPerEpoch);
      opt.zeroGrad();
      mp?.beforeForward();
      const x = cfg.shift ? shiftBatch(b.x, b.n, shape, cfg.shift, augRng, augBuf) : b.x;
      const z = model.forward(x, b.n, true);
      const scale = mp ? mp.lossScale : 1;
      const r = cfg.distill
        ? distillationLoss(z, cfg.distill.teacher(x.subarray(0, b.n * data.rows * data.cols), b.n), b.y, b.n, classes, cfg.distill, dz, scale)
        : softmaxCrossEntropy(z, b.y, b.n, classes, dz, scale);
      model.backward(dz, b.n);
      if (!Number.isFinite(r.loss)) diverged = true;
      if (mp) {
        if (mp.afterBackward()) opt.step(lr, scale);
        else skipped++;
        mp.afterStep();
      } else opt.step(lr);
      lossSum += r.loss * b.n;
      correct += r.correct;
      seen += b.n;
      steps++;
      bar.tick(1, { loss: lossSum / seen, acc: correct / seen, 'samples/s': Math.round(seen / ((performance.now() - te) / 1000)) });
      if (cfg.maxSteps !== undefined && steps >= cfg.maxSteps) break;
    }
    bar.stop();
    const secs = (performance.now() - te) / 1000;
    const valAcc = split.val.indices.length > 0 ? evaluate(model, split.val) : null;
    const entry: EpochLog = {
      epoch: epoch + 1, lr, loss: lossSum / seen, trainAcc: correct / seen, valAcc, seconds: secs, samplesPerSec: seen / secs,
      ...(mp ? { lossScale: mp.lossScale, skipped } : {}),
    };
    log.push(entry);
    process.stderr.write(
      `${cfg.label ?? 'train'} epoch ${entry.epoch}: loss ${entry.loss.toFixed(4)} train ${(entry.trainAcc * 100).toFixed(2)}%` +
        (valAcc !== null ? ` val ${(valAcc * 100).toFixed(2)}%` : '') +
        ` lr ${lr.toExponential(2)} ${entry.samplesPerSec.toFixed(0)} samples/s${mp ? ` scale ${mp.lossScale} skipped ${skipped}` : ''}\n`,
    );
    if (!Number.isFinite(entry.loss)) diverged = true;
    cfg.onEpoch?.(model, entry, {
      epoch: epoch + 1, steps, seconds: (performance.now() - t0) / 1000, log, orderRng: rng.state(), augRng: augRng.state(),
      net: model.runState(), optimizer: opt.state(), precision: mp ? mp.state() : null,
    });
    if (cfg.maxSteps !== undefined && steps >= cfg.maxSteps) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  const samples = log.reduce((a, e) => a + e.samplesPerSec * e.seconds, 0);
  return { net: model, log, steps, seconds, samplesPerSec: samples / log.reduce((a, e) => a + e.seconds, 0), diverged };
}

/** Accuracy on a whole dataset (e.g. the MNIST test set). */
export function testAccuracy(net: Network, data: ImageDataset): number {
  return evaluate(net, fullView(data));
}
