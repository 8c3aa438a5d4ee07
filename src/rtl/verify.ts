import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { Design } from '../hw/design.js';
import { loadDesign } from '../hw/design.js';
import { badValue, didYouMean, InputError } from '../util/errors.js';
import { buildSim, cacheRoot } from './build.js';
import { compareOutputWords, type Mismatch } from './compare.js';
import { compareTraceWords, tracedWords } from './trace_words.js';
import { checkPorts, strideWords } from './harness.js';
import { resolveRepoPath } from './paths.js';
import { formatReport } from './report.js';
import { runSimWords, type SimWordsRun } from './run.js';
import { koffiLoads, runSimInProcessWordsAsync } from './inproc.js';
import { inputPorts, outputPorts, type UnitDesign, type UnitSpec, type WordsModelRun } from './unit.js';
import { unitData } from './unit_words.js';
import { UNITS, unitNames } from './units/index.js';
import { importUserModule } from './unit_loader.js';

/**
 * One co-simulation check: build the unit's RTL for one Design (cached), drive it with the adapter's
 * seeded stimulus, and compare outputs (every cycle, every port) and the traced registers (sampled with
 * the outputs; a VCD only with --keep-vcd or on a mismatch) with the TS model. The job is plain data, so it can run in a pool worker (`verifyJob` is the
 * worker entry point).
 */
export interface VerifyJob {
  /** a registered unit name, or a path to a module exporting a UnitSpec (default export or `unit`) */
  unit: string;
  /** design label (shown in reports and used in the reproduce command) */
  label: string;
  design: Design;
  seed: number;
  cases: number;
  /** keep the VCD even when everything matches */
  keepVcd?: boolean;
  /** where kept VCDs go (default `<cache>/vcd`) */
  vcdDir?: string;
  cacheDir?: string;
  /** RTL replacements: repo-relative path (as in `hdlFiles()`) -> absolute path (mutation testing) */
  hdlOverride?: Record<string, string>;
  /** Verilator compile jobs for this build */
  buildJobs?: number;
  /**
   * simulate in this process through the koffi shim (a `kind: 'lib'` build) instead of the harness process;
   * unset: `defaultInProcess`
   */
  inProcess?: boolean;
}

export interface VerifyResult {
  unit: string;
  label: string;
  seed: number;
  cases: number;
  cycles: number;
  ok: boolean;
  mismatch?: Mismatch;
  /** cycles with a mismatching output */
  outputCycles: number;
  /** traced registers that mismatch somewhere */
  badRegisters: number;
  /** traced registers compared (read with the outputs, src/rtl/trace_words.ts) */
  tracedRegisters: number;
  /** kept VCD (always kept on a mismatch) */
  vcd?: string;
  build: { cached: boolean; seconds: number; hash: string; dir: string };
  simSeconds: number;
  modelSeconds: number;
  command: string;
  /** the mismatch report (text), when not ok */
  report?: string;
}

/** Finds a unit: registry name, or a module path exporting a UnitSpec. */
export async function resolveUnit(ref: string): Promise<UnitSpec> {
  const reg = UNITS.find((u) => u.name === ref);
  if (reg !== undefined) return reg;
  if (/[/\\]|\.(ts|js|mjs)$/.test(ref)) {
    let mod: Record<string, unknown>;
    try {
      mod = await importUserModule(resolveRepoPathOrCwd(ref));
    } catch (e) {
      throw new InputError(`unit: cannot load module ${ref}: ${(e as Error).message}`);
    }
    const spec = (mod.default ?? mod.unit) as UnitSpec | undefined;
    if (spec === undefined || typeof spec.ports !== 'function' || typeof spec.model !== 'function') {
      throw new InputError(`unit: module ${ref} exports no UnitSpec (as its default export or as \`unit\`)`);
    }
    return spec;
  }
  throw badValue('unit', ref, `one of ${unitNames().join(', ') || '(no units registered yet)'}, or a path to a module exporting a UnitSpec${didYouMean(ref, unitNames())}`);
}

/** A module path: relative to the working directory when it exists there (or starts with `.`), else to the repository root. */
function resolveRepoPathOrCwd(p: string): string {
  const here = resolve(process.cwd(), p);
  return p.startsWith('.') || existsSync(here) ? here : resolveRepoPath(p);
}

