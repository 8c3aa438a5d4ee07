/**
 * Benchmark: the cycle-stepped TS model of the systolic array (src/hw/mac_array.ts driven by the GEMM
 * controller) against Verilator running hdl/mac_array.sv on the same 16x16 int8 array and the same GEMM,
 * in cycles per second (medians of several runs, side by side in one process). Also the fast functional
 * path (gemmInt + the cost model) for the same GEMM.
 *
 * Verilator runs through the co-simulation harness (src/rtl: batched stimulus file in, outputs out, no
 * VCD); its time is the simulator process's wall clock, stimulus encoding excluded. Before timing, the
 * RTL's outputs are checked equal to the TS model's, cycle by cycle.
 *
 *   npx tsx bench/mac_array.bench.ts [M K N] [--dataflow os|ws|is] [--reps 5]
 */
import type { Design } from '../src/hw/design.js';
import { PRESETS } from '../src/hw/presets.js';
import { simulateGemm } from '../src/hw/gemm_schedule.js';
import { buildSim } from '../src/rtl/build.js';
import { runSim } from '../src/rtl/run.js';
import { resolveRepoPath } from '../src/rtl/paths.js';
import { outputPorts } from '../src/rtl/unit.js';
import { macArrayUnit } from '../src/rtl/units/mac_array.js';
import type { MacArrayInputs } from '../src/hw/mac_array.js';
import type { AccValue } from '../src/hw/mac_rule.js';
import { Rng } from '../src/util/rng.js';
import { encodeStimulus } from '../src/rtl/harness.js';
import { inputPorts } from '../src/rtl/unit.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const nums = args.filter((a, i) => /^\d+$/.test(a) && !(i > 0 && args[i - 1].startsWith('--'))).map(Number);
const [M, K, N] = nums.length === 3 ? nums : [128, 256, 128];
const reps = Number(flag('reps', '5'));
const design = structuredClone(PRESETS.int8) as Design;
design.array.dataflow = flag('dataflow', 'os') as Design['array']['dataflow'];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const rng = new Rng(1);
const A = Int32Array.from({ length: M * K }, () => rng.int(-128, 127));
const W = Int32Array.from({ length: K * N }, () => rng.int(-128, 127));

// 1. the edge stimulus of this GEMM, recorded from the controller (packed per port like the adapter)
const R = design.array.rows;
const C = design.array.cols;
const stim: bigint[][] = [];
const pack = (xs: ArrayLike<number | bigint>, bits: number): bigint => {
  let x = 0n;
  for (let i = xs.length - 1; i >= 0; i--) x = (x << BigInt(bits)) | BigInt.asUintN(bits, BigInt(xs[i]));
  return x;
};
const ref = simulateGemm(design, A, W, M, K, N, {
  cycleAccurate: true,
  onCycle: (_t, _a, i: MacArrayInputs<AccValue>) => {
    stim.push([i.hValid ? 1n : 0n, pack(i.h, 8), i.vValid ? 1n : 0n, pack(i.v, 8), i.last ? 1n : 0n, BigInt(i.tag), pack(i.ps, 32)]);
  },
});
stim.push([0n, 0n, 0n, 0n, 0n, 0n, 0n]); // the cycle in which the last result row is on y_o
const cycles = ref.cycles;
if (stim.length !== cycles) throw new Error(`stimulus ${stim.length} cycles != ${cycles}`);
console.log(`GEMM ${M}x${K}x${N} on ${R}x${C} ${design.array.dataflow} int8 (acc 32 WRAP): ${cycles} cycles (cost model ${ref.stats.cycles})`);

