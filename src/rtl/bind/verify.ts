import { mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { loadDesign, type Design } from '../../hw/design.js';
import { loadModel } from '../../model/locate.js';
import { InputError, ToolError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { buildSim, cacheRoot, type BuiltSim } from '../build.js';
import { repoRoot } from '../paths.js';
import { runTool } from '../proc.js';
import { readWords } from '../run.js';
import { compareBound, type BindComparison } from './check.js';
import { acceleratorModel, type AcceleratorModel } from './accel_model.js';
import { bindHeader, decodeBindLog, encodeBindStimulus, harnessInputs, type CycleLog } from './harness.js';
import { paramImage, type ParamImage } from './param_image.js';
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
  /** a preset name or a Design JSON file (stream and unit bindings) */
  design?: string;
  /** model accelerator: the network (a models/NAME folder, a quantized .onnx file or a shipped model) */
  model?: string;
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
  /** what gives the formats: `design int8` or (accelerator) `model sfc-w1a1` */
  against: string;
  design?: string;
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
  /** model accelerator: the parameter image loaded, and the cycle its last word was accepted */
  load?: { image: ParamImage; doneCycle: number };
  report?: string;
}

const q = (s: string): string => (/^[A-Za-z0-9_./:=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The command line that reproduces a bound check, as the user would type it. */
export function boundCommand(j: Pick<BoundJob, 'files' | 'top' | 'includeDirs' | 'defines' | 'params' | 'bind' | 'design' | 'model' | 'seed' | 'cases' | 'vectors'>): string {
  return [
    'lowbit verify',
    ...j.files.map((f) => `--rtl ${q(f)}`),
    ...j.includeDirs.map((d) => `-I ${q(d)}`),
    ...j.defines.map((d) => `-D ${q(d)}`),
    ...Object.keys(j.params).sort().map((k) => `--param ${q(`${k}=${j.params[k]}`)}`),
    `--top ${q(j.top)} --bind ${q(j.bind)} ${j.model !== undefined ? `--model ${q(j.model)}` : `--design ${q(j.design ?? '')}`} --seed ${j.seed} ${j.vectors !== undefined ? `--vectors ${q(j.vectors)}` : `--cases ${j.cases}`} --keep-vcd`,
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
  const nIn = harnessInputs(r).length;
  for (let c = 0; c < cycles; c++) {
    let w = 0;
    for (let s = 0; s < nIn; s++) if (rng.float() < validRate) w |= 1 << s;
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
    return { log: decodeBindLog(r, readWords(outPath)), seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The cycle whose rising edge took the load stream's last word (-1: not all were taken). */
function loadDone(r: ResolvedBinding, log: CycleLog, words: number): number {
  const bit = 1 << (8 + r.ins.length);
  let n = 0;
  for (let c = 0; c < log.cycles; c++) if ((log.ctrl[c] & bit) !== 0 && ++n === words) return c;
  return -1;
}

/** Runs one bound check. */
export async function verifyBound(job: BoundJob): Promise<BoundResult> {
  const cwd = job.cwd ?? process.cwd();
  const binding = loadBinding(resolve(cwd, job.bind));
  binding.source = job.bind;
  const accel = binding.model === 'accelerator';
  if (accel && job.design !== undefined) throw new InputError('verify --rtl: an accelerator binding takes its formats from the network: give --model, not --design');
  if (accel && job.model === undefined) throw new InputError('verify --rtl: an accelerator binding needs --model (a models/NAME folder, a quantized .onnx file or a shipped model)');
  if (!accel && job.model !== undefined) throw new InputError(`verify --rtl: --model goes with an accelerator binding ("model": "accelerator"); ${job.bind} binds model ${binding.model}: give --design`);
  if (!accel && job.design === undefined) throw new InputError('verify --rtl: give --design D (a preset such as int8 or a design JSON file: the formats the model uses)');
  const net: AcceleratorModel | undefined = accel ? acceleratorModel(loadModel(job.model!)) : undefined;
  // a network model reads no Design: its formats, stimulus and results come from the network
  const design = (net === undefined ? loadDesign(job.design!) : undefined) as Design;
  if (job.files.length === 0) throw new InputError('verify --rtl: give at least one RTL file');
  const files = job.files.map((f) => job.fileOverride?.[f] ?? resolve(cwd, f));
  const src: RtlSources = { files, top: job.top, includeDirs: job.includeDirs.map((d) => resolve(cwd, d)), defines: job.defines, parameters: job.params };
  const ports = await readRtlPorts(src);
  const against = net !== undefined ? `model ${job.model}` : `design ${job.design}`;
  const r = resolveBinding(binding, design, ports, job.top, net !== undefined ? { model: net, on: against } : undefined);
  const data = r.load?.fields.find((f) => f.operand === 'data');
  const image = net !== undefined ? paramImage(net.qm, data!.width, `${binding.source}: load.fields.data (port ${data!.port}, ${data!.width} bits)`) : undefined;

  const inputs = job.vectors !== undefined ? readVectors(resolve(cwd, job.vectors), r) : r.model.stimulus(design, r.lanes, r.bound, job.seed, job.cases, binding.beats);
  const run = r.model.run(design, inputs, r.bound, r.lanes);
  const latency = binding.timing.mode === 'cycle' ? binding.timing.latency : undefined;
  const loadWords = image?.words.length ?? 0;
  const slack = Math.ceil(((inputs.length + loadWords) / binding.validRate + run.outputs.length / binding.readyRate) * 4);
  // an accelerator may compute an image as long as one multiply per cycle takes (and hangs are cut short)
  const images = net !== undefined ? inputs.length / Math.ceil(net.inputs / r.lanes.x) : 0;
  const maxCycles = Math.min(2 ** 32 - 1, 256 + slack + 4 * (latency ?? 0) + images * (net?.macs ?? 0));
  const stim = encodeBindStimulus(r, {
    maxCycles,
    tail: latency !== undefined ? latency + 8 : 64,
    garbageSeed: job.seed,
    pattern: pattern(r, job.seed, Math.min(maxCycles, 1 << 16)),
    stallLimit: net !== undefined ? net.macs + 4096 : maxCycles,
    inputs,
    loadWords: image?.words,
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
  const stem = join(vcdDir, `${job.top}-${basename(job.model ?? job.design!).replace(/[^A-Za-z0-9_.-]+/g, '_')}-seed${job.seed}`);
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
      against,
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
    if (image !== undefined) result.load = { image, doneCycle: loadDone(r, sim.log, loadWords) };
    if (!ok) result.report = formatBoundReport(result);
    return result;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
