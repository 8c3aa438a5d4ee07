/**
 * Writes reports/training/results.md and results.json from finished runs: each argument is a folder
 * holding the train-log.json that `lowbit train` / scripts/train-run.ts writes (a shipped model under
 * models/ or a scratch output). Optional `--bench FILE`: the output of bench/train.bench.ts, quoted.
 *   npx tsx scripts/training-report.ts models/sfc-w1a1 models/sfc-w4a4 ... [--bench bench.txt]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../src/util/fs.js';

/** FINN / Brevitas published MNIST test accuracy (DESIGN.md), by arch-wXaY. */
const FINN: Record<string, number> = {
  'tfc-w1a1': 93.17, 'tfc-w1a2': 94.79, 'tfc-w2a2': 96.6, 'sfc-w1a1': 97.81, 'sfc-w1a2': 98.31, 'sfc-w2a2': 98.66, 'lfc-w1a1': 98.88, 'lfc-w1a2': 98.99,
};

const args = process.argv.slice(2);
const bi = args.indexOf('--bench');
const bench = bi >= 0 ? readFileSync(args[bi + 1]!, 'utf8').trim() : null;
const dirs = args.filter((_, i) => bi < 0 || (i !== bi && i !== bi + 1));
interface Row { name: string; arch: string; wbits: number; abits: number; method: string; epochs: number; seed: number; testAccuracy: number; trainSeconds: number; samplesPerSec: number; log: { samplesPerSec: number; seconds: number }[]; out: string | null }
const rows: Row[] = dirs.map((d) => {
  const f = join(d, 'train-log.json');
  if (!existsSync(f)) throw new Error(`${f}: missing (run not finished?)`);
  return JSON.parse(readFileSync(f, 'utf8')) as Row;
});
const prec = (r: Row): string => (r.method === 'fp32' ? 'FP32' : `W${r.wbits}A${r.abits}`);
const lines = [
  '# Training results (MNIST test set, 10,000 images)',
  '',
  'Measured on the shared 2-core machine under heavy load from other jobs (all runs `nice -n 10`), so',
  'samples/s are low and vary with the load; the epoch budget was set by the time available, not by',
  'convergence. Accuracy of a QAT run is that of the exported QuantizedModel evaluated with',
  '`integerInference` (equal, by construction and test, to the network\'s exact-mode accuracy).',
  '',
  '| run | arch | precision | method | epochs | test accuracy % | FINN/Brevitas % | train time s | samples/s |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => {
    const key = `${r.arch}-w${r.wbits}a${r.abits}`;
    const samples = r.log.reduce((a, e) => a + e.samplesPerSec * e.seconds, 0);
    return `| ${r.name.replace(/^out-/, '')} | ${r.arch} | ${prec(r)} | ${r.method} | ${r.epochs} (${Math.round(samples)} samples) | ${(r.testAccuracy * 100).toFixed(2)} | ${FINN[key] ?? '-'} | ${r.trainSeconds.toFixed(0)} | ${r.samplesPerSec.toFixed(0)} |`;
  }),
  '',
  ...(bench ? ['## Training throughput beside tfjs-wasm (bench/train.bench.ts)', '', '```', bench, '```', ''] : []),
];
writeFileAtomic('reports/training/results.md', lines.join('\n'));
writeFileAtomic('reports/training/results.json', JSON.stringify(rows.map((r) => ({ ...r, finn: FINN[`${r.arch}-w${r.wbits}a${r.abits}`] ?? null })), null, 1) + '\n');
process.stdout.write(lines.join('\n') + '\n');
