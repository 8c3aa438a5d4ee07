/**
 * Issue 23's RTL target, timed: `npx tsx bench/rtl_10k.ts [--images N] [--jobs J]` (after `npm run build`).
 * Runs exactly `lowbit run --model models/sfc-w1a1 --design binary-mnist --images N --rtl --rtl-images N
 * --json` (N = 10,000 by default; the issue's check uses 2,000) as a user would, with a cold Verilator build:
 * an empty cache folder (LOWBIT_CACHE) and ccache off, so the build (runtime library included) is part of
 * the time. Prints the CPU, the load average before and after, the wall time, the CPU time of the whole
 * process tree, the build and simulation times and how many images the RTL agreed on, against the target
 * (all 10,000 in at most 5 minutes on 2 cores). Not part of `npm run bench` (minutes long); exit 1 when an
 * image disagrees or the run fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cpuLine } from './cpu.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const N = Number(arg('--images') ?? 10000);
const jobs = arg('--jobs');
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

/** CPU seconds of this process's waited-for children (and theirs), from /proc/self/stat (cutime + cstime). */
function childCpu(): number {
  const f = readFileSync('/proc/self/stat', 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  // fields 16 and 17 of stat (1-based) are cutime, cstime; `rest` starts at field 3
  return (Number(rest[13]) + Number(rest[14])) / 100;
}
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

const cache = mkdtempSync(join(tmpdir(), 'lowbit-rtl10k-cache-'));
const args = [cli, 'run', '--model', join(repo, 'models', 'sfc-w1a1'), '--design', 'binary-mnist', '--images', String(N), '--rtl', '--rtl-images', String(N), '--json', ...(jobs ? ['--jobs', jobs] : [])];
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
  rtl?: { images: number; agree: number; jobs: number; mode: string; buildSeconds: number; buildCached: boolean; simSeconds: number; simCycles: number };
};
const rtl = rep.rtl!;
const ok = rtl.images === N && rtl.agree === N;
console.log(`wall ${wall.toFixed(1)} s, CPU ${cpu.toFixed(1)} s (all processes)`);
console.log(`  TS reference + accelerator ${(rep.seconds.reference + rep.seconds.accelerator).toFixed(1)} s, RTL ${rep.seconds.rtl!.toFixed(1)} s: build ${rtl.buildSeconds.toFixed(1)} s (${rtl.buildCached ? 'cached!' : 'cold'}), simulation ${rtl.simSeconds.toFixed(1)} s`);
console.log(`  ${rtl.simCycles.toLocaleString('en-US')} cycles over ${rtl.jobs} ${rtl.mode}: ${(rtl.simCycles / rtl.simSeconds / 1e3).toFixed(1)} k cycles/s wall (${rep.cyclesPerInference} cycles per image)`);
console.log(`agreement: ${rtl.agree} of ${rtl.images} images (of ${N}) TS model == RTL (outputs, cycle counts, every port every cycle hashed); accuracy RTL ${((rep.accuracy.rtl ?? 0) * 100).toFixed(2)} %`);
console.log(`target (10,000 images in <= 300 s on 2 cores): ${N === 10000 ? (wall <= 300 ? 'MET' : 'NOT met') : `n/a for ${N} images`} (${wall.toFixed(1)} s)`);
process.exit(ok ? 0 : 1);
