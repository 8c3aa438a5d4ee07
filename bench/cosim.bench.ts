/**
 * Co-simulation benchmark: `npx tsx bench/cosim.bench.ts [--quick]`.
 *
 * 1. Verilator build time of one unit: cold (empty build cache, ccache disabled), cold build cache with
 *    ccache warm, and a build-cache hit.
 * 2. Co-simulation throughput (vectors = cycles, one input vector per cycle): the simulator process alone,
 *    and end to end (stimulus + TS model + encode + simulate + decode + compare), without and with a VCD.
 * 3. The same GEMM on the TS fast path (`simulateGemm`, functional + cost model) and through Verilator
 *    (the mac_array RTL driven with the controller's edge inputs): same values, same cycle count, and the
 *    wall-clock ratio. Medians of repeated runs, printed side by side.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDesign, type Design } from '../src/hw/design.js';
import { simulateGemm } from '../src/hw/gemm_schedule.js';
import { buildSim, type BuildRequest } from '../src/rtl/build.js';
import { compareOutputs } from '../src/rtl/compare.js';
import { resolveRepoPath } from '../src/rtl/paths.js';
import { runSim } from '../src/rtl/run.js';
import { runSimInProcess } from '../src/rtl/inproc.js';
import { outputPorts, type UnitSpec } from '../src/rtl/unit.js';
import { macArrayUnit } from '../src/rtl/units/mac_array.js';
import { macPeUnit } from '../src/rtl/units/mac_pe.js';
import { Rng } from '../src/util/rng.js';

const quick = process.argv.includes('--quick');
const REPS = quick ? 3 : 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function request(unit: UnitSpec, d: Design, trace = true): BuildRequest {
  return { unit: unit.name, top: unit.top, files: unit.hdlFiles(d).map(resolveRepoPath), parameters: unit.parameters(d), ports: unit.ports(d), trace };
}

async function buildTimes(): Promise<void> {
  const d = macPeUnit.designs()[0].design;
  const tmp = mkdtempSync(join(tmpdir(), 'lowbit-bench-cache-'));
  try {
    const saved = process.env.CCACHE_DISABLE;
    process.env.CCACHE_DISABLE = '1';
    const cold = await buildSim(request(macPeUnit, d), { cacheDir: join(tmp, 'a'), jobs: 2 });
    if (saved === undefined) delete process.env.CCACHE_DISABLE;
    else process.env.CCACHE_DISABLE = saved;
    const warm = await buildSim(request(macPeUnit, d), { cacheDir: join(tmp, 'b'), jobs: 2 });
    const hits: number[] = [];
    for (let i = 0; i < REPS; i++) hits.push((await buildSim(request(macPeUnit, d), { cacheDir: join(tmp, 'b') })).seconds);
    console.log(`\n## Build (mac_pe, design ${macPeUnit.designs()[0].label}, --trace, -j 2)`);
    console.log(`cold, no ccache      ${cold.seconds.toFixed(2)} s`);
    console.log(`cold, ccache warm    ${warm.seconds.toFixed(2)} s`);
    console.log(`build-cache hit      ${(median(hits) * 1000).toFixed(2)} ms (median of ${REPS})`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function throughput(unit: UnitSpec, label: string, cases: number): Promise<void> {
  const d = unit.designs().find((x) => x.label === label)!.design;
  const ports = unit.ports(d);
  const built = await buildSim(request(unit, d));
  const lib = await buildSim({ ...request(unit, d), kind: 'lib' });
  const tmp = mkdtempSync(join(tmpdir(), 'lowbit-bench-vcd-'));
  try {
    const proc: number[] = [];
    const inproc: number[] = [];
    const e2e: number[] = [];
    const e2eVcd: number[] = [];
    let cycles = 0;
    for (let i = 0; i < REPS; i++) {
      for (const vcd of [false, true]) {
        const t0 = performance.now();
        const stim = unit.stimulus(d, 100 + i, cases);
        const model = unit.model(d, stim);
        const run = await runSim(built, unit.name, ports, stim, vcd ? { vcdPath: join(tmp, 't.vcd') } : {});
        const cmp = compareOutputs(unit.name, outputPorts(ports), model.outputs, run.outputs);
        if (cmp.first !== undefined) throw new Error(`${unit.name}: mismatch in the benchmark at cycle ${cmp.first.cycle}`);
        const s = (performance.now() - t0) / 1000;
        cycles = run.cycles;
        if (vcd) e2eVcd.push(s);
        else {
          e2e.push(s);
          proc.push(run.seconds);
          const ip = runSimInProcess(lib, unit.name, ports, stim);
          if (compareOutputs(unit.name, outputPorts(ports), model.outputs, ip.outputs).first !== undefined) throw new Error('in-process mismatch');
          inproc.push(ip.seconds);
        }
      }
    }
    const rate = (s: number): string => `${(cycles / s / 1e6).toFixed(3)} M vectors/s`;
    console.log(`\n## Co-simulation throughput: ${unit.name} ${label}, ${cycles} cycles (median of ${REPS})`);
    console.log(`simulator process        ${median(proc).toFixed(3)} s  ${rate(median(proc))}`);
    console.log(`in-process (koffi)       ${median(inproc).toFixed(3)} s  ${rate(median(inproc))}`);
    console.log(`end to end, no VCD       ${median(e2e).toFixed(3)} s  ${rate(median(e2e))}`);
    console.log(`end to end, with VCD     ${median(e2eVcd).toFixed(3)} s  ${rate(median(e2eVcd))}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function gemm(M: number, K: number, N: number): Promise<void> {
  const d = loadDesign('tiny'); // 4x4 int8 output stationary
  const rng = new Rng(5);
  const A = Int32Array.from({ length: M * K }, () => rng.int(-128, 127));
  const W = Int32Array.from({ length: K * N }, () => rng.int(-128, 127));
  const ports = macArrayUnit.ports(d);
  const built = await buildSim(request(macArrayUnit, d, false));
  const lib = await buildSim({ ...request(macArrayUnit, d, false), kind: 'lib' });

  // the edge inputs of the array, cycle by cycle, from the TS controller (the same GEMM)
  const tStim = performance.now();
  const stim: bigint[][] = [];
  const slow = simulateGemm(d, A, W, M, K, N, {
    cycleAccurate: true,
    onCycle: (_t, _a, inp) => {
      const pack = (xs: ArrayLike<number | bigint>, bits: number): bigint => {
        let v = 0n;
        for (let i = xs.length - 1; i >= 0; i--) v = (v << BigInt(bits)) | BigInt.asUintN(bits, BigInt(xs[i]));
        return v;
      };
      stim.push([inp.hValid ? 1n : 0n, pack(inp.h, 8), inp.vValid ? 1n : 0n, pack(inp.v, 8), inp.last ? 1n : 0n, BigInt(inp.tag), pack(inp.ps, 32)]);
    },
  });
  for (let t = 0; t < 3; t++) stim.push([0n, 0n, 0n, 0n, 0n, 0n, 0n]); // idle cycles: the last row leaves y_o
  const stimSeconds = (performance.now() - tStim) / 1000;

  const fast: number[] = [];
  const rtl: number[] = [];
  const rtlIn: number[] = [];
  let fastRes = simulateGemm(d, A, W, M, K, N);
  let lastValid = -1;
  let rows: bigint[] = [];
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    fastRes = simulateGemm(d, A, W, M, K, N);
    fast.push((performance.now() - t0) / 1000);
    const t1 = performance.now();
    const run = await runSim(built, 'mac_array', ports, stim);
    rtl.push((performance.now() - t1) / 1000);
    const t2 = performance.now();
    runSimInProcess(lib, 'mac_array', ports, stim);
    rtlIn.push((performance.now() - t2) / 1000);
    rows = [];
    run.outputs.forEach((o, t) => {
      if (o[0] === 1n) {
        lastValid = t;
        rows.push(o[1]);
      }
    });
  }
  // values: every row the RTL emits equals the cycle-accurate TS model's Y, which equals the fast path's Y
  const fastY = Array.from(fastRes.Y as ArrayLike<number | bigint>, (x) => BigInt(x));
  const slowY = Array.from(slow.Y as ArrayLike<number | bigint>, (x) => BigInt(x));
  const sameTs = fastY.every((x, i) => x === slowY[i]);
  // the RTL's outputs every cycle equal the TS cycle model's (whose Y equals the fast path's Y)
  const model = macArrayUnit.model(d, stim);
  const run = await runSim(built, 'mac_array', ports, stim);
  const cmp = compareOutputs('mac_array', outputPorts(ports), model.outputs, run.outputs);
  const rtlRows = rows.length;
  console.log(`\n## GEMM ${M}x${K}x${N} int8 on 'tiny' (4x4 os): TS fast path vs Verilator (median of ${REPS})`);
  console.log(`TS fast path (gemmInt + cost model)  ${(median(fast) * 1000).toFixed(3)} ms  cycles ${fastRes.cycles}`);
  console.log(`Verilator (mac_array RTL process)    ${(median(rtl) * 1000).toFixed(3)} ms  cycles ${lastValid + 1} (last y_valid_o + 1)`);
  console.log(`ratio Verilator / TS fast            ${(median(rtl) / median(fast)).toFixed(1)}x`);
  console.log(`Verilator in-process (koffi)         ${(median(rtlIn) * 1000).toFixed(3)} ms  ratio ${(median(rtlIn) / median(fast)).toFixed(1)}x`);
  console.log(`TS cycle-accurate controller (stimulus recording) ${(stimSeconds * 1000).toFixed(1)} ms`);
  console.log(`same cycle count: ${lastValid + 1 === fastRes.cycles}; TS fast Y == TS cycle-accurate Y: ${sameTs}; RTL y_o == TS model every cycle: ${cmp.first === undefined} (${rtlRows} result rows)`);
}

console.log(`# lowbit co-simulation benchmark (${quick ? 'quick' : 'full'}; Verilator builds cached in .cache/verilator)`);
await throughput(macPeUnit, macPeUnit.designs()[0].label, quick ? 20_000 : 100_000);
await gemm(64, 64, 64);
await buildTimes();
