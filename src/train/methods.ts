/**
 * The training methods of `lowbit train` beyond plain QAT (docs/train.md, "Training methods"), as stages
 * around the main training run:
 *   --ttq T             TTQ transforms on every dense/conv layer from the start (--ttq-scale-bits B: the two
 *                       scales on one power-of-two grid, integer codes; --ttq-shift: each scale a power of
 *                       two, codes the shift PE takes)
 *   --quant-noise P     Quant-Noise transforms on every dense/conv layer of a QAT network (block --qn-block)
 *   --teacher DIR       distillation loss in every stage (--temperature, --distill-weight)
 *   --inq F1,F2,..      after the main run, for each accumulated portion: partition and freeze onto powers
 *                       of two (--inq-bits), then retrain the free weights --stage-epochs epochs (not after 1)
 *   --prune-channels F  after the main run, remove the fraction F of each hidden layer's channels by L1
 *                       norm, then retrain --stage-epochs epochs
 *   --prune-weights F   after the main run (and channel pruning), remove the fraction F of each layer's weights
 *                       of smallest |w| (Deep Compression's first stage), then retrain --stage-epochs epochs
 *   --share-weights K   after the main run (and pruning), k-means-share each layer's nonzero weights into K
 *                       centroids, then fine-tune the centroids --stage-epochs epochs
 * TTQ and INQ train FP32 latent weights that take the method's values; with quantized activations
 * (--abits A < 32) and integer codes (INQ after its last partition, TTQ with --ttq-scale-bits) the network is
 * exported as a QuantizedModel whose weights are exactly the method's levels (train/export.ts).
 * After a Quant-Noise run the batch-norm statistics are re-estimated with every block quantized
 * (`reestimateBatchNorm`): the running statistics gathered under noise describe a network with some
 * full-precision blocks, not the fully quantized one that is evaluated and exported.
 * A retraining stage starts a fresh Adam/SGD at a tenth of the base learning rate, cosine-decayed over the
 * stage. Each stage's MNIST test accuracy is recorded (before and after its retraining).
 */
import type { ImageDataset } from '../data/mnist.js';
import { batches, fullView, headView } from '../data/batches.js';
import { InputError, badValue, checkInt } from '../util/errors.js';
import type { NetSpec } from './arch.js';
import { Conv2d } from './conv.js';
import { Dense } from './dense.js';
import { InqTransform } from './inq.js';
import type { Network } from './network.js';
import { pruneChannels } from './prune_channels.js';
import { PruneMaskTransform } from './prune_weights.js';
import { QuantNoiseTransform } from './quant_noise.js';
import { SharedWeightsTransform } from './shared_weights.js';
import { testAccuracy, train, type EpochLog, type TrainConfig } from './trainer.js';
import { TtqTransform } from './ttq.js';

export interface MethodOptions {
  ttq?: number;
  /** significant bits of TTQ's two scales on one power-of-two grid (ttq.ts): integer codes */
  ttqScaleBits?: number;
  /** TTQ's scales rounded to powers of two on that grid (ttq.ts): shift-PE codes {-2^i, 0, 2^j} */
  ttqShift?: boolean;
  quantNoise?: number;
  qnBlock?: number;
  inq?: number[];
  inqBits?: number;
  pruneChannels?: number;
  pruneWeights?: number;
  shareWeights?: number;
  /** epochs of each retraining stage (default 1) */
  stageEpochs?: number;
}

/** A stage's MNIST test accuracy (the network's own, exact mode for QAT layers). */
export interface StageAccuracy {
  stage: string;
  testAccuracy: number;
}

export function weightedLayers(net: Network): (Dense | Conv2d)[] {
  return net.layers.filter((l): l is Dense | Conv2d => l instanceof Dense || l instanceof Conv2d);
}

/** The transforms that act from the first step (TTQ, Quant-Noise), set on a freshly built network. */
export function attachTransforms(net: Network, o: MethodOptions): void {
  for (const l of weightedLayers(net)) {
    if (o.ttq !== undefined) l.transform = new TtqTransform(o.ttq, l.weight.value, o.ttqScaleBits, o.ttqShift === true);
    else if (o.quantNoise !== undefined) l.transform = new QuantNoiseTransform(o.quantNoise, o.qnBlock ?? 4, net.rng!);
  }
}

/**
 * Re-estimates every batch-norm layer's running statistics with the network as evaluated (transforms
 * detached, so Quant-Noise quantizes every block): `count` training images (the first of `data`) go forward
 * in training mode in batches of 100, nothing else changes. With momentum m = 0.1 the statistics before
 * weigh (1 - m)^batches (1e-46 after 1,000 batches), so the result is the exponential average over the
 * last batches of the quantized network's own batch statistics.
 */
