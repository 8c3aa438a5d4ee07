import type { Argv, CommandModule } from 'yargs';
import { ARCHS, type ArchName } from '../../train/arch.js';
import { METHODS, runTraining, type Method, type RunOptions } from '../../train/run.js';
import { checkAlloc } from '../../util/budget.js';
import { CHECKPOINT_OUTPUT } from '../../model/checkpoint.js';
import { MODEL_OUTPUT } from '../../model/format.js';
import { checkOutDir, given, notApplicable, optInt, optIntList, optNum, withForce } from '../options.js';
import { MINIFLOAT_FORMATS, type MixedFormat } from '../../train/mixed.js';
import { DESCRIBE } from './list.js';
import { existsSync, statSync } from 'node:fs';
import { InputError } from '../../util/errors.js';
import { badValue, didYouMean } from '../../util/errors.js';
import { parseWeightOnlyScheme } from './weight_only.js';
import { quantizeWeightOnly } from '../../quant/weight_only.js';
import type { FloatAct } from '../../model/weight_only.js';

/**
 * `lowbit train`: trains an MLP (tfc/sfc/lfc) or the small CNN on MNIST (or a same-shaped IDX dataset in
 * --data), FP32 (--wbits 32 --abits 32) or quantization-aware, and writes to --out either the exported
 * QuantizedModel (QAT; its MNIST test accuracy measured with integerInference) or the FP32 checkpoint,
 * with train-log.json. `--scheme w4afp16` (quantize's spelling; also w4abf16, w4afp32 = --wbits 4 --abits 32)
 * is weight-only QAT: int weights, float activations, exported as a weight-only model. --state DIR keeps the full training state after every epoch, so an interrupted run
 * continues with the same command. Progress on stderr; the summary on stdout (--json for machines).
 */
interface TrainArgs {
  arch: ArchName;
  scheme?: string;
  wbits: number;
  abits: number;
  method?: Method;
  epochs: number;
  seed: number;
  'batch-size': number;
  lr?: number;
  optimizer: 'adam' | 'sgd';
  hidden?: string;
  'first-bits'?: number;
  'last-bits'?: number;
  'xnor-scale': boolean;
  dropout?: number;
  'input-dropout'?: number;
  'grad-bits'?: number;
  shift?: number;
  'train-images'?: number;
  'val-images': number;
  data?: string;
  labels?: string;
  'test-data'?: string;
  'test-labels'?: string;
  precision: 'fp32' | MixedFormat;
  rounding: 'nearest' | 'stochastic';
  out?: string;
  force: boolean;
  state?: string;
  'stop-after'?: number;
  json: boolean;
  ttq?: number;
  'ttq-scale-bits'?: number;
  'quant-noise'?: number;
  'qn-block'?: number;
  teacher?: string;
  temperature?: number;
  'distill-weight'?: number;
  inq?: string;
  'inq-bits'?: number;
  'prune-channels'?: number;
  'share-weights'?: number;
  'prune-weights'?: number;
  'stage-epochs'?: number;
}

