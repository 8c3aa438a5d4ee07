/**
 * Co-simulation benchmark: `npx tsx bench/cosim.bench.ts [--quick]`.
 *
 * 1. Verilator build time of one unit: cold (empty build cache, ccache disabled), cold build cache with
 *    ccache warm, and a build-cache hit.
 * 2. Co-simulation throughput of every registered unit after one warm-up run (vectors = cycles, one input vector per cycle, about
 *    20,000 cycles with --quick, 100,000 without; `--units=a,b` picks units): the simulator process alone, in
 *    process, and `verifySpec` end to end (stimulus + TS model + simulate + compare) with its ratio to the
 *    simulator process alone, outputs only (on verify's default path, in process for the registered units when
 *    koffi loads, and through a harness process) and as `lowbit verify` runs it (traced registers too). `--reps=N` sets
 *    the repetitions (median of N; a loaded machine wants 9 or more).
 * 3. The same GEMM on the TS fast path (`simulateGemm`, functional + cost model) and through Verilator
 *    (the mac_array RTL driven with the controller's edge inputs): same values, same cycle count, and the
 *    wall-clock ratio. Medians of repeated runs, printed side by side.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDesign, type Design } from '../src/hw/design.js';
import { simulateGemm } from '../src/hw/gemm_schedule.js';
import { buildSim, type BuildRequest } from '../src/rtl/build.js';
import { compareOutputs } from '../src/rtl/compare.js';
import { resolveRepoPath } from '../src/rtl/paths.js';
import { runSim, runSimWords } from '../src/rtl/run.js';
import { runSimInProcess, runSimInProcessWords } from '../src/rtl/inproc.js';
import { outputPorts, type UnitSpec } from '../src/rtl/unit.js';
import { unitData } from '../src/rtl/unit_words.js';
import { UNITS } from '../src/rtl/units/index.js';
import { macArrayUnit } from '../src/rtl/units/mac_array.js';
import { macPeUnit } from '../src/rtl/units/mac_pe.js';
import { verifySpec, type VerifyJob } from '../src/rtl/verify.js';
import { Rng } from '../src/util/rng.js';
import { childCpu, cpuLine } from './cpu.js';

const quick = process.argv.includes('--quick');
const repsArg = process.argv.find((a) => a.startsWith('--reps='));
const REPS = repsArg !== undefined ? Number(repsArg.slice('--reps='.length)) : quick ? 3 : 5;

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

/** Median wall seconds and CPU seconds (this process, and the simulator processes it waited for). */
interface Timed {
  wall: number[];
  cpu: number[];
  childCpu: number[];
}

async function timed<T>(acc: Timed, f: () => Promise<T>): Promise<T> {
  const c0 = process.cpuUsage();
  const k0 = childCpu();
  const t0 = performance.now();
  const r = await f();
  acc.wall.push((performance.now() - t0) / 1000);
  const c = process.cpuUsage(c0);
  acc.cpu.push((c.user + c.system) / 1e6);
  acc.childCpu.push(childCpu() - k0);
  return r;
}

const newTimed = (): Timed => ({ wall: [], cpu: [], childCpu: [] });

/**
 * One unit's co-simulation rates on its first design, about `target` cycles: the simulator process alone
 * (the stimulus already encoded, spawn to exit), in process (koffi), and `verifySpec` end to end — outputs
 * only (the unit without its traced registers), and as `lowbit verify` runs it (its traced registers read
 * with the outputs and compared too; no VCD). Both ratios are to the simulator alone (the verify build).
 */
