/**
 * MLP batch of the RTL co-simulation: `npx tsx bench/accel_batch.bench.ts [--images N] [--batches 1,4,8,16]
 * [--reps R]`. sfc-w1a1 on binary-mnist, N MNIST test images (default 256) through the transaction-level
 * co-simulation (src/rtl/accel_tx.ts, simulator processes, one job, -O1 as `lowbit run --rtl` builds it for
 * the 10,000 images) at each batch B: B images per accelerator run, one per array row. One Verilator build
 * serves every batch (the capacity of the largest). Per batch: cycles per run and per image (the TS model),
 * simulator CPU seconds per image (the children's CPU time, so it holds on a shared machine), k cycles per
 * CPU second, and the CPU time per image against batch 1 side by side. Every image must agree with the TS
 * model (exit 1 otherwise). `lowbit run --rtl` takes its default batch for MLPs from this (flows/run.ts
 * `defaultBatch`).
 */
import { availableParallelism } from 'node:os';
import { loadMnist } from '../src/data/mnist.js';
import { compileModel } from '../src/hw/accel_compile.js';
import { runCycles } from '../src/hw/accel_top.js';
import { loadDesign } from '../src/hw/design.js';
import { loadQuantizedModel } from '../src/model/format.js';
import type { AccelCapacity } from '../src/rtl/accel_top.js';
import { txAccelerator } from '../src/rtl/accel_tx.js';
import { MAKE_VARS } from '../src/rtl/build.js';
import { resolveRepoPath } from '../src/rtl/paths.js';
import { childCpu, cpuLine } from './cpu.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const N = Number(arg('--images', '256'));
const REPS = Number(arg('--reps', '3'));
const batches = arg('--batches', '1,2,4,8,16').split(',').map(Number);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const model = loadQuantizedModel(resolveRepoPath('models/sfc-w1a1'));
const design = loadDesign('binary-mnist');
const set = loadMnist('test');
const programs = batches.map((b) => compileModel(model, design, { batch: b }));
const x = new Int32Array(N * programs[0].inputElems);
for (let i = 0; i < x.length; i++) x[i] = set.images[i];
const capacity: AccelCapacity = {
  wDepth: Math.max(...programs.map((p) => p.wDepth)), pDepth: Math.max(...programs.map((p) => p.pDepth)),
  actWords: Math.max(...programs.map((p) => Math.ceil(p.actBits / 32))), outDepth: Math.max(...programs.map((p) => p.outDepth)),
  layers: Math.max(...programs.map((p) => p.layers.length)),
};

console.log('# lowbit RTL co-simulation by MLP batch (sfc-w1a1 on binary-mnist, transaction level)');
console.log(cpuLine());
console.log(`${N} images per batch, 1 simulator process at a time, ${MAKE_VARS.join(' ')}; medians of ${REPS} runs; CPU = the simulators' (children's) CPU time`);
console.log(`${availableParallelism()} cores; one build for every batch (ActWords ${capacity.actWords}, OutDepth ${capacity.outDepth})`);
console.log('batch  cycles/run  cycles/image  wall s  CPU s  CPU ms/image  k cycles/CPU s  CPU/image vs batch 1');
// the build (or the cache lookup) first, outside the timed runs
const warm = await txAccelerator(programs[0], x.subarray(0, programs[0].inputElems), 1, { capacity, mode: 'process', jobs: 1, makeVars: MAKE_VARS });
console.log(`build ${warm.build.cached ? 'cached' : `${warm.build.seconds.toFixed(0)} s`}`);
let base = 0;
let bad = false;
for (const p of programs) {
  const cpus: number[] = [];
  const walls: number[] = [];
  let simCycles = 0;
  for (let r = 0; r < REPS; r++) {
    const c0 = childCpu();
    const res = await txAccelerator(p, x, N, { capacity, mode: 'process', jobs: 1, makeVars: MAKE_VARS });
    cpus.push(childCpu() - c0);
    walls.push(res.simSeconds);
    simCycles = res.simCycles;
    if (res.agree !== N) {
      bad = true;
      console.log(`batch ${p.images}: ${res.agree} of ${N} images agree`);
    }
  }
  const cpu = median(cpus);
  const perImage = (1000 * cpu) / N;
  if (p.images === 1 || base === 0) base = perImage;
  console.log(`${String(p.images).padStart(5)}  ${String(runCycles(p)).padStart(10)}  ${(runCycles(p) / p.images).toFixed(0).padStart(12)}  ${median(walls).toFixed(1).padStart(6)}  ${cpu.toFixed(1).padStart(5)}  ${perImage.toFixed(2).padStart(12)}  ${(simCycles / cpu / 1e3).toFixed(1).padStart(14)}  ${(perImage / base).toFixed(3).padStart(20)}`);
}
process.exit(bad ? 1 : 0);