export function reestimateBatchNorm(net: Network, data: ImageDataset, count: number): void {
  const layers = weightedLayers(net);
  const saved = layers.map((l) => l.transform);
  for (const l of layers) l.transform = null;
  for (const b of batches(headView(fullView(data), count), 100, null)) net.forward(b.x, b.n, true);
  layers.forEach((l, i) => (l.transform = saved[i]!));
}

/** True when the options ask for a stage after the main run. */
export function hasStages(o: MethodOptions): boolean {
  return o.inq !== undefined || o.pruneChannels !== undefined || o.pruneWeights !== undefined || o.shareWeights !== undefined;
}

/**
 * Runs the stages after the main run on `net` (built from `spec`) and returns the final network, its spec
 * (pruning changes the widths), the stages' epoch logs and accuracies.
 */
export function runStages(
  net: Network, spec: NetSpec, cfg: TrainConfig, o: MethodOptions, data: ImageDataset, test: ImageDataset,
): { net: Network; spec: NetSpec; log: EpochLog[]; stages: StageAccuracy[]; seconds: number } {
  const log: EpochLog[] = [];
  const stages: StageAccuracy[] = [];
  let seconds = 0;
  const epochs = o.stageEpochs ?? 1;
  const measure = (stage: string): void => {
    stages.push({ stage, testAccuracy: testAccuracy(net, test) });
    process.stderr.write(`${stage}: test ${(stages[stages.length - 1]!.testAccuracy * 100).toFixed(2)}%\n`);
  };
  const retrain = (stage: string): void => {
    const stageCfg: TrainConfig = {
      ...cfg, epochs, stopAfter: undefined, onEpoch: undefined, label: `${cfg.label ?? 'train'} ${stage}`,
      optimizer: { ...cfg.optimizer, lr: cfg.optimizer.lr / 10 }, schedule: { ...cfg.schedule, epochs },
    };
    const r = train(stageCfg, data, { net });
    log.push(...r.log.map((e) => ({ ...e, stage })));
    seconds += r.seconds;
    measure(`${stage}, retrained`);
  };
  measure('main run');
  if (o.quantNoise !== undefined) {
    reestimateBatchNorm(net, data, Math.min(data.count, 10000));
    measure('batch-norm statistics re-estimated without noise');
  }
  if (o.inq) {
    const layers = weightedLayers(net);
    const inq = layers.map((l) => new InqTransform(o.inqBits ?? 5, l.weight.value.length));
    layers.forEach((l, i) => (l.transform = inq[i]!));
    for (const f of o.inq) {
      layers.forEach((l, i) => inq[i]!.partition(l.weight.value, f));
      measure(`inq ${f}`);
      if (f < 1) retrain(`inq ${f}`);
    }
  }
  if (o.pruneChannels !== undefined) {
    const p = pruneChannels(net, spec, o.pruneChannels, cfg.seed);
    net = p.net;
    spec = p.spec;
    measure(`prune-channels ${o.pruneChannels} (widths ${p.kept.map((k) => k.length).join(',')})`);
    retrain('prune-channels');
  }
  if (o.pruneWeights !== undefined) {
    for (const l of weightedLayers(net)) l.transform = new PruneMaskTransform(l.weight.value, o.pruneWeights);
    measure(`prune-weights ${o.pruneWeights}`);
    retrain('prune-weights');
  }
  if (o.shareWeights !== undefined) {
    weightedLayers(net).forEach((l, i) => {
      if (l.transform && !(l.transform instanceof PruneMaskTransform)) {
        throw new InputError('--share-weights: the layers already carry a method (--ttq, --inq or --quant-noise); use it on its own');
      }
      // the effective weights (pruned ones 0, read before the mask is replaced) are clustered; zeros stay 0
      const w = l.effectiveWeights();
      l.transform = new SharedWeightsTransform(w, o.shareWeights!, cfg.seed + i);
    });
    measure(`share-weights ${o.shareWeights}`);
    retrain('share-weights');
  }
  return { net, spec, log, stages, seconds };
}

/** Distillation options of a run (`--teacher DIR --temperature T --distill-weight A`). */
export interface DistillOptions {
  teacher?: string;
  temperature?: number;
  distillWeight?: number;
}

/**
 * Refuses method options that are out of range or do not fit the run: TTQ and INQ act on FP32 latent weights
 * (--wbits 32) with FP32 or quantized activations (quantized: the run is exported as integers, so TTQ needs
 * --ttq-scale-bits); shared weights act on an FP32 network (--wbits 32 --abits 32: their weights are not
 * integers times one scale per channel); Quant-Noise needs a quantizer (QAT); at most one weight method;
 * a multi-stage run cannot resume. `fpWeights`: the weights are FP32 latent; `fpAct`: so are the activations.
 */