/** The designs to check: all of the unit's, or the one named (a unit label, a preset or a JSON file). */
export function selectDesigns(spec: UnitSpec, design?: string): UnitDesign[] {
  const all = spec.designs();
  if (design === undefined) return all;
  const own = all.find((d) => d.label === design);
  if (own !== undefined) return [own];
  return [{ label: design, design: loadDesign(design) }];
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, '_');
}

/** The command line that reproduces a job. */
export function reproduceCommand(job: Pick<VerifyJob, 'unit' | 'label' | 'seed' | 'cases'>): string {
  const q = (s: string): string => (/^[A-Za-z0-9_./:-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return `lowbit verify --unit ${q(job.unit)} --design ${q(job.label)} --seed ${job.seed} --cases ${job.cases} --keep-vcd`;
}

/**
 * Where a job simulates when it does not say (`inProcess` unset): in this process for a registered unit's own
 * RTL when koffi loads (src/rtl/inproc.ts; no process start, which costs node 8-14 ms here as node forks
 * itself, no stimulus and output files, docs/verify.md); a harness process for mutants (`hdlOverride`),
 * bindings of users' RTL (`extra.verilatorArgs`/`command`), units from modules that are not a registered unit
 * (name, top and RTL files), and units whose simulator reads memory files (`workFiles`), so that a model that
 * may crash (a mutant's, a user's) cannot take lowbit down.
 */
function defaultInProcess(spec: UnitSpec, job: VerifyJob, extra: { verilatorArgs?: string[]; command?: string }): boolean {
  const files = spec.hdlFiles(job.design).join('\n');
  const own = UNITS.some((u) => u.name === spec.name && u.top === spec.top && u.hdlFiles(job.design).join('\n') === files);
  const plain = job.hdlOverride === undefined && extra.verilatorArgs === undefined && extra.command === undefined && spec.workFiles === undefined;
  return own && plain && koffiLoads();
}

/** Runs one verification job (also the pool worker entry point). */
export async function verifyJob(job: VerifyJob): Promise<VerifyResult> {
  return verifySpec(await resolveUnit(job.unit), job);
}

/**
 * One check of a given UnitSpec (verifyJob after resolving the unit). `extra.verilatorArgs` go to the build
 * (a user's -I/-D), `extra.command` replaces the reproduce command (src/rtl/bind/unit_bind.ts uses both).
 * `extra.outputDelay` D (a unit binding's `latency`): the RTL's outputs come D cycles after the model's,
 * i.e. RTL cycle t is compared with model cycle t - D (model cycle 0, the reset outputs, while t - D < 0);
 * D > 0 runs D more cycles of zero inputs (D < 0, an RTL ahead of the model, compares the first T + D cycles).
 */
export async function verifySpec(spec: UnitSpec, job: VerifyJob, extra: { verilatorArgs?: string[]; command?: string; outputDelay?: number } = {}): Promise<VerifyResult> {
  const inProcess = job.inProcess ?? defaultInProcess(spec, job, extra);
  const { design } = job;
  const ports = spec.ports(design);
  checkPorts(spec.name, ports);
  const files = spec.hdlFiles(design).map((f) => job.hdlOverride?.[f] ?? resolveRepoPath(f));
  const traced = spec.traceSignals?.(design) ?? [];
  // the unit's own arguments, then a binding's (-I/-D); none: undefined (the build cache key has no 'extra')
  const args = [...(spec.verilatorArgs ?? []), ...(extra.verilatorArgs ?? [])];
  const built = await buildSim(
    { unit: spec.name, top: spec.top, files, parameters: spec.parameters(design), ports, trace: true, kind: inProcess ? 'lib' : 'exe', extraArgs: args.length > 0 ? args : undefined, traced: traced.map((s) => s.vcd) },
    { cacheDir: job.cacheDir, jobs: job.buildJobs },
  );
  const t0 = performance.now();
  const data = unitData(spec, design, ports, job.seed, job.cases);
  let modelSeconds = (performance.now() - t0) / 1000;
  const cycles = data.cycles;
  if (10 * (cycles + 3) >= 2 ** 32) throw new InputError(`${spec.name}: ${cycles} cycles exceed the VCD time limit; lower --cases`);

  const vcdDir = job.vcdDir ?? join(cacheRoot(job.cacheDir), 'vcd');
  const keptPath = join(vcdDir, `${safeName(spec.name)}-${safeName(basename(job.label))}-seed${job.seed}.vcd`);
  const delay = extra.outputDelay ?? 0;
  if (delay !== 0 && traced.length > 0) throw new InputError(`${spec.name}: an output delay cannot be combined with traced registers`);
  if (-delay >= cycles) throw new InputError(`${spec.name}: output delay ${delay} leaves no cycle to compare (${cycles} cycles); raise --cases`);
  const outs = outputPorts(ports);
  const inStride = strideWords(inputPorts(ports));
  const outStride = strideWords(outs);
  // D > 0: D more cycles of zero inputs
  const simCycles = cycles + Math.max(0, delay);
  const simStimulus = delay > 0 ? new Uint32Array(simCycles * inStride) : data.stimulus;
  if (delay > 0) simStimulus.set(data.stimulus);
  const work = spec.workFiles?.(design, job.seed, job.cases);
  if (work !== undefined && inProcess) throw new InputError(`${spec.name}: its simulator reads memory files from its working directory; drop --in-process`);
  // the simulator's working folder, holding the unit's memory files (only a unit with `workFiles` needs one)
  const tmp = work !== undefined ? mkdtempSync(join(tmpdir(), 'lowbit-verify-')) : undefined;
  // in process: an asynchronous koffi call, so the TS model below runs while the simulator does
  const simulate = (vcd?: string): Promise<SimWordsRun> =>
    inProcess
      ? runSimInProcessWordsAsync(built, spec.name, ports, simStimulus, simCycles, { vcdPath: vcd })
      : runSimWords(built, spec.name, ports, simStimulus, simCycles, { vcdPath: vcd, ...(tmp !== undefined ? { cwd: tmp } : {}) });
  try {
    if (tmp !== undefined) for (const [name, text] of Object.entries(work ?? {})) writeFileSync(join(tmp, name), text);
    // the traced registers come with the outputs (src/rtl/trace_words.ts): a VCD only when asked for or on a mismatch
    let vcdPath: string | undefined;
    if (job.keepVcd) {
      mkdirSync(vcdDir, { recursive: true });
      vcdPath = keptPath;
    }
    // the simulation starts here (a process, or a call on a pool thread); the TS model runs while it simulates
    const pending = simulate(vcdPath);
    let model: WordsModelRun;
    try {
      const t1 = performance.now();
      model = data.model();
      modelSeconds += (performance.now() - t1) / 1000;
    } catch (e) {
      await pending.catch(() => undefined);
      throw e;
    }
    const run = await pending;
    // RTL cycle t against model cycle t - D (the reset outputs, model cycle 0, while t - D < 0)
    const compared = Math.min(simCycles, cycles + delay);
    let expected = model.outputs;
    if (delay > 0) {
      expected = new Uint32Array(simCycles * outStride);
      for (let t = 0; t < delay; t++) expected.set(model.outputs.subarray(0, outStride), t * outStride);
      expected.set(model.outputs, delay * outStride);
    } else if (delay < 0) {
      expected = model.outputs.subarray(-delay * outStride);
    }
    // the simulator's vectors: the ports' words, then the traced registers' (src/rtl/trace_words.ts)
    const simStride = outStride + tracedWords(built.traced);
    const cmp = compareOutputWords(spec.name, outs, expected, run.words.subarray(0, compared * simStride), compared, simStride);
    let first = cmp.first;
    let badRegisters = 0;
    if (traced.length > 0) {
      const tr = compareTraceWords(spec.name, traced, built.traced, model.trace, run.words, cycles, simStride, outStride);
      badRegisters = tr.badRegisters;
      if (tr.first !== undefined && (first === undefined || tr.first.cycle < first.cycle)) first = tr.first;
    }
    const ok = first === undefined;
    let kept: string | undefined = job.keepVcd ? keptPath : undefined;
    if (!ok && kept === undefined) {
      // the re-run for the report: the same stimulus with the full VCD
      mkdirSync(vcdDir, { recursive: true });
      await simulate(keptPath);
      kept = keptPath;
    }
    const result: VerifyResult = {
      unit: spec.name,
      label: job.label,
      seed: job.seed,
      cases: job.cases,
      cycles: simCycles,
      ok,
      mismatch: first,
      outputCycles: cmp.outputCycles,
      badRegisters,
      tracedRegisters: traced.length,
      vcd: kept,
      build: { cached: built.cached, seconds: built.seconds, hash: built.hash, dir: built.dir },
      simSeconds: run.seconds,
      modelSeconds,
      command: extra.command ?? reproduceCommand({ unit: job.unit, label: job.label, seed: job.seed, cases: job.cases }),
    };
    if (!ok) result.report = formatReport(result);
    return result;
  } finally {
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  }
}
