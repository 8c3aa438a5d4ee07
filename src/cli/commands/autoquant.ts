import type { ArgumentsCamelCase } from 'yargs';
import type { Args } from '../args/autoquant.js';
import { loadDesign } from '../../hw/design.js';
import { MODEL_OUTPUT, saveQuantizedModel } from '../../model/format.js';
import { REPORT_OUTPUT, writeReport } from '../../report/document.js';
import { autoquant } from '../../flows/autoquant.js';
import { autoquantReport, verdict } from '../../flows/autoquant_report.js';
import { badValue } from '../../util/errors.js';
import { checkOutDir, optInt, optIntList } from '../options.js';

/**
 * `lowbit autoquant`: hardware-aware automatic mixed precision of an MLP (src/flows/autoquant.ts): per-layer
 * sensitivity (HAWQ Hessian traces and measured drops), the exact Pareto front of per-layer (weight,
 * activation) bits against a cost of the Design (cycles, energy or on-chip memory from lowbit's estimate),
 * QAT fine-tuning of the chosen configuration, of front points and of every uniform scheme; writes the chosen
 * QuantizedModel (--out) and the report (--report). Progress on stderr, the summary on stdout.
 */

/** A budget: a positive number of the metric's units, or a uniform scheme's name (w2a2). */
function parseBudget(s: string): number | string {
  if (/^w\d+a\d+$/.test(s)) return s;
  const v = Number(s);
  if (!(s.trim() !== '' && Number.isFinite(v) && v > 0)) throw badValue('--budget', s, 'a positive number of the metric\'s units or a uniform scheme such as w2a2');
  return v;
}

/** Runs `lowbit autoquant` (its options: cli/args/autoquant.ts). */
export async function autoquantHandler(argv: ArgumentsCamelCase<Args>): Promise<void> {
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
  checkOutDir(argv.out, { ...MODEL_OUTPUT, force: argv.force }, { '--data': argv.data });
  checkOutDir(argv.report, { ...REPORT_OUTPUT, force: argv.force, option: '--report' }, { '--data': argv.data });
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
}