export function checkMethodOptions(o: MethodOptions & DistillOptions, fpWeights: boolean, fpAct: boolean, hasState: boolean): void {
  const frac = (name: string, v: number | undefined, loOpen: boolean, hiOpen: boolean): void => {
    if (v === undefined) return;
    if (!(typeof v === 'number' && (loOpen ? v > 0 : v >= 0) && (hiOpen ? v < 1 : v <= 1))) {
      throw badValue(name, v, `a fraction in ${loOpen ? '(' : '['}0, 1${hiOpen ? ')' : ']'}`);
    }
  };
  frac('--ttq', o.ttq, true, true);
  frac('--quant-noise', o.quantNoise, true, false);
  frac('--prune-channels', o.pruneChannels, true, true);
  frac('--prune-weights', o.pruneWeights, true, true);
  frac('--distill-weight', o.distillWeight, false, false);
  if (o.qnBlock !== undefined) checkInt('--qn-block', o.qnBlock, 1, 1 << 20);
  if (o.inqBits !== undefined) checkInt('--inq-bits', o.inqBits, 2, 8);
  if (o.ttqScaleBits !== undefined) checkInt('--ttq-scale-bits', o.ttqScaleBits, 2, 8);
  if (o.shareWeights !== undefined) checkInt('--share-weights', o.shareWeights, 2, 65536);
  if (o.stageEpochs !== undefined) checkInt('--stage-epochs', o.stageEpochs, 1, 100000);
  if (o.temperature !== undefined && !(o.temperature > 0 && o.temperature <= 1000)) throw badValue('--temperature', o.temperature, 'a number in (0, 1000]');
  if (o.inq) {
    const ok = o.inq.length > 0 && o.inq.every((f, i) => f > 0 && f <= 1 && (i === 0 || f > o.inq![i - 1]!)) && o.inq[o.inq.length - 1] === 1;
    if (!ok) throw badValue('--inq', o.inq.join(','), 'increasing accumulated portions in (0, 1] ending at 1, e.g. 0.5,0.75,0.875,1');
  }
  const weightMethods = [o.ttq !== undefined && '--ttq', o.inq && '--inq', o.quantNoise !== undefined && '--quant-noise', (o.shareWeights !== undefined || o.pruneWeights !== undefined) && '--share-weights/--prune-weights'].filter(Boolean);
  if (weightMethods.length > 1) throw new InputError(`${weightMethods.join(' and ')}: each rewrites the weights; give one of them`);
  for (const [name, on] of [['--ttq', o.ttq !== undefined], ['--inq', !!o.inq]] as const) {
    if (on && !fpWeights) throw new InputError(`${name}: the method sets the weights (FP32 latent weights taking its values); give --wbits 32 (the default), with --abits 32 or the activation bits to export integers`);
  }
  for (const [name, on] of [['--share-weights', o.shareWeights !== undefined], ['--prune-weights', o.pruneWeights !== undefined]] as const) {
    if (on && !(fpWeights && fpAct)) throw new InputError(`${name}: trains an FP32 network whose weights take the method's values; give --wbits 32 --abits 32 (the defaults)`);
  }
  if (o.ttqScaleBits !== undefined && o.ttq === undefined) throw new InputError('--ttq-scale-bits: it sets the grid of the TTQ scales; give --ttq T too');
  if (o.ttqShift && o.ttqScaleBits === undefined) throw new InputError('--ttq-shift: it rounds the TTQ scales to powers of two on their grid; give --ttq T --ttq-scale-bits B too (codes up to 2^(B-1))');
  if (o.ttq !== undefined && !fpAct && o.ttqScaleBits === undefined) {
    throw new InputError('--ttq with quantized activations exports an integer model, whose weights need the two TTQ scales on one grid; give --ttq-scale-bits B (2..8, codes of B + 1 bits), or --abits 32');
  }
  if (o.quantNoise !== undefined && fpWeights) throw new InputError('--quant-noise: needs a quantizer to add noise from; give --wbits/--abits below 32');
  if (o.qnBlock !== undefined && o.quantNoise === undefined) throw new InputError('--qn-block: it is the block size of --quant-noise; give --quant-noise P too');
  if (o.inqBits !== undefined && !o.inq) throw new InputError('--inq-bits: it is the bit width of --inq; give --inq 0.5,0.75,0.875,1 too');
  if (o.stageEpochs !== undefined && !hasStages(o)) throw new InputError('--stage-epochs: it sets the retraining of --inq, --prune-channels, --prune-weights or --share-weights; give one of them');
  if ((o.temperature !== undefined || o.distillWeight !== undefined) && o.teacher === undefined) throw new InputError('--temperature/--distill-weight: they set distillation; give --teacher DIR too');
  if (hasState && (hasStages(o) || o.ttq !== undefined)) throw new InputError('--state: runs with --ttq, --inq, --prune-channels, --prune-weights or --share-weights cannot resume; run without --state');
}