/** The training methods' options (docs/train.md, "Training methods"). */
const METHOD_OPTIONS = {
  ttq: { type: 'number', describe: 'Trained Ternary Quantization of FP32 latent weights: threshold t * max|w| (the paper: 0.05)' },
  'ttq-scale-bits': { type: 'number', describe: 'TTQ scales on one power-of-two grid with B significant bits (2..8): integer codes, needed with --abits < 32' },
  'quant-noise': { type: 'number', describe: 'Quant-Noise: quantize each weight block with this probability per training step (QAT)' },
  'qn-block': { type: 'number', describe: 'Quant-Noise block: consecutive weights of a row (default 4)' },
  teacher: { type: 'string', describe: 'distill from this model folder (FP32 checkpoint or QuantizedModel)' },
  temperature: { type: 'number', describe: 'distillation temperature T (default 4)' },
  'distill-weight': { type: 'number', describe: 'distillation: weight alpha of the teacher term, 1 - alpha on the labels (default 0.9)' },
  inq: { type: 'string', describe: 'INQ after the main run: accumulated portions frozen to powers of two, e.g. 0.5,0.75,0.875,1' },
  'inq-bits': { type: 'number', describe: 'INQ bits (zero + signed exponents; default 5)' },
  'prune-channels': { type: 'number', describe: 'after the main run remove this fraction of each hidden layer\'s channels (smallest L1 norm), then retrain' },
  'prune-weights': { type: 'number', describe: 'after the main run remove this fraction of each layer\'s weights (smallest |w|), then retrain (FP32)' },
  'share-weights': { type: 'number', describe: 'after the main run share each layer\'s weights among K k-means centroids, then fine-tune the centroids' },
  'stage-epochs': { type: 'number', describe: 'epochs of each retraining stage of --inq, --prune-channels, --prune-weights, --share-weights (default 1)' },
} as const;

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train',
  describe: DESCRIBE.train,
  builder: (y: Argv) =>
    withForce(y)
      .option('arch', { choices: ARCHS, demandOption: true, describe: 'tfc 3x64, sfc 3x256, lfc 3x1024 MLPs, the small cnn, or cnv (FINN CNV-style 3x3 conv pairs)' })
      .option('scheme', { type: 'string', describe: 'quantize\'s scheme names: wXafp16 | wXabf16 | wXafp32 weight-only QAT (X 2..8, float activations), or wXaY = --wbits X --abits Y' })
      .option('wbits', { type: 'number', default: 32, describe: 'weight bits (1 = binary; 32 with --abits 32 = FP32)' })
      .option('abits', { type: 'number', default: 32, describe: 'activation bits (1 = sign)' })
      .option('method', { choices: METHODS, describe: 'QAT method (default bnn for W1A1, else pact)' })
      .option('epochs', { type: 'number', default: 10 })
      .option('seed', { type: 'number', default: 1 })
      .option('batch-size', { type: 'number', default: 100, describe: 'training samples per SGD/Adam step' })
      .option('lr', { type: 'number', describe: 'base learning rate (cosine-decayed)' })
      .option('optimizer', { choices: ['adam', 'sgd'] as const, default: 'adam' as const })
      .option('hidden', { type: 'string', describe: 'hidden widths (MLP) or conv channels (CNN), e.g. 256,256' })
      .option('first-bits', { type: 'number', describe: 'weight bits of the first layer' })
      .option('last-bits', { type: 'number', describe: 'weight bits of the last layer' })
      .option('xnor-scale', { type: 'boolean', default: false, describe: 'XNOR-Net per-channel scaling of binary weights' })
      .option('dropout', { type: 'number', describe: 'drop probability after every hidden activation (default 0.2 for FP32, 0 for QAT)' })
      .option('input-dropout', { type: 'number', describe: 'drop probability on the input pixels (default 0)' })
      .option('grad-bits', { type: 'number', describe: 'DoReFa gradient quantization: bits of dL/dy of the hidden weighted layers (default: FP32)' })
      .option('shift', { type: 'number', describe: 'augmentation: shift training images by up to N pixels (default 0)' })
      .option('train-images', { type: 'number', describe: 'use at most this many training images per epoch (default: all)' })
      .option('val-images', { type: 'number', default: 5000, describe: 'training images held out for validation' })
      .option('data', { type: 'string', describe: 'folder of MNIST-shaped IDX files (default: the MNIST files shipped with lowbit), or an images file (.npy or IDX: [N, 784], [N, 28, 28] or [N, 1, 28, 28]; floats in [0, 1] or integers 0..255) with --labels' })
      .option('labels', { type: 'string', describe: 'the N labels 0..9 of the --data images file (.npy of any integer dtype, or IDX)' })
      .option('test-data', { type: 'string', describe: 'images file the test accuracy is measured on (with --data FILE; as --data)' })
      .option('test-labels', { type: 'string', describe: 'the labels of --test-data' })
      .option('precision', { choices: ['fp32', ...MINIFLOAT_FORMATS] as const, default: 'fp32' as const, describe: 'simulated training precision' })
      .option('rounding', { choices: ['nearest', 'stochastic'] as const, default: 'nearest' as const, describe: 'minifloat rounding' })
      .option('out', { type: 'string', describe: 'output folder: the QuantizedModel (QAT, e.g. models/sfc-w1a1) or the FP32 checkpoint (e.g. ckpt/sfc)' })
      .option('state', {
        type: 'string',
        describe: 'save the full training state here after every epoch; a run saved here with the same options continues where it stopped (bit-identical)',
      })
      .option('stop-after', { type: 'number', describe: 'stop after this many epochs (with --state, continue later with the same command without it)' })
      .options(METHOD_OPTIONS)
      .example('$0 train --arch tfc --epochs 1 --train-images 3000 --val-images 500 --out ckpt/tfc', 'a quick FP32 checkpoint (for lowbit quantize / compress --checkpoint)')
      .example('$0 train --arch sfc --wbits 1 --abits 1 --epochs 10 --out models/sfc-w1a1 --state state/sfc-w1a1', 'binary QAT, resumable')
      .example('$0 train --arch sfc --scheme w4afp16 --epochs 3 --out models/sfc-w4afp16', 'weight-only QAT: 4-bit weights, FP16 activations (lowbit infer runs the model)') as unknown as Argv<TrainArgs>,
  handler: (argv) => {
    const hidden = argv.hidden !== undefined ? optIntList('--hidden', argv.hidden, 1, 1 << 20) : undefined;
    const floatAct = applyScheme(argv);
    checkTrainOptions(argv, hidden, floatAct);
    const dataFile = checkDataFiles(argv);
    const o: RunOptions = {
      arch: argv.arch, wbits: argv.wbits, abits: argv.abits, epochs: argv.epochs, seed: argv.seed, batchSize: argv['batch-size'],
      optimizer: argv.optimizer, valCount: argv['val-images'], xnorScale: argv['xnor-scale'],
      ...(argv.method ? { method: argv.method } : {}),
      ...(floatAct ? { floatAct } : {}),
      ...(argv.lr !== undefined ? { lr: argv.lr } : {}),
      ...(hidden ? { hidden } : {}),
      ...(argv['first-bits'] ? { firstBits: argv['first-bits'] } : {}),
      ...(argv['last-bits'] ? { lastBits: argv['last-bits'] } : {}),
      ...(argv.dropout !== undefined ? { dropout: argv.dropout } : {}),
      ...(argv['input-dropout'] !== undefined ? { inputDropout: argv['input-dropout'] } : {}),
      ...(argv['grad-bits'] !== undefined ? { gradBits: argv['grad-bits'] } : {}),
      ...(argv.shift !== undefined ? { shift: argv.shift } : {}),
      ...(argv['train-images'] ? { maxTrain: argv['train-images'] } : {}),
      ...(argv.data && !dataFile ? { dataDir: argv.data } : {}),
      ...(dataFile ? { dataFiles: { train: [argv.data!, argv.labels!], test: [argv['test-data']!, argv['test-labels']!] } } : {}),
      ...(argv['stop-after'] !== undefined ? { stopAfter: argv['stop-after'] } : {}),
      ...(argv.precision !== 'fp32' ? { mixed: { format: argv.precision, rounding: argv.rounding } } : {}),
      ...definedOnly({
        ttq: argv.ttq, ttqScaleBits: argv['ttq-scale-bits'], quantNoise: argv['quant-noise'], qnBlock: argv['qn-block'], teacher: argv.teacher, temperature: argv.temperature,
        distillWeight: argv['distill-weight'], inq: argv.inq !== undefined ? fractions('--inq', argv.inq) : undefined, inqBits: argv['inq-bits'],
        pruneChannels: argv['prune-channels'], pruneWeights: argv['prune-weights'], shareWeights: argv['share-weights'], stageEpochs: argv['stage-epochs'],
      }),
    };
    const s = runTraining(o, argv.out ?? null, argv.state, { force: argv.force, weightOnly: quantizeWeightOnly });
    if (argv.json) {
      process.stdout.write(JSON.stringify(s, null, 1) + '\n');
      return;
    }
    const last = s.log[s.log.length - 1];
    process.stdout.write(
      `${s.name}: ${s.arch} W${s.wbits}A${s.abits} (${s.method}), ${s.epochs} epochs, seed ${s.seed}\n` +
        `  ${argv.data && dataFile ? `test accuracy (${argv['test-data']})` : 'MNIST test accuracy'} ${(s.testAccuracy * 100).toFixed(2)}%${s.method === 'fp32' ? ' (FP32)' : floatAct ? ` (exported weight-only model, ${floatAct} activations, weightOnlyInference)` : ' (exported integer model, integerInference)'}\n` +
        `  final train loss ${last ? last.loss.toFixed(4) : '-'}, ${s.trainSeconds.toFixed(1)} s, ${s.samplesPerSec.toFixed(0)} samples/s\n` +
        (s.out ? `  written to ${s.out}\n` : ''),
    );
  },
};

