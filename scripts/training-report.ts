/**
 * Writes reports/training/results.md, results.json and two plots (plots/accuracy.svg: every run's MNIST
 * test accuracy beside the FINN/Brevitas figure of its architecture and precision; plots/loss.svg: the
 * training loss per epoch of the runs of 12 epochs or more) from finished runs. Each argument is a folder
 * holding the train-log.json that `lowbit train` / scripts/train-run.ts writes (a shipped model under
 * models/ or a scratch output), or `LABEL=FOLDER` to name the run LABEL in the report.
 * Optional `--bench FILE`: the output of bench/train.bench.ts, quoted; `--intro FILE`: a paragraph on the
 * machine and conditions the runs were measured under (defaults to a neutral one).
 *   npx tsx scripts/training-report.ts models/sfc-w1a1 /tmp/runs/out-tfc-w1a1 ... [--bench b.txt] [--intro i.md]
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../src/util/fs.js';
import { renderChart } from '../src/report/plot.js';

/** FINN / Brevitas published MNIST test accuracy (docs/architecture.md), by arch-wXaY. */
const FINN: Record<string, number> = {
  'tfc-w1a1': 93.17, 'tfc-w1a2': 94.79, 'tfc-w2a2': 96.6, 'sfc-w1a1': 97.81, 'sfc-w1a2': 98.31, 'sfc-w2a2': 98.66, 'lfc-w1a1': 98.88, 'lfc-w1a2': 98.99,
};

const args = process.argv.slice(2);
const opt = (name: string): string | null => {
  const i = args.indexOf(name);
  return i >= 0 ? readFileSync(args[i + 1]!, 'utf8').trim() : null;
};
const bench = opt('--bench');
const intro = opt('--intro') ?? 'Accuracy of a QAT run is that of the exported QuantizedModel evaluated with `integerInference`.';
const dirs = args.filter((_, i) => !['--bench', '--intro'].includes(args[i]!) && !['--bench', '--intro'].includes(args[i - 1]!));
interface Row {
  name: string; arch: string; wbits: number; abits: number; method: string; epochs: number; seed: number; testAccuracy: number;
  trainSeconds: number; samplesPerSec: number; log: { epoch: number; loss: number; samplesPerSec: number; seconds: number }[]; out: string | null;
  dropout?: number;
  inputDropout?: number;
  shift?: number;
}
const rows: Row[] = dirs.map((arg) => {
  const eq = arg.indexOf('=');
  const f = join(eq > 0 ? arg.slice(eq + 1) : arg, 'train-log.json');
  if (!existsSync(f)) throw new Error(`${f}: missing (run not finished?)`);
  const r = JSON.parse(readFileSync(f, 'utf8')) as Row;
  return eq > 0 ? { ...r, name: arg.slice(0, eq) } : r;
});
const prec = (r: Row): string => (r.method === 'fp32' ? 'FP32' : `W${r.wbits}A${r.abits}`);
const key = (r: Row): string => `${r.arch}-w${r.wbits}a${r.abits}`;
const runName = (r: Row): string => r.name.replace(/^out-/, '');
/** dropout after hidden activations, on the input, and the augmentation shift ("-": not recorded) */
const regularization = (r: Row): string =>
  r.dropout === undefined ? '-' : [`dropout ${r.dropout}`, ...(r.inputDropout ? [`input ${r.inputDropout}`] : []), ...(r.shift ? [`shift ${r.shift}`] : [])].join(', ');
const cell = (r: Row): string => `${r.arch.toUpperCase()} ${prec(r)}`;

const lines = [
  '# Training results (MNIST test set, 10,000 images)',
  '',
  intro,
  '',
  '| run | arch | precision | method | regularization | epochs | test accuracy % | FINN/Brevitas % | train time s | samples/s |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => {
    const samples = r.log.reduce((a, e) => a + e.samplesPerSec * e.seconds, 0);
    return `| ${runName(r)} | ${r.arch} | ${prec(r)} | ${r.method} | ${regularization(r)} | ${r.epochs} (${Math.round(samples)} samples) | ${(r.testAccuracy * 100).toFixed(2)} | ${FINN[key(r)] ?? '-'} | ${r.trainSeconds.toFixed(0)} | ${r.samplesPerSec.toFixed(0)} |`;
  }),
  '',
  '![test accuracy of every run beside FINN/Brevitas](plots/accuracy.svg)',
  '',
  '![training loss per epoch of the long runs](plots/loss.svg)',
  '',
  ...(bench ? ['## Training throughput beside tfjs-wasm (bench/train.bench.ts)', '', '```', bench, '```', ''] : []),
];

// accuracy: one point per run and one per published figure, by architecture x precision
const cells = [...new Set(rows.map(cell))];
const accuracy = await renderChart({
  title: 'MNIST test accuracy: lowbit runs and FINN/Brevitas',
  mark: 'point',
  data: [
    ...rows.map((r) => ({ model: cell(r), accuracy: +(r.testAccuracy * 100).toFixed(2), source: 'lowbit', run: runName(r) })),
    ...cells.flatMap((c) => {
      const r = rows.find((x) => cell(x) === c)!;
      const f = FINN[key(r)];
      return f === undefined ? [] : [{ model: c, accuracy: f, source: 'FINN/Brevitas', run: 'published' }];
    }),
  ],
  x: { field: 'model', type: 'nominal', title: 'architecture and precision', sort: cells },
  y: { field: 'accuracy', title: 'test accuracy %' },
  color: 'source',
  tooltip: ['run', 'accuracy'],
  width: 520,
});
// loss curves of the long runs only (12 epochs or more): short runs crowd the plot and say little
const LONG = 12;
const loss = await renderChart({
  title: `Training loss per epoch (runs of ${LONG} epochs or more)`,
  mark: 'line',
  data: rows.filter((r) => r.log.length >= LONG).flatMap((r) => r.log.map((e) => ({ run: runName(r), epoch: e.epoch, loss: e.loss }))),
  x: { field: 'epoch' },
  y: { field: 'loss', title: 'mean training loss', scale: 'log' },
  color: 'run',
  width: 520,
});

mkdirSync('reports/training/plots', { recursive: true });
writeFileAtomic('reports/training/plots/accuracy.svg', accuracy);
writeFileAtomic('reports/training/plots/loss.svg', loss);
writeFileAtomic('reports/training/results.md', lines.join('\n'));
writeFileAtomic('reports/training/results.json', JSON.stringify(rows.map((r) => ({ ...r, finn: FINN[key(r)] ?? null })), null, 1) + '\n');
process.stdout.write(lines.join('\n') + '\n');
