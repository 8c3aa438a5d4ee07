import type { Argv, CommandModule } from 'yargs';
import { DESCRIBE } from '../commands/list.js';
import { ARCHS, METHODS, type ArchName, type Method } from '../../train/names.js';
import { MINIFLOAT_FORMATS } from '../../arith/minifloat.js';
import type { MixedFormat, MixedRoundingWord } from '../../train/mixed.js';
import { withForce } from '../options.js';

/** `lowbit train`: its options (light, all that --help and parsing load); the work is `trainHandler` in
 * commands/train.ts, loaded when the command runs. */
export interface TrainArgs {
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
  group?: number;
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
  rounding: MixedRoundingWord;
  out?: string;
  force: boolean;
  state?: string;
  'stop-after'?: number;
  json: boolean;
  ttq?: number;
  'ttq-scale-bits'?: number;
  'ttq-shift'?: boolean;
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
  'ttq-shift': { type: 'boolean', describe: 'TTQ scales rounded to powers of two on that grid: codes {-2^i, 0, 2^j} that the multiplier-free shift PE takes' },
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
      .option('group', { type: 'number', describe: 'per-group weight scales: one scale per GROUP weights along K, as integer multipliers (int weights, integer activations) or float32 scales (weight-only, --scheme wXafp16|wXabf16|wXafp32)' })
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
      .option('rounding', { choices: ['nearest', 'stochastic'] as const, default: 'nearest' as const, describe: 'minifloat rounding: nearest (ties to even, RND_CONV) or stochastic (STOCHASTIC)' })
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
  handler: async (argv) => (await import('../commands/train.js')).trainHandler(argv),
};
