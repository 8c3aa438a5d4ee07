/**
 * Issue 23's RTL target, timed: `npx tsx bench/rtl_10k.ts [--images N] [--jobs J] [--batch B]` (after `npm run
 * build`). Runs exactly `lowbit run --model models/sfc-w1a1 --design binary-mnist --images N --rtl --rtl-images N
 * --json` (N = 10,000 by default; the issue's check uses 2,000; `--batch` passed on when given, else the run's
 * default: 16 images per accelerator run for this MLP) as a user would, with a cold Verilator build:
 * an empty cache folder (LOWBIT_CACHE) and ccache off, so the build (runtime library included) is part of
 * the time. Prints the CPU, the load average before and after, the wall time, the CPU time of the whole
 * process tree, the build and simulation times, images per run and cycles per image, how many images the RTL
 * agreed on, and the target (all 10,000 in at most 5 minutes on 2 cores) against the wall time and against
 * the projection for 2 idle cores, CPU / 2 (both cores busy throughout: the simulation runs 2 processes, the
 * build's compile `make -j2`; on a quiet machine the batch-1 run took 334.0 s for 648.8 CPU s, 1.03x CPU / 2). Not part of `npm run bench` (minutes long); exit 1 when an
 * image disagrees or the run fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { childCpu, cpuLine } from './cpu.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const N = Number(arg('--images') ?? 10000);
const jobs = arg('--jobs');
const batch = arg('--batch');
const repo = resolve(import.meta.dirname, '..');
const cli = join(repo, 'dist', 'cli', 'main.js');
if (!Number.isInteger(N) || N < 1 || N > 10000) {
  process.stderr.write(`rtl_10k: --images: got ${arg('--images')}; allowed: an integer 1..10000\n`);
  process.exit(2);
}
if (!existsSync(cli)) {
  process.stderr.write(`rtl_10k: ${cli} is missing; run \`npm run build\` first\n`);
  process.exit(2);
}

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

const cache = mkdtempSync(join(tmpdir(), 'lowbit-rtl10k-cache-'));
const args = [cli, 'run', '--model', join(repo, 'models', 'sfc-w1a1'), '--design', 'binary-mnist', '--images', String(N), '--rtl', '--rtl-images', String(N), '--json', ...(jobs ? ['--jobs', jobs] : []), ...(batch ? ['--batch', batch] : [])];
console.log('# issue 23: sfc-w1a1 test images through the RTL, cold Verilator build');
console.log(cpuLine());
console.log(`command: lowbit ${args.slice(1).join(' ')}`);
console.log(`cache: ${cache} (empty), CCACHE_DISABLE=1; load average before: ${load()}`);
const cpu0 = childCpu();
const t0 = performance.now();
const r = spawnSync(process.execPath, args, { env: { ...process.env, LOWBIT_CACHE: cache, CCACHE_DISABLE: '1' }, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 << 20 });
const wall = (performance.now() - t0) / 1000;
const cpu = childCpu() - cpu0;
rmSync(cache, { recursive: true, force: true });
console.log(`load average after: ${load()}`);
if (r.status !== 0) {
  console.log(`FAILED: lowbit exited with ${r.status ?? r.signal} after ${wall.toFixed(1)} s`);
  process.exit(1);
}
const rep = JSON.parse(r.stdout) as {
  accuracy: { reference: number; accelerator: number; rtl?: number };
  cyclesPerInference: number;
  seconds: { reference: number; accelerator: number; rtl?: number };
  rtl?: { images: number; agree: number; jobs: number; mode: string; buildSeconds: number; buildCached: boolean; simSeconds: number; simCycles: number; imagesPerRun: number; cyclesPerRun: number };
};
const rtl = rep.rtl!;
const ok = rtl.images === N && rtl.agree === N;
console.log(`wall ${wall.toFixed(1)} s, CPU ${cpu.toFixed(1)} s (all processes)`);
console.log(`  TS reference + accelerator ${(rep.seconds.reference + rep.seconds.accelerator).toFixed(1)} s, RTL ${rep.seconds.rtl!.toFixed(1)} s: build ${rtl.buildSeconds.toFixed(1)} s (${rtl.buildCached ? 'cached!' : 'cold'}), simulation ${rtl.simSeconds.toFixed(1)} s`);
console.log(`  ${rtl.imagesPerRun} images per accelerator run, ${rtl.cyclesPerRun} cycles per run = ${+(rtl.cyclesPerRun / rtl.imagesPerRun).toFixed(2)} per image (+ ${+((rtl.simCycles / N) - rtl.cyclesPerRun / rtl.imagesPerRun).toFixed(2)} of host protocol)`);
console.log(`  ${rtl.simCycles.toLocaleString('en-US')} cycles over ${rtl.jobs} ${rtl.mode}: ${(rtl.simCycles / rtl.simSeconds / 1e3).toFixed(1)} k cycles/s wall`);
console.log(`agreement: ${rtl.agree} of ${rtl.images} images (of ${N}) TS model == RTL (outputs, cycle counts, every port every cycle hashed); accuracy RTL ${((rep.accuracy.rtl ?? 0) * 100).toFixed(2)} %`);
const idle = cpu / 2;
const met = (s: number): string => (N === 10000 ? (s <= 300 ? 'MET' : 'NOT met') : `n/a for ${N} images`);
console.log(`target (10,000 images in <= 300 s on 2 cores): ${met(wall)} at the wall time (${wall.toFixed(1)} s); ${met(idle)} at the projection for 2 idle cores, CPU / 2 = ${idle.toFixed(1)} s`);
process.exit(ok ? 0 : 1);
