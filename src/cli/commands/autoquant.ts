import type { Argv, CommandModule } from 'yargs';
import { loadDesign } from '../../hw/design.js';
import { MODEL_OUTPUT, saveQuantizedModel } from '../../model/format.js';
import { REPORT_OUTPUT, writeReport } from '../../report/document.js';
import { COST_METRICS, type CostMetric } from '../../explore/bitwidth_cost.js';
import { autoquant } from '../../flows/autoquant.js';
import { autoquantReport, verdict } from '../../flows/autoquant_report.js';
import { badValue } from '../../util/errors.js';
import { checkOutDir, optInt, optIntList, withForce } from '../options.js';
import { DESCRIBE } from './list.js';

/**
 * `lowbit autoquant`: hardware-aware automatic mixed precision of an MLP (src/flows/autoquant.ts): per-layer
 * sensitivity (HAWQ Hessian traces and measured drops), the exact Pareto front of per-layer (weight,
 * activation) bits against a cost of the Design (cycles, energy or on-chip memory from lowbit's estimate),
 * QAT fine-tuning of the chosen configuration, of front points and of every uniform scheme; writes the chosen
 * QuantizedModel (--out) and the report (--report). Progress on stderr, the summary on stdout.
 */
interface Args {
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

/** A budget: a positive number of the metric's units, or a uniform scheme's name (w2a2). */
function parseBudget(s: string): number | string {
  if (/^w\d+a\d+$/.test(s)) return s;
  const v = Number(s);
  if (!(s.trim() !== '' && Number.isFinite(v) && v > 0)) throw badValue('--budget', s, 'a positive number of the metric\'s units or a uniform scheme such as w2a2');
  return v;
}

export const autoquantCommand: CommandModule<object, Args> = {
  command: 'autoquant',
  describe: DESCRIBE.autoquant,
  builder: (y: Argv) =>
    withForce(y)
      .option('arch', { choices: ['tfc', 'sfc', 'lfc'] as const, demandOption: true, describe: 'the MLP (per-layer bits are built for the MLPs)' })
      .option('hidden', { type: 'string', describe: 'hidden widths, e.g. 256,256,256 (default by arch)' })
      .option('design', { type: 'string', demandOption: true, describe: 'the Design the cost is measured on (preset or JSON file)' })
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
      .example('$0 autoquant --arch sfc --design examples/autoquant/bitserial-mnist.json --metric cycles --budget 60000 --out models/sfc-auto --report reports/autoquant', 'mixed precision of SFC within 60,000 cycles per inference') as unknown as Argv<Args>,
  handler: async (argv) => {
    const hidden = argv.hidden !== undefined ? optIntList('--hidden', argv.hidden, 1, 4096) : undefined;
    const wBits = [...new Set(optIntList('--w-bits', argv['w-bits'], 1, 16))].sort((a, b) => a - b);
    const aBits = [...new Set(optIntList('--a-bits', argv['a-bits'], 1, 8))].sort((a, b) => a - b);
    optInt('--fp-epochs', argv['fp-epochs'], 1, 1000);
    optInt('--epochs', argv.epochs, 1, 1000);
    optInt('--train-images', argv['train-images'], 1, 1e9);
    optInt('--val-images', argv['val-images'], 100, 30000);
    optInt('--hessian-images', argv['hessian-images'], 10, 20000);
    optInt('--hessian-samples', argv['hessian-samples'], 1, 10000);
    optInt('--front', argv.front, 0, 100);
    optInt('--seed', argv.seed, 0, 2 ** 32 - 1);
    optInt('--seeds', argv.seeds, 1, 20);
    optInt('--batch', argv.batch, 1, 1e9);
    const budget = parseBudget(argv.budget);
    if (typeof budget === 'string') {
      const [w, a] = budget.slice(1).split('a').map(Number);
      if (!wBits.includes(w!) || !aBits.includes(a!)) throw badValue('--budget', budget, `a uniform scheme of the candidate bits (--w-bits ${wBits.join(',')}, --a-bits ${aBits.join(',')}) or a positive number`);
    }
    const design = loadDesign(argv.design);
    checkOutDir(argv.out, { ...MODEL_OUTPUT, force: argv.force });
    checkOutDir(argv.report, { ...REPORT_OUTPUT, force: argv.force });
    const r = autoquant({
      arch: argv.arch, ...(hidden ? { hidden } : {}), design, metric: argv.metric, budget, wBits, aBits, sensitivity: argv.sensitivity,
      fpEpochs: argv['fp-epochs'], epochs: argv.epochs, ...(argv['train-images'] ? { trainImages: argv['train-images'] } : {}),
      valImages: argv['val-images'], hessianImages: argv['hessian-images'], hessianSamples: argv['hessian-samples'], frontPoints: argv.front,
      seed: argv.seed, seeds: argv.seeds, batch: argv.batch, ...(argv.data ? { dataDir: argv.data } : {}),
    });
    if (argv.out) saveQuantizedModel(r.chosen.model, argv.out, { force: argv.force });
    const command = `lowbit ${process.argv.slice(2).join(' ')}`;
    if (argv.report) await writeReport(argv.report, autoquantReport(r, command), { force: argv.force });
    if (argv.json) {
      process.stdout.write(JSON.stringify(autoquantReport(r, command).data, null, 1) + '\n');
      return;
    }
    process.stdout.write(
      `autoquant ${argv.arch} on ${design.name}, ${argv.metric} budget ${r.budget}\n` +
        r.trained.map((t) => `  ${t.kind.padEnd(8)} ${t.name.padEnd(24)} ${argv.metric} ${String(t.cost).padStart(12)}  test ${(t.testAccuracy * 100).toFixed(2)}%\n`).join('') +
        `  ${verdict(r)}\n` +
        (argv.out ? `  chosen model written to ${argv.out}\n` : '') +
        (argv.report ? `  report written to ${argv.report}\n` : ''),
    );
  },
};
