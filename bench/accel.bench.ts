/**
 * Whole-accelerator co-simulation benchmark: `npx tsx bench/accel.bench.ts [--images N] [--options] [--per-cycle]`.
 * Model sfc-w1a1 on the binary-mnist design, MNIST test images.
 *
 * 1. The reference: bench/accel_driver.cpp, a C++-only driver of the Verilated accel_top (no lowbit harness,
 *    no TypeScript): Verilator's own cycles/s.
 * 2. lowbit's transaction-level co-simulation (src/rtl/accel_tx.ts: the host protocol in sim/accel.cpp, per
 *    image outputs + cycle counts + a hash of every port every cycle checked against the TS model), in
 *    process (koffi) and through simulator processes, 1 job and all cores: cycles/s and the ratio to 1.
 * 3. Peak memory (max RSS) of this process, and the projection to all 10,000 test images.
 * `--per-cycle`: also the per-cycle path (every port of every cycle through a file, compared in TS).
 * `--options`: builds the driver with each Verilator/C++ option set (-O1, -O3, -march=native,
 * --x-initial fast, --threads 2) and reports build time and simulation rate. Medians of repeated runs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { loadMnist } from '../src/data/mnist.js';
import { compileModel } from '../src/hw/accel_compile.js';
import { writeImages } from '../src/hw/accel_images.js';
import { inferenceCycles } from '../src/hw/accel_top.js';
import { loadDesign } from '../src/hw/design.js';
import { loadQuantizedModel } from '../src/model/format.js';
import { ACCEL_VERILATOR_ARGS, accelBuildRequest, cosimAccelerator, runWords } from '../src/rtl/accel_top.js';
import { accelMakeVars, txAccelerator } from '../src/rtl/accel_tx.js';
import { MAKE_VARS, buildSim } from '../src/rtl/build.js';
import { resolveRepoPath } from '../src/rtl/paths.js';
import { cpuLine } from './cpu.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('--images', 100);
const REPS = arg('--reps', 3);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const k = (r: number): string => `${(r / 1e3).toFixed(1)} k cycles/s`;

const model = loadQuantizedModel(resolveRepoPath('models/sfc-w1a1'));
const p = compileModel(model, loadDesign('binary-mnist'));
const set = loadMnist('test');
const x = new Int32Array(N * p.inputElems);
for (let i = 0; i < x.length; i++) x[i] = set.images[i];
const T = inferenceCycles(p);
const W = runWords(p, x, 0).length;
const driverSrc = resolveRepoPath('bench/accel_driver.cpp');

console.log('# lowbit whole-accelerator co-simulation benchmark (sfc-w1a1 on binary-mnist)');
console.log(cpuLine());
console.log(`${N} images, ${T} cycles per inference, ${W} input words; medians of ${REPS} runs (wall clock; the machine may be shared)`);

/** Builds the C++-only driver with given options; returns its rate (cycles/s, median) and the build time. */
async function driver(makeVars: readonly string[], verilatorFlags: string[] = []): Promise<{ rate: number; cpuRate: number; build: number; cached: boolean }> {
  const b = await buildSim({ ...accelBuildRequest(p), harnessFile: driverSrc, makeVars, extraArgs: [...ACCEL_VERILATOR_ARGS, ...verilatorFlags] });
  const dir = mkdtempSync(join(tmpdir(), 'lowbit-driver-'));
  try {
    writeImages(p, dir);
    const words = new Uint32Array(N * W);
    for (let i = 0; i < N; i++) words.set(runWords(p, x, i), i * W);
    writeFileSync(join(dir, 'images.bin'), words);
    const rates: number[] = [];
    const cpuRates: number[] = [];
    for (let r = 0; r < REPS; r++) {
      const out = execFileSync(b.exe, ['images.bin', String(W), String(p.outputElems), '1'], { cwd: dir, encoding: 'utf8' });
      rates.push(Number(/ cycles_per_s=(\d+)/.exec(out)![1]));
      cpuRates.push(Number(/cycles_per_cpu_s=(\d+)/.exec(out)![1]));
    }
    return { rate: median(rates), cpuRate: median(cpuRates), build: b.seconds, cached: b.cached };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const O3 = accelMakeVars(Infinity);
const ref = await driver(O3);
console.log(`\n## Reference: C++-only driver (bench/accel_driver.cpp), ${O3.join(' ')}`);
console.log(`Verilator alone                 ${k(ref.rate)} wall, ${k(ref.cpuRate)} per CPU second  (build ${ref.cached ? 'cached' : `${ref.build.toFixed(0)} s`})`);

console.log('\n## lowbit transaction-level co-simulation (per image: outputs, cycles_o, done cycle, hash of every port every cycle)');
for (const mode of ['inproc', 'process'] as const) {
  for (const jobs of [1, availableParallelism()]) {
    const rates: number[] = [];
    const cpuRates: number[] = [];
    let wall = 0;
    let built = 0;
    let used = jobs;
    for (let r = 0; r < REPS; r++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      // chunks small enough that every job gets images
      const res = await txAccelerator(p, x, N, { mode, jobs, chunk: Math.max(1, Math.ceil(N / (2 * jobs))), makeVars: O3 });
      used = res.jobs;
      const cpu = process.cpuUsage(c0);
      if (res.agree !== N) throw new Error(`${mode}: ${res.agree} of ${N} images agree`);
      wall = (performance.now() - t0) / 1000;
      built = res.build.seconds;
      rates.push(res.simCycles / res.simSeconds);
      cpuRates.push(res.simCycles / ((cpu.user + cpu.system) / 1e6));
    }
    const rate = median(rates);
    // in process, this process's CPU time covers the simulations (koffi's threads) and the TS checks
    const perCpu = mode === 'inproc' ? `, ${k(median(cpuRates))} per CPU second = ${(median(cpuRates) / ref.cpuRate).toFixed(2)}x the driver's` : '';
    console.log(`${mode.padEnd(8)} ${used} job${used > 1 ? 's' : ' '}   ${k(rate)} wall = ${(rate / ref.rate / used).toFixed(2)}x the driver per job${perCpu}  (last run ${wall.toFixed(1)} s, build lookup ${built.toFixed(1)} s)`);
    if (mode === 'inproc' && jobs > 1) {
      const secs = (10000 * (W + T + p.outputElems + 1)) / rate;
      console.log(`projection: 10,000 test images in ${secs.toFixed(0)} s of simulation at this rate (+ a cold -O3 build)`);
    }
  }
}

if (process.argv.includes('--per-cycle')) {
  const n = Math.min(N, 5);
  const t0 = performance.now();
  const r = await cosimAccelerator(p, x.subarray(0, n * p.inputElems), n);
  const wall = (performance.now() - t0) / 1000;
  console.log(`\n## Per-cycle co-simulation (every port every cycle through files, compared in TS), ${MAKE_VARS.join(' ')}, ${n} images`);
  console.log(`simulator process ${k(r.simCycles / r.simSeconds)}, end to end ${k(r.simCycles / wall)} (build ${r.build.cached ? 'cached' : `${r.build.seconds.toFixed(0)} s`})`);
}

if (process.argv.includes('--options')) {
  console.log('\n## Verilator / C++ options for accel_top (C++-only driver): build time (cold unless cached) and rate');
  const sets: [string, readonly string[], string[]][] = [
    ['-O1 (unit builds)', MAKE_VARS, []],
    ['-O3', O3, []],
    ['-O3 -march=native', O3, ['-CFLAGS', '-march=native']],
    ['-O3 --x-initial fast', O3, ['--x-initial', 'fast']],
    ['-O3 --threads 2', O3, ['--threads', '2']],
  ];
  for (const [label, mv, vf] of sets) {
    const r = await driver(mv, vf);
    console.log(`${label.padEnd(24)} build ${r.cached ? 'cached' : `${r.build.toFixed(0)} s`}  ${k(r.rate)} wall, ${k(r.cpuRate)} per CPU second`);
  }
}
console.log(`\npeak memory (max RSS of this process, simulations in process included): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
