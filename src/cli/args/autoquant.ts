import type { Argv, CommandModule } from 'yargs';
import { DESCRIBE } from '../commands/list.js';
import { COST_METRICS, type CostMetric } from '../../explore/cost_metrics.js';
import { withForce } from '../options.js';
import { examplePath } from '../../util/package.js';

/** `lowbit autoquant`: its options (light, all that --help and parsing load); the work is `autoquantHandler` in
 * commands/autoquant.ts, loaded when the command runs. */
export interface Args {
  arch: 'tfc' | 'sfc' | 'lfc';
  hidden?: string;
  design: string;
  metric: CostMetric;
  budget: string;
  'w-bits': string;
  'a-bits': string;
  sensitivity: 'hessian' | 'measured';
  'fp-epochs': number;
  epochs: number;
  'train-images'?: number;
  'val-images': number;
  'hessian-images': number;
  'hessian-samples': number;
  front: number;
  seed: number;
  seeds: number;
  batch: number;
  data?: string;
  out?: string;
  report?: string;
  force: boolean;
  json: boolean;
}

export const autoquantCommand: CommandModule<object, Args> = {
  command: 'autoquant',
  describe: DESCRIBE.autoquant,
  builder: (y: Argv) =>
    withForce(y)
      .option('arch', { choices: ['tfc', 'sfc', 'lfc'] as const, demandOption: true, describe: 'the MLP (per-layer bits are built for the MLPs)' })
      .option('hidden', { type: 'string', describe: 'hidden widths, e.g. 256,256,256 (default by arch)' })
      .option('design', { type: 'string', demandOption: true, describe: 'the Design the cost is measured on (preset or JSON file); its weight buffer (buffers.weightBytes) is a capacity: configurations and uniform schemes whose weights exceed it do not compile and are left out' })
      .option('metric', { choices: COST_METRICS, default: 'cycles' as const, describe: 'budget metric: cycles/inference, energy pJ/inference, or on-chip weight+parameter memory bits' })
      .option('budget', { type: 'string', demandOption: true, describe: 'the budget in the metric\'s units, or a uniform scheme (w2a4) whose cost it is' })
      .option('w-bits', { type: 'string', default: '1,2,4,8', describe: 'candidate weight bits per layer' })
      .option('a-bits', { type: 'string', default: '1,2,4', describe: 'candidate activation bits per layer' })
      .option('sensitivity', { choices: ['hessian', 'measured'] as const, default: 'hessian' as const, describe: "weight sensitivity of the search: HAWQ's Hessian-trace Omega or the measured loss increase" })
      .option('fp-epochs', { type: 'number', default: 3, describe: 'epochs of the FP32 network' })
      .option('epochs', { type: 'number', default: 2, describe: 'QAT fine-tuning epochs of every configuration' })
      .option('train-images', { type: 'number', describe: 'training images per epoch (default: all but the validation images)' })
      .option('val-images', { type: 'number', default: 5000, describe: 'training images held out: the measured sensitivities and validation accuracy' })
      .option('hessian-images', { type: 'number', default: 1000, describe: 'training images of the fixed batch the Hessian traces are taken on' })
      .option('hessian-samples', { type: 'number', default: 32, describe: 'Rademacher vectors of the Hutchinson estimator' })
      .option('front', { type: 'number', default: 3, describe: 'front configurations fine-tuned besides the chosen one' })
      .option('seed', { type: 'number', default: 1 })
      .option('seeds', { type: 'number', default: 1, describe: 'fine-tuning runs of every configuration (seeds seed..seed+N-1): mean accuracy and whether differences exceed the seed-to-seed spread' })
      .option('batch', { type: 'number', default: 1, describe: 'energy: inferences the weight load is amortised over (as estimate --batch)' })
      .option('data', { type: 'string', describe: 'folder of MNIST-shaped IDX files (default: the shipped MNIST)' })
      .option('out', { type: 'string', describe: 'folder for the chosen QuantizedModel' })
      .option('report', { type: 'string', describe: 'folder for the report (index.md, index.html, plots)' })
      .option('json', { type: 'boolean', default: false })
      .example('$0 autoquant --arch tfc --hidden 16,16 --design int8-mnist --budget w2a2 --w-bits 1,2 --a-bits 1,2 --fp-epochs 1 --epochs 1 --train-images 500 --val-images 200 --hessian-images 100 --hessian-samples 2 --front 1 --out models/tfc-auto', 'a quick run on a small MLP: per-layer bits within the cycles of uniform w2a2')
      .example(`$0 autoquant --arch sfc --design ${examplePath('autoquant/bitserial-mnist.json')} --metric cycles --budget 60000 --out models/sfc-auto --report reports/autoquant`, 'mixed precision of SFC within 60,000 cycles per inference')
      .example(`$0 autoquant --arch sfc --design ${examplePath('autoquant/bitserial-144k.json')} --budget 21925 --w-bits 1,2,8 --a-bits 1,2,4 --seeds 3 --report reports/sfc-144k`, 'a 144 KiB weight buffer that only uniform w1a1 fits: the mix keeps bits where they matter') as unknown as Argv<Args>,
  handler: async (argv) => (await import('../commands/autoquant.js')).autoquantHandler(argv),
};
