import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { loadDesign } from '../../hw/design.js';
import { InputError, ToolError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { buildSim, cacheRoot, type BuiltSim } from '../build.js';
import { repoRoot } from '../paths.js';
import { runTool } from '../proc.js';
import { compareBound, type BindComparison } from './check.js';
import { bindHeader, decodeBindLog, encodeBindStimulus, type CycleLog } from './harness.js';
import type { ModelRun, Txn } from './models.js';
import { readRtlPorts, sourceArgs, type RtlSources } from './ports.js';
import { formatBoundReport } from './report.js';
import { resolveBinding, type ResolvedBinding } from './resolve.js';
import { loadBinding } from './spec.js';
import { readVectors, writeVectorsJson } from './vectors.js';

/**
 * `lowbit verify --rtl top.sv [...] --top NAME --bind bind.json --design D`: a user's RTL checked against a
 * golden model through a declarative port binding (src/rtl/bind/spec.ts). Steps: read and validate the
 * binding; read the top's real ports from Verilator and check the binding against them (one-line errors,
 * exit 2, before anything is built); make the seeded input transactions and the model's expected output
 * transactions; build the stream harness (cached by content like every lowbit build); run it with seeded
 * valid gaps and backpressure; compare per transaction (or per cycle with a stated latency); on a mismatch
 * keep the VCD and print a report with a `reproduce:` command.
 */
export interface BoundJob {
  /** RTL files as the user gave them (relative to `cwd` or absolute) */
  files: string[];
  top: string;
  includeDirs: string[];
  defines: string[];
  params: Record<string, string>;
  bind: string;
  /** a preset name or a Design JSON file */
  design: string;
  seed: number;
  cases: number;
  keepVcd?: boolean;
  vcdDir?: string;
  cacheDir?: string;
  buildJobs?: number;
  /** base for relative paths (default process.cwd()) */
  cwd?: string;
  /** mutation testing: a file as given in `files` -> the absolute path of a replacement */
  fileOverride?: Record<string, string>;
  /** input transactions from this .json/.npy file (src/rtl/bind/vectors.ts) instead of the seeded stimulus */
  vectors?: string;
}

export interface BoundResult {
  top: string;
  model: string;
  design: string;
  mode: 'transaction' | 'cycle';
  latency?: number;
  seed: number;
  cases: number;
  /** the --vectors file the inputs came from */
  vectors?: string;
  cycles: number;
  /** input and expected output transactions */
  inputTxns: number;
  outputTxns: number;
  ok: boolean;
  comparison: BindComparison;
  /** the operands of every input transaction, for the report */
  inputs: Txn[];
  run: ModelRun;
  resolved: ResolvedBinding;
  resetCycles: number;
  vcd?: string;
  build: { cached: boolean; seconds: number; hash: string; dir: string };
  simSeconds: number;
  command: string;
  /** on a mismatch: the input transactions written for the reproduce command (`--vectors`) */
  inputsFile?: string;
  report?: string;
}

const q = (s: string): string => (/^[A-Za-z0-9_./:=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The command line that reproduces a bound check, as the user would type it. */
export function boundCommand(j: Pick<BoundJob, 'files' | 'top' | 'includeDirs' | 'defines' | 'params' | 'bind' | 'design' | 'seed' | 'cases' | 'vectors'>): string {
  return [
    'lowbit verify',
    ...j.files.map((f) => `--rtl ${q(f)}`),
    ...j.includeDirs.map((d) => `-I ${q(d)}`),
    ...j.defines.map((d) => `-D ${q(d)}`),
    ...Object.keys(j.params).sort().map((k) => `--param ${q(`${k}=${j.params[k]}`)}`),
    `--top ${q(j.top)} --bind ${q(j.bind)} --design ${q(j.design)} --seed ${j.seed} ${j.vectors !== undefined ? `--vectors ${q(j.vectors)}` : `--cases ${j.cases}`} --keep-vcd`,
  ].join(' ');
}

/**
 * Per-cycle offer/ready pattern: input stream s may offer with validRate, output stream j is ready with
 * readyRate (always, when it has no ready port: nothing can hold its transactions back).
 */
function pattern(r: ResolvedBinding, seed: number, cycles: number): Uint32Array {
  const rng = new Rng((seed ^ 0x5bd1e995) >>> 0);
  const p = new Uint32Array(cycles);
  const { validRate, readyRate } = r.binding;
  for (let c = 0; c < cycles; c++) {
    let w = 0;
    for (let s = 0; s < r.ins.length; s++) if (rng.float() < validRate) w |= 1 << s;
    for (let j = 0; j < r.outs.length; j++) if (r.outs[j].ready === undefined || readyRate >= 1 || rng.float() < readyRate) w |= 1 << (16 + j);
    p[c] = w >>> 0;
  }
  return p;
}

async function simulate(built: BuiltSim, stim: Uint32Array, r: ResolvedBinding, vcdPath?: string): Promise<{ log: CycleLog; seconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'lowbit-bind-'));
  try {
    const inPath = join(dir, 'stimulus.bin');
    const outPath = join(dir, 'log.bin');
    writeFileSync(inPath, new Uint8Array(stim.buffer, stim.byteOffset, stim.byteLength));
    const t0 = performance.now();
    const res = await runTool(built.exe, [inPath, outPath, ...(vcdPath !== undefined ? [vcdPath] : [])]);
    const seconds = (performance.now() - t0) / 1000;
    if (res.code !== 0) throw new ToolError(`bind harness ${built.exe} exited with ${res.code}: ${(res.stderr || res.stdout).trim().slice(0, 2000)}`);
    const buf = readFileSync(outPath);
    const words = new Uint32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + (buf.byteLength & ~3)));
    return { log: decodeBindLog(r, words), seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs one bound check. */
export async function verifyBound(job: BoundJob): Promise<BoundResult> {
  const cwd = job.cwd ?? process.cwd();
  const binding = loadBinding(resolve(cwd, job.bind));
  binding.source = job.bind;
  const design = loadDesign(job.design);
  if (job.files.length === 0) throw new InputError('verify --rtl: give at least one RTL file');
  const files = job.files.map((f) => job.fileOverride?.[f] ?? resolve(cwd, f));
  const src: RtlSources = { files, top: job.top, includeDirs: job.includeDirs.map((d) => resolve(cwd, d)), defines: job.defines, parameters: job.params };
  const ports = await readRtlPorts(src);
  const r = resolveBinding(binding, design, ports, job.top);

  const inputs = job.vectors !== undefined ? readVectors(resolve(cwd, job.vectors), r) : r.model.stimulus(design, r.lanes, r.bound, job.seed, job.cases, binding.beats);
  const run = r.model.run(design, inputs, r.bound, r.lanes);
  const latency = binding.timing.mode === 'cycle' ? binding.timing.latency : undefined;
  const slack = Math.ceil((inputs.length / binding.validRate + run.outputs.length / binding.readyRate) * 4);
  const maxCycles = 256 + slack + 4 * (latency ?? 0);
  const stim = encodeBindStimulus(r, {
    maxCycles,
    tail: latency !== undefined ? latency + 8 : 64,
    garbageSeed: job.seed,
    pattern: pattern(r, job.seed, maxCycles),
    inputs,
    expectOut: run.outputs.length,
  });

  const built = await buildSim(
    {
      unit: `bind-${job.top}`,
      top: job.top,
      files,
      parameters: {},
      ports: [],
      trace: true,
      harnessFile: join(repoRoot(), 'sim', 'bind_harness.cpp'),
      header: bindHeader(r),
      extraArgs: sourceArgs(src),
    },
    { cacheDir: job.cacheDir, jobs: job.buildJobs },
  );
  const vcdDir = job.vcdDir ?? join(cacheRoot(job.cacheDir), 'vcd');
  const stem = join(vcdDir, `${job.top}-${basename(job.design).replace(/[^A-Za-z0-9_.-]+/g, '_')}-seed${job.seed}`);
  const kept = `${stem}.vcd`;
  const tmp = mkdtempSync(join(tmpdir(), 'lowbit-bindvcd-'));
  try {
    if (job.keepVcd) mkdirSync(vcdDir, { recursive: true });
    const sim = await simulate(built, stim, r, job.keepVcd ? kept : undefined);
    const comparison = compareBound(r, run, inputs, sim.log);
    const ok = comparison.first === undefined;
    let vcd = job.keepVcd ? kept : undefined;
    if (!ok && vcd === undefined) {
      // the run is deterministic: simulate again with the waveform on
      const path = join(tmp, 'trace.vcd');
      await simulate(built, stim, r, path);
      mkdirSync(vcdDir, { recursive: true });
      copyFileSync(path, kept);
      vcd = kept;
    }
    let command = boundCommand(job);
    let inputsFile: string | undefined;
    if (!ok) {
      // the reproducer: these exact input transactions, replayed with the same seed (valid/ready pattern)
      inputsFile = `${stem}.inputs.json`;
      mkdirSync(vcdDir, { recursive: true });
      writeVectorsJson(inputsFile, inputs);
      command = boundCommand({ ...job, vectors: inputsFile });
      writeFileSync(`${stem}.reproduce.sh`, `#!/bin/sh\n# ${job.top} against model ${r.model.name}: first mismatch replayed (lowbit on the PATH)\n${command}\n`, { mode: 0o755 });
    }
    const result: BoundResult = {
      top: job.top,
      model: r.model.name,
      design: job.design,
      mode: binding.timing.mode,
      latency,
      seed: job.seed,
      cases: job.cases,
      vectors: job.vectors,
      cycles: sim.log.cycles,
      inputTxns: inputs.length,
      outputTxns: run.outputs.length,
      ok,
      comparison,
      inputs,
      run,
      resolved: r,
      resetCycles: binding.reset.cycles,
      vcd,
      build: { cached: built.cached, seconds: built.seconds, hash: built.hash, dir: built.dir },
      simSeconds: sim.seconds,
      command,
      inputsFile,
    };
    if (!ok) result.report = formatBoundReport(result);
    return result;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