async function throughput(unit: UnitSpec, target: number): Promise<void> {
  const { label, design: d } = unit.designs()[0];
  const ports = unit.ports(d);
  const built = await buildSim(request(unit, d));
  // cycles are affine in cases (a directed part, then cases): two probes give the line
  const c1 = unitData(unit, d, ports, 1, 1000).cycles;
  const c2 = unitData(unit, d, ports, 1, 2000).cycles;
  const cases = Math.max(1, Math.round(1000 + ((target - c1) * 1000) / Math.max(1, c2 - c1)));
  const traced = (unit.traceSignals?.(d) ?? []).length > 0;
  const lib = unit.workFiles === undefined ? await buildSim({ ...request(unit, d), kind: 'lib' }) : undefined;
  const tmp = mkdtempSync(join(tmpdir(), 'lowbit-bench-cosim-'));
  try {
    const [proc, inproc, e2e, e2eProc, verify] = [newTimed(), newTimed(), newTimed(), newTimed(), newTimed()];
    const ts: number[] = [];
    let cycles = 0;
    let defaultPath = '';
    // rep -1 warms the JIT up (the rates are steady-state ones) and is not counted
    for (let i = -1; i < REPS; i++) {
      if (i === 0) for (const t of [proc, inproc, e2e, e2eProc, verify]) for (const xs of Object.values(t)) xs.length = 0;
      if (i === 0) ts.length = 0;
      const seed = 100 + i;
      const data = unitData(unit, d, ports, seed, cases);
      cycles = data.cycles;
      for (const [name, text] of Object.entries(unit.workFiles?.(d, seed, cases) ?? {})) writeFileSync(join(tmp, name), text);
      const cwd = unit.workFiles !== undefined ? { cwd: tmp } : {};
      const alone = await timed(proc, () => runSimWords(built, unit.name, ports, data.stimulus, cycles, cwd));
      proc.wall[proc.wall.length - 1] = alone.seconds;
      if (lib !== undefined) {
        const ip = await timed(inproc, async () => runSimInProcessWords(lib, unit.name, ports, data.stimulus, cycles));
        inproc.wall[inproc.wall.length - 1] = ip.seconds;
        if (ip.words.some((w, k) => w !== alone.words[k])) throw new Error(`${unit.name}: in-process outputs differ from the process's`);
      }
      const job: VerifyJob = { unit: unit.name, label, design: d, seed, cases };
      const outputsOnly: UnitSpec = { ...unit, traceSignals: undefined };
      const r = await timed(e2e, () => verifySpec(outputsOnly, job));
      if (!r.ok || r.cycles !== cycles) throw new Error(`${unit.name}: mismatch in the benchmark\n${r.report ?? ''}`);
      ts.push(r.modelSeconds);
      defaultPath = r.build.dir.includes(`${unit.name}-lib-`) ? 'in process (koffi)' : 'harness process';
      // the same, forced through a harness process (`lowbit verify --no-in-process`)
      const rp = await timed(e2eProc, () => verifySpec(outputsOnly, { ...job, inProcess: false }));
      if (!rp.ok || rp.cycles !== cycles) throw new Error(`${unit.name}: mismatch in the benchmark (process)\n${rp.report ?? ''}`);
      if (traced) {
        const v = await timed(verify, () => verifySpec(unit, job));
        if (!v.ok) throw new Error(`${unit.name}: mismatch in the benchmark\n${v.report ?? ''}`);
      }
    }
    const rate = (s: number): string => `${(cycles / s / 1e6).toFixed(3)} M/s`;
    const line = (what: string, t: Timed, ref?: Timed): string => {
      const w = median(t.wall);
      const ratio = ref !== undefined ? `  ratio ${(median(ref.wall) / w).toFixed(2)}x` : '';
      return `${what.padEnd(34)} ${w.toFixed(3)} s  ${rate(w).padStart(10)}  CPU node ${median(t.cpu).toFixed(3)} s, simulator ${median(t.childCpu).toFixed(3)} s${ratio}`;
    };
    console.log(`\n## ${unit.name} ${label}: ${cycles} cycles (--cases ${cases}), ${unit.words !== undefined ? 'typed fast path' : 'BigInt rows'}, median of ${REPS}, load ${loadavg()[0].toFixed(2)}`);
    console.log(line('simulator process alone', proc));
    if (lib !== undefined) console.log(line('in-process (koffi) alone', inproc));
    console.log(line('verify end to end, outputs only', e2e, proc) + `  (${defaultPath}, verify's default here)`);
    console.log(`  of which stimulus + TS model    ${median(ts).toFixed(3)} s (the model runs while the simulator does)`);
    console.log(line('  the same through a harness process', e2eProc, proc));
    if (traced) {
      console.log(line('verify as lowbit runs it (+ traced)', verify, proc));
    }
    summary.push({ unit: unit.name, cycles, ratio: median(proc.wall) / median(e2e.wall), ratioProc: median(proc.wall) / median(e2eProc.wall), ratioTraced: traced ? median(proc.wall) / median(verify.wall) : undefined });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const summary: { unit: string; cycles: number; ratio: number; ratioProc: number; ratioTraced?: number }[] = [];

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
console.log(cpuLine());
console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at ${new Date().toISOString()}`);
const only = process.argv.find((a) => a.startsWith('--units='))?.slice('--units='.length).split(',');
for (const unit of UNITS.filter((u) => only === undefined || only.includes(u.name))) await throughput(unit, quick ? 20_000 : 100_000);
console.log('\n## verify end to end / simulator alone (issue 23 target: >= 0.5x)');
for (const s of summary) {
  console.log(`${s.unit.padEnd(14)} ${String(s.cycles).padStart(7)} cycles  outputs only ${s.ratio.toFixed(2)}x (through a process ${s.ratioProc.toFixed(2)}x)${s.ratioTraced !== undefined ? `   as verify runs it (+ traced registers) ${s.ratioTraced.toFixed(2)}x` : ''}`);
}
await gemm(64, 64, 64);
await buildTimes();