// 2. Verilator build (cached) and an output check against the TS model
const ports = macArrayUnit.ports(design);
const built = await buildSim({
  unit: 'mac_array', top: 'mac_array', files: macArrayUnit.hdlFiles(design).map(resolveRepoPath),
  parameters: macArrayUnit.parameters(design), ports, trace: false,
}, { jobs: 2 });
console.log(`verilator build: ${built.cached ? 'cached' : `${built.seconds.toFixed(1)} s`}`);
const expected = macArrayUnit.model(design, stim).outputs;
const first = await runSim(built, 'mac_array', ports, stim);
const outs = outputPorts(ports);
for (let t = 0; t < stim.length; t++) {
  for (let j = 0; j < outs.length; j++) {
    if (BigInt.asUintN(outs[j].width, expected[t][j]) !== first.outputs[t][j]) throw new Error(`RTL != TS model at cycle ${t}, ${outs[j].name}`);
  }
}
console.log(`RTL outputs == TS model outputs on all ${stim.length} cycles`);

// 3. timings: wall clock of each, and CPU time (user + system; the machine may be shared)
const tsTimes: number[] = [];
const tsCpu: number[] = [];
const rtlTimes: number[] = [];
const rtlCpu: number[] = [];
const fastTimes: number[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'lowbit-bench-'));
const stimFile = join(tmp, 'stim.bin');
const words = encodeStimulus('mac_array', inputPorts(ports), stim);
writeFileSync(stimFile, new Uint8Array(words.buffer, words.byteOffset, words.byteLength));
const haveTime = existsSync('/usr/bin/time');
for (let r = 0; r < reps; r++) {
  let t0 = performance.now();
  const c0 = process.cpuUsage();
  const s = simulateGemm(design, A, W, M, K, N, { cycleAccurate: true });
  const c1 = process.cpuUsage(c0);
  tsTimes.push((performance.now() - t0) / 1000);
  tsCpu.push((c1.user + c1.system) / 1e6);
  if (s.cycles !== cycles) throw new Error('cycle count changed');
  rtlTimes.push((await runSim(built, 'mac_array', ports, stim)).seconds);
  if (haveTime) {
    const p = spawnSync('/usr/bin/time', ['-f', '%U %S', built.exe, stimFile, join(tmp, 'out.bin')], { encoding: 'utf8' });
    const [u, sy] = p.stderr.trim().split('\n').pop()!.split(' ').map(Number);
    rtlCpu.push(u + sy);
  }
  t0 = performance.now();
  simulateGemm(design, A, W, M, K, N, { cycleAccurate: false });
  fastTimes.push((performance.now() - t0) / 1000);
}
rmSync(tmp, { recursive: true, force: true });
const ts = median(tsTimes);
const rtl = median(rtlTimes);
const fast = median(fastTimes);
const row = (name: string, sec: number): string =>
  `| ${name.padEnd(36)} | ${(sec * 1000).toFixed(1).padStart(9)} | ${(cycles / sec / 1e6).toFixed(3).padStart(9)} | ${(rtl / sec).toFixed(2).padStart(6)}x |`;
console.log(`\nmedians of ${reps} runs, ${cycles} cycles each`);
console.log('| path                                 |   ms      | Mcycle/s  | vs RTL  |');
console.log('|--------------------------------------|-----------|-----------|---------|');
console.log(row('Verilator 5.006 (hdl/mac_array.sv)', rtl));
console.log(row('TS cycle-stepped (src/hw/mac_array)', ts));
console.log(row('TS fast path (gemmInt + cost model)', fast));
console.log(`\nTS cycle-stepped / Verilator cycles per second (wall clock): ${(rtl / ts).toFixed(2)} (target >= 0.5)`);
if (haveTime) {
  const tc = median(tsCpu);
  const rc = median(rtlCpu);
  console.log(`CPU time medians: Verilator ${(rc * 1000).toFixed(0)} ms (${(cycles / rc / 1e3).toFixed(1)} kcycle/s), ` +
    `TS cycle-stepped ${(tc * 1000).toFixed(0)} ms (${(cycles / tc / 1e3).toFixed(1)} kcycle/s): ratio ${(rc / tc).toFixed(2)}`);
}
