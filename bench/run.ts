/**
 * `npm run bench`: runs every `bench/*.bench.ts` (or those named: `npm run bench -- gemm arith`), one
 * process each so that one benchmark's warm-up and memory do not disturb the next, and prints their tables.
 * The tfjs reference of train.bench.ts lives in bench/'s own package: `npm install --prefix bench` first
 * (the benchmark says so when it is missing).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();
if (files.length === 0) {
  process.stderr.write(`bench: no benchmark matches ${wanted.join(', ')}; have: ${readdirSync(here).filter((f) => f.endsWith('.bench.ts')).join(', ')}\n`);
  process.exit(2);
}
let failed = 0;
for (const f of files) {
  process.stdout.write(`\n=== ${f} ===\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, f)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`(${f} exited with ${r.status})\n`);
  }
}
process.exit(failed > 0 ? 1 : 0);