/**
 * `--scheme` in quantize's vocabulary: a weight-only scheme (wXafp16, wXabf16, wXafp32 = wXa32) sets
 * --wbits X and returns its float activation format; wXaY sets --wbits X --abits Y. With --wbits W
 * --abits 32 (W < 32) the run is weight-only with FP32 activations. Returns the float format or null.
 */
function applyScheme(argv: TrainArgs): FloatAct | null {
  if (argv.scheme === undefined) return argv.abits === 32 && argv.wbits !== 32 ? 'fp32' : null;
  for (const o of ['wbits', 'abits']) notApplicable(`--${o}`, given(o), `--scheme ${argv.scheme} sets the weight and activation bits`);
  const wo = parseWeightOnlyScheme(argv.scheme);
  if (wo) {
    argv.wbits = wo.bits;
    argv.abits = 32;
    return wo.activation;
  }
  const m = /^w(\d+)a(\d+)$/.exec(argv.scheme);
  if (!m) throw badValue('--scheme', argv.scheme, `wXafp16 | wXabf16 | wXafp32 (weight-only, X 2..8) or wXaY (X, Y 1..16)${didYouMean(argv.scheme, ['w4afp16', 'w4abf16', 'w4afp32', 'w8afp16', 'w2afp16', 'w4a4', 'w8a8', 'w2a2', 'w1a1'])}`);
  argv.wbits = Number(m[1]);
  argv.abits = Number(m[2]);
  return null;
}

/**
 * --data is a folder of IDX files (MNIST file names) or an images file; a file needs --labels and the test
 * set (--test-data, --test-labels). Returns whether --data is a file. Missing files are named by the readers.
 */
function checkDataFiles(argv: TrainArgs): boolean {
  const file = argv.data !== undefined && existsSync(argv.data) && !statSync(argv.data).isDirectory();
  const files = ['labels', 'test-data', 'test-labels'] as const;
  if (argv.data !== undefined && !existsSync(argv.data)) throw new InputError(`--data ${argv.data}: no such file or folder`);
  for (const f of files) notApplicable(`--${f}`, !file && argv[f] !== undefined, 'it goes with an images file in --data (.npy or IDX); --data is a folder of IDX files or absent');
  if (file) {
    const missing = files.filter((f) => argv[f] === undefined);
    if (missing.length > 0) throw new InputError(`--data ${argv.data} is an images file: give ${missing.map((f) => `--${f}`).join(', ')} (the labels, and the images and labels the test accuracy is measured on)`);
  }
  return file;
}

/** The entries of `o` whose value is not undefined (options the user gave). */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A comma-separated list of numbers in (0, 1], e.g. `--inq 0.5,0.75,0.875,1` (methods.ts checks the order). */
function fractions(name: string, text: string): number[] {
  const v = text.split(',').map((p) => Number(p.trim()));
  if (v.some((x) => !(x > 0 && x <= 1))) throw badValue(name, text, 'comma-separated fractions in (0, 1], e.g. 0.5,0.75,0.875,1');
  return v;
}

/** Every option checked (integers, ranges, finite numbers), options that do not apply refused, and the
 * network's size checked against the memory budget before anything is allocated. */
function checkTrainOptions(argv: TrainArgs, hidden: number[] | undefined, floatAct: FloatAct | null): void {
  const fp = argv.wbits === 32 && argv.abits === 32;
  optInt('--wbits', argv.wbits, 1, 32);
  optInt('--abits', argv.abits, 1, 32);
  if (floatAct) {
    optInt('--wbits', argv.wbits, 2, 8);
    const why = `weight-only QAT (${argv.scheme ?? `--wbits ${argv.wbits} --abits 32`}) trains one int${argv.wbits} weight quantizer per output channel with float activations`;
    for (const o of ['method', 'first-bits', 'last-bits', 'xnor-scale', 'grad-bits']) notApplicable(`--${o}`, given(o), why);
  }
  optInt('--epochs', argv.epochs, 1, 100000);
  optInt('--seed', argv.seed, 0, 2 ** 32 - 1);
  optInt('--batch-size', argv['batch-size'], 1, 60000);
  optNum('--lr', argv.lr, 0, 10, { lo: true });
  optInt('--first-bits', argv['first-bits'], 1, 16);
  optInt('--last-bits', argv['last-bits'], 1, 16);
  optNum('--dropout', argv.dropout, 0, 1, { hi: true });
  optNum('--input-dropout', argv['input-dropout'], 0, 1, { hi: true });
  optInt('--grad-bits', argv['grad-bits'], 1, 16);
  optInt('--shift', argv.shift, 0, 8);
  optInt('--train-images', argv['train-images'], 1, 1e9);
  optInt('--val-images', argv['val-images'], 0, 59999);
  optInt('--stop-after', argv['stop-after'], 1, argv.epochs);
  notApplicable('--method', fp && argv.method !== undefined, 'FP32 training (--wbits 32 --abits 32) has no quantizer; give --wbits/--abits below 32');
  notApplicable('--first-bits', fp && argv['first-bits'] !== undefined, 'it sets quantized weight bits; FP32 training has none');
  notApplicable('--last-bits', fp && argv['last-bits'] !== undefined, 'it sets quantized weight bits; FP32 training has none');
  notApplicable('--xnor-scale', argv['xnor-scale'] && argv.wbits !== 1, 'XNOR-Net scaling is for binary weights (--wbits 1)');
  notApplicable('--rounding', given('rounding') && argv.precision === 'fp32', 'it is the minifloat rounding of --precision fp16/bf16/fp8*');
  optNum('--ttq', argv.ttq, 0, 1, { lo: true, hi: true });
  optNum('--quant-noise', argv['quant-noise'], 0, 1, { lo: true });
  optInt('--qn-block', argv['qn-block'], 1, 1 << 20);
  optNum('--temperature', argv.temperature, 0, 1000, { lo: true });
  optNum('--distill-weight', argv['distill-weight'], 0, 1);
  optInt('--inq-bits', argv['inq-bits'], 2, 8);
  optInt('--ttq-scale-bits', argv['ttq-scale-bits'], 2, 8);
  optNum('--prune-channels', argv['prune-channels'], 0, 1, { lo: true, hi: true });
  optNum('--prune-weights', argv['prune-weights'], 0, 1, { lo: true, hi: true });
  optInt('--share-weights', argv['share-weights'], 2, 65536);
  optInt('--stage-epochs', argv['stage-epochs'], 1, 100000);
  notApplicable('--stop-after', argv['stop-after'] !== undefined && argv.state === undefined, 'a stopped run continues only from its --state folder; give --state DIR');
  // parameters of the widest plausible network: 784 inputs, the hidden widths, 10 outputs. Measured peak
  // RSS above the MNIST baseline: 38-40 bytes a parameter (weights, gradients, two Adam moments, the
  // quantized/exported copies and the heap's slack; docs/reliability.md), so 40 bytes a parameter and
  // 16 bytes an activation of the batch
  const widths = [784, ...(hidden ?? [1024, 1024, 1024]), 10];
  let params = 0;
  for (let i = 1; i < widths.length; i++) params += widths[i - 1]! * widths[i]!;
  const acts = argv['batch-size'] * widths.reduce((a, b) => a + b, 0);
  checkAlloc(`training a network of ${params} parameters (--hidden ${hidden?.join(',') ?? 'default'}, --batch-size ${argv['batch-size']})`, 40 * params + 16 * acts);
  if (argv.out !== undefined) checkOutDir(argv.out, { ...(fp ? CHECKPOINT_OUTPUT : MODEL_OUTPUT), force: argv.force });
}
