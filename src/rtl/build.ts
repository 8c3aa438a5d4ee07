import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { pidAlive, registerTemp, writeFileAtomic } from '../util/fsafe.js';
import { basename, delimiter, dirname, join } from 'node:path';
import { InputError, ToolError } from '../util/errors.js';
import { portsHeader } from './harness.js';
import { runTool } from './proc.js';
import { tracedConfig, tracedWidths, type TracedRegister } from './trace_words.js';
import { repoRoot } from './paths.js';
import { userCacheDir } from '../util/cache.js';
import type { PortSpec } from './unit.js';

/**
 * Verilator builds, cached by content. A build folder `<cache>/verilator/<unit>-<hash16>` holds the
 * simulator `sim` built from sim/harness.cpp (or, for `kind: 'lib'`, `<unit>-lib-<hash16>/libsim.so`
 * built from sim/shim.cpp for the in-process path), the generated `lowbit_ports.h` and the unit's RTL with its
 * parameters. The hash covers: the harness source, the generated header (the port list), every RTL
 * file's name and content, the top module, the parameters, the trace flag, the Verilator flags and
 * `verilator --version` — so an unchanged design is never rebuilt and any changed input always is.
 * `<cache>` is the user's cache folder (src/util/cache.ts: `$LOWBIT_CACHE`, else `$XDG_CACHE_HOME/lowbit`,
 * else `~/.cache/lowbit`). Builds go into a temporary sibling folder that
 * is renamed into place when complete, so concurrent builds (worker pool, several processes) are safe:
 * the first rename wins and the loser's copy is discarded. `ccache` is used when it is on the PATH.
 *
 * Build cost (measured on mac_array 3x5 with --trace, cold, no ccache: 17 CPU s with `verilator --build`):
 * two thirds of it is Verilator's runtime library (verilated.o, verilated_vcd_c.o, verilated_threads.o:
 * 11 CPU s), identical for every design with the same compile command. So a build verilates first, then
 * asks make for the runtime objects' exact compile commands (`make -n`); their hash names a shared folder
 * `<cache>/verilator/runtime-<hash16>` (the build's cache, else the default one) whose objects are copied in
 * (newer than the makefile, so make keeps them) before `make` compiles the design and the harness; the first
 * build with a new command fills it, and concurrent builds in one process wait for that one.
 * The design's own code is compiled with `OPT_FAST=-O1` (MAKE_VARS): a third less compile time than
 * Verilator's default -Os for these unit-sized models.
 */

export interface BuildRequest {
  /** unit name (folder prefix and messages) */
  unit: string;
  top: string;
  /** absolute paths of the RTL files */
  files: string[];
  parameters: Record<string, number | string | bigint>;
  ports: PortSpec[];
  /** build with `--trace` so the simulator can write a VCD */
  trace: boolean;
  /**
   * `exe`: the process harness `sim` (default); `lib`: the in-process shim `libsim.so` (sim/shim.cpp, koffi);
   * `accel` / `accel-lib`: the accelerator's transaction-level harness (sim/accel.cpp) as a process / a
   * shared library
   */
  kind?: BuildKind;
  /** make variables of the C++ compile (default MAKE_VARS) */
  makeVars?: readonly string[];
  /** another C++ driver instead of sim/harness.cpp (absolute path; bound user RTL: sim/bind_harness.cpp; the accelerator's C++-only bench driver: bench/accel_driver.cpp) */
  harnessFile?: string;
  /** the contents of `lowbit_ports.h` (default: portsHeader(ports)) */
  header?: string;
  /** more Verilator arguments, e.g. a user's -I/-D/-G, or `--threads 2` (hashed) */
  extraArgs?: string[];
  /**
   * internal registers (paths below `top`, as `TraceSignalSpec.vcd`) that each output vector carries after
   * the ports (src/rtl/trace_words.ts); in the generated header, so hashed
   */
  traced?: string[];
}

export type BuildKind = 'exe' | 'lib' | 'accel' | 'accel-lib';
const isLib = (k: BuildKind): boolean => k === 'lib' || k === 'accel-lib';
/** the C++ file holding main() (or the C ABI) of each kind; all include sim/harness.cpp (its core) */
const MAIN_SOURCE: Record<BuildKind, string> = { exe: 'harness.cpp', lib: 'shim.cpp', accel: 'accel.cpp', 'accel-lib': 'accel.cpp' };

export interface BuildOptions {
  /** cache root (default: the user's cache folder, src/util/cache.ts) */
  cacheDir?: string;
  /** parallel compile jobs for this build (`make -j`), default 2 */
  jobs?: number;
}

export interface BuiltSim {
  exe: string;
  dir: string;
  hash: string;
  /** true when the build folder already existed */
  cached: boolean;
  /** wall-clock seconds spent here (about 0 when cached) */
  seconds: number;
  trace: boolean;
  kind: BuildKind;
  /** the traced registers carried in each output vector, with Verilator's widths (empty: none) */
  traced: TracedRegister[];
}

/** The generated port header of a request: `req.header`, else the ports (and traced registers) of the unit. */
function requestHeader(req: BuildRequest): string {
  if (req.header !== undefined) return req.header;
  return req.traced !== undefined && req.traced.length > 0 ? portsHeader(req.ports, { top: req.top, paths: req.traced }) : portsHeader(req.ports);
}

/** The traced registers' widths recorded in a finished build's build.json. */
function recordedTraced(dir: string, req: BuildRequest): TracedRegister[] {
  if (req.traced === undefined || req.traced.length === 0) return [];
  const rec = JSON.parse(readFileSync(join(dir, 'build.json'), 'utf8')) as { traced?: TracedRegister[] };
  if (rec.traced === undefined || rec.traced.length !== req.traced.length) throw new ToolError(`${req.unit}: ${dir}/build.json lacks the traced registers' widths; delete the folder to rebuild`);
  return rec.traced;
}

/** Bump when the harness protocol or build flags change in a way the hashed inputs do not capture. */
const HARNESS_PROTOCOL = 'lowbit-harness-1';
const VERILATOR_FLAGS = ['--cc', '--exe', '-O2', '-Wno-fatal', '--prefix', 'Vtop', '--x-assign', 'fast'];
/** make variables of the C++ compile (verilated.mk): the design's model at -O1, everything else as Verilator sets it */
export const MAKE_VARS: readonly string[] = ['OPT_FAST=-O1'];
/** default parallel compile jobs: after the runtime cache, a build compiles two objects (model, harness) */
const DEFAULT_JOBS = 2;
const INSTALL_HINT = 'install it with `apt-get install -y verilator` (lowbit is tested with Verilator 5.006)';

const versionCache = new Map<string, string>();

/** The Verilator executable: `$LOWBIT_VERILATOR`, else `verilator` on the PATH. */
export function verilatorCommand(): string {
  return process.env.LOWBIT_VERILATOR || 'verilator';
}

/** The file a command name runs: itself when it names a path, else the first executable match on the PATH. */
function onPath(cmd: string): string | undefined {
  const dirs = cmd.includes('/') ? [''] : (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  for (const d of dirs) {
    const f = d === '' ? cmd : join(d, cmd);
    try {
      if (statSync(f).isFile()) return realpathSync(f);
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Where `verilatorVersion` keeps the version of one Verilator installation, so that not every command runs
 * the Perl wrapper (`verilator --version` took 0.13-0.15 s here, 0.1 s of each `lowbit verify`): keyed by the
 * real paths, sizes, modification times and inodes of the wrapper and of the `verilator_bin` it runs (beside
 * it, or under `$VERILATOR_ROOT/bin`; an upgrade replaces them) and `$VERILATOR_ROOT`. Undefined when the
 * command is not found (it is then run, for its error).
 */
function versionFile(cmd: string): string | undefined {
  const exe = onPath(cmd);
  if (exe === undefined) return undefined;
  const root = process.env.VERILATOR_ROOT ?? '';
  const files = [exe, join(dirname(exe), 'verilator_bin'), ...(root !== '' ? [join(root, 'bin', 'verilator_bin')] : [])];
  const key = files.map((f) => {
    try {
      const st = statSync(f);
      return `${realpathSync(f)} ${st.size} ${st.mtimeMs} ${st.ino}`;
    } catch {
      return `${f} missing`;
    }
  });
  const h = createHash('sha256').update([...key, root].join('\n')).digest('hex').slice(0, 16);
  return join(userCacheDir(), 'verilator', `version-${h}.txt`);
}

/** `verilator --version` (remembered per installation, `versionFile`), or a ToolError naming the install command when Verilator is missing. */
export function verilatorVersion(): string {
  const cmd = verilatorCommand();
  const known = versionCache.get(cmd);
  if (known !== undefined) return known;
  const file = versionFile(cmd);
  if (file !== undefined && existsSync(file)) {
    const v = readFileSync(file, 'utf8').trim();
    if (v !== '') {
      versionCache.set(cmd, v);
      return v;
    }
  }
  let v: string;
  try {
    v = execFileSync(cmd, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ToolError(
      code === 'ENOENT' ? `verilator: ${cmd} not found; ${INSTALL_HINT}` : `${cmd} --version failed: ${(e as Error).message}; ${INSTALL_HINT}`,
    );
  }
  versionCache.set(cmd, v);
  if (file !== undefined && v !== '') {
    try {
      writeFileAtomic(file, v);
    } catch {
      // a cache folder that cannot be written: the version is asked again next time
    }
  }
  return v;
}

/** The cache root: the option, else the user's cache folder (`userCacheDir`). */
export function cacheRoot(opt?: string): string {
  return opt ?? userCacheDir();
}

/** Formats a parameter as a Verilator `-G` value: decimal integers, sized for > 31 bits, quoted strings. */
export function formatParam(unit: string, name: string, v: number | string | bigint): string {
  if (typeof v === 'string') return `"${v.replace(/["\\]/g, '\\$&')}"`;
  if (typeof v === 'number' && !Number.isSafeInteger(v)) {
    throw new InputError(`${unit}: parameter ${name}: got ${v}; allowed: a safe integer, a bigint or a string`);
  }
  const b = BigInt(v);
  const mag = b < 0n ? -b : b;
  if (mag < 1n << 31n) return b.toString();
  const bits = Math.max(64, mag.toString(2).length + 1);
  return b < 0n ? `-${bits}'sd${mag}` : `${bits}'d${mag}`;
}

function harnessSource(file?: string): string {
  return readFileSync(file ?? join(repoRoot(), 'sim', 'harness.cpp'), 'utf8');
}

/** Port copy helpers included by every harness (sim/port_io.h), copied beside the harness in a build. */
function portIoSource(): string {
  return readFileSync(join(repoRoot(), 'sim', 'port_io.h'), 'utf8');
}

function mainSource(kind: BuildKind): string {
  return readFileSync(join(repoRoot(), 'sim', MAIN_SOURCE[kind]), 'utf8');
}

function hasCcache(): boolean {
  try {
    execFileSync('ccache', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Content hash of a build request (hex sha256). */
export function buildHash(req: BuildRequest): string {
  const h = createHash('sha256');
  const add = (label: string, s: string | Buffer): void => {
    h.update(`${label}\0${s.length}\0`);
    h.update(s);
  };
  add('protocol', HARNESS_PROTOCOL);
  add('verilator', verilatorVersion());
  add('flags', VERILATOR_FLAGS.join(' '));
  add('make', (req.makeVars ?? MAKE_VARS).join(' '));
  add('harness', harnessSource(req.harnessFile));
  add('port_io', portIoSource());
  add('ports', requestHeader(req));
  if (req.extraArgs !== undefined) add('extra', req.extraArgs.join('\n'));
  add('top', req.top);
  add('trace', String(req.trace));
  const kind = req.kind ?? 'exe';
  if (kind !== 'exe') add(`main:${kind}`, mainSource(kind));
  const params = Object.keys(req.parameters).sort().map((k) => `${k}=${formatParam(req.unit, k, req.parameters[k])}`);
  add('params', params.join('\n'));
  for (const f of req.files) {
    if (!existsSync(f)) throw new InputError(`${req.unit}: RTL file ${f} does not exist`);
    add('file', basename(f));
    add('content', readFileSync(f));
  }
  return h.digest('hex');
}

/** Builds (or finds in the cache) the simulator for a unit with one set of parameters. */
export async function buildSim(req: BuildRequest, opts: BuildOptions = {}): Promise<BuiltSim> {
  const t0 = performance.now();
  const hash = buildHash(req);
  const root = join(cacheRoot(opts.cacheDir), 'verilator');
  const kind = req.kind ?? 'exe';
  const dir = join(root, `${req.unit}-${kind === 'exe' ? '' : `${kind}-`}${hash.slice(0, 16)}`);
  const artifact = isLib(kind) ? 'libsim.so' : 'sim';
  const makeVars = req.makeVars ?? MAKE_VARS;
  const exe = join(dir, artifact);
  if (existsSync(exe)) return { exe, dir, hash, cached: true, seconds: (performance.now() - t0) / 1000, trace: req.trace, kind, traced: recordedTraced(dir, req) };

  mkdirSync(root, { recursive: true });
  removeDeadBuilds(root);
  const tmp = join(root, `.tmp-${req.unit}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  mkdirSync(join(tmp, 'obj'), { recursive: true });
  // Ctrl-C during the (minutes long) build removes the half-built folder; a kill leaves it to removeDeadBuilds
  const unregister = registerTemp(tmp);
  let traced: TracedRegister[] = [];
  try {
    writeFileSync(join(tmp, 'obj', 'lowbit_ports.h'), requestHeader(req));
    writeFileSync(join(tmp, 'harness.cpp'), harnessSource(req.harnessFile));
    writeFileSync(join(tmp, 'port_io.h'), portIoSource());
    if (kind !== 'exe') writeFileSync(join(tmp, MAIN_SOURCE[kind]), mainSource(kind));
    const tracedPaths = req.traced ?? [];
    if (tracedPaths.length > 0) writeFileSync(join(tmp, 'traced.vlt'), tracedConfig(tracedPaths));
    const incDirs = [...new Set(req.files.map((f) => dirname(f)))];
    const obj = join(tmp, 'obj');
    const args = [
      ...VERILATOR_FLAGS,
      '--top-module', req.top,
      '-Mdir', obj,
      '-o', join(tmp, artifact),
      ...(req.trace ? ['--trace', '-CFLAGS', '-DLOWBIT_TRACE=1'] : []),
      ...(isLib(kind) ? ['-CFLAGS', '-fPIC', '-LDFLAGS', '-shared'] : []),
      ...(kind === 'accel-lib' ? ['-CFLAGS', '-DLOWBIT_ACCEL_LIB=1'] : []),
      ...incDirs.map((d) => `-I${d}`),
      ...(req.extraArgs ?? []),
      ...Object.keys(req.parameters).sort().map((k) => `-G${k}=${formatParam(req.unit, k, req.parameters[k])}`),
      join(tmp, MAIN_SOURCE[kind]),
      ...(tracedPaths.length > 0 ? [join(tmp, 'traced.vlt')] : []),
      ...req.files,
    ];
    verilatorVersion(); // ToolError with the install command if missing
    const env: NodeJS.ProcessEnv = { ...process.env, CCACHE_BASEDIR: tmp, CCACHE_NOHASHDIR: '1' };
    if (hasCcache()) env.OBJCACHE = 'ccache';
    const fail = (what: string, res: { code: number; stdout: string; stderr: string }, cmd: string): never => {
      const log = (res.stderr + '\n' + res.stdout).split('\n').filter((l) => l.trim() !== '');
      const errs = log.filter((l) => /error|%Error/i.test(l));
      const shown = (errs.length > 0 ? errs : log).slice(0, 30).join('\n');
      throw new ToolError(`${req.unit}: Verilator ${what} failed (exit ${res.code}):\n${shown}\ncommand: ${cmd}`);
    };
    const vres = await runTool(verilatorCommand(), args, { env, cwd: tmp });
    if (vres.code !== 0 || !existsSync(join(obj, 'Vtop.mk'))) fail('build', vres, `verilator ${args.join(' ')}`);
    traced = tracedPaths.length > 0 ? tracedWidths(req.unit, req.top, tracedPaths, readFileSync(join(obj, 'Vtop___024root.h'), 'utf8')) : [];
    const runtime = await reuseRuntime(root, obj, env, makeVars);
    let compiled: (() => void) | undefined; // this build compiles the runtime: others in this process wait for it
    if (!runtime.reused) runtimeInFlight.set(runtime.name, new Promise<void>((r) => (compiled = r)));
    try {
      const makeArgs = ['-j', String(opts.jobs ?? DEFAULT_JOBS), '-f', 'Vtop.mk', ...makeVars];
      const mres = await runTool('make', makeArgs, { env, cwd: obj });
      if (mres.code !== 0 || !existsSync(join(tmp, artifact))) fail('build', mres, `make ${makeArgs.join(' ')} (in ${obj}, after verilator ${args.join(' ')})`);
      if (!runtime.reused) storeRuntime(runtime, obj);
    } finally {
      if (compiled !== undefined) {
        runtimeInFlight.delete(runtime.name);
        compiled();
      }
    }
    rmSync(join(tmp, 'obj'), { recursive: true, force: true });
    writeFileSync(join(tmp, 'build.json'), JSON.stringify({ unit: req.unit, top: req.top, hash, parameters: Object.fromEntries(Object.entries(req.parameters).map(([k, v]) => [k, String(v)])), files: req.files, trace: req.trace, traced, verilator: verilatorVersion() }, null, 2));
    try {
      renameSync(tmp, dir);
    } catch (e) {
      if (!existsSync(exe)) throw e; // someone else won the race: use theirs
      rmSync(tmp, { recursive: true, force: true });
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    unregister();
  }
  return { exe, dir, hash, cached: false, seconds: (performance.now() - t0) / 1000, trace: req.trace, kind, traced };
}

/** Removes the half-built `.tmp-UNIT-PID-RAND` (and runtime `NAME.tmp-PID-RAND`) folders of builds whose
 * process is gone (killed mid-build); this process's own builds, running concurrently, are kept. */
export function removeDeadBuilds(root: string): void {
  for (const e of readdirSync(root)) {
    const m = /\.tmp-(?:.*-)?(\d+)-[a-z0-9]+$/.exec(e);
    if (m && !pidAlive(Number(m[1])) && Number(m[1]) !== process.pid) rmSync(join(root, e), { recursive: true, force: true });
  }
}

/** Runtime folders being compiled by a build of this process (resolved when that build ends). */
const runtimeInFlight = new Map<string, Promise<void>>();

interface Runtime {
  dir: string;
  name: string;
  objects: string[];
  reused: boolean;
}

/** `$CXX --version` (default g++), memoized; empty when it cannot be run (make then reports the failure). */
function compilerVersion(env: NodeJS.ProcessEnv): string {
  const cxx = env.CXX || 'g++';
  let v = versionCache.get(`cxx:${cxx}`);
  if (v === undefined) {
    try {
      v = execFileSync(cxx, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      v = '';
    }
    versionCache.set(`cxx:${cxx}`, v);
  }
  return v;
}

/** The runtime-library objects a verilated makefile links (VM_GLOBAL_FAST / VM_GLOBAL_SLOW), as `<name>.o`. */
function runtimeObjects(obj: string): string[] {
  const mk = readFileSync(join(obj, 'Vtop_classes.mk'), 'utf8');
  const names: string[] = [];
  for (const m of mk.matchAll(/^VM_GLOBAL_(?:FAST|SLOW) \+= \\\n((?:\t\S+ \\\n)*)/gm)) {
    for (const line of m[1].split('\n')) if (line.trim() !== '') names.push(`${line.trim().replace(/ \\$/, '')}.o`);
  }
  return names;
}

/**
 * Copies the cached runtime objects into a verilated folder when a folder for their exact compile commands
 * exists (`make -n` with ccache off, hashed with `verilator --version` and `$CXX --version`) in the build's
 * cache or, failing that, in the default cache (the objects depend on nothing else, so a separate cacheDir
 * need not recompile them); otherwise leaves make to compile them (saved in the build's cache afterwards).
 */
async function reuseRuntime(root: string, obj: string, env: NodeJS.ProcessEnv, makeVars: readonly string[]): Promise<Runtime> {
  const objects = runtimeObjects(obj);
  const dry = await runTool('make', ['-n', '-B', '-f', 'Vtop.mk', ...makeVars, 'OBJCACHE=', ...objects], { env, cwd: obj });
  const h = createHash('sha256').update(`${HARNESS_PROTOCOL}\0${verilatorVersion()}\0${compilerVersion(env)}\0${dry.code}\0${dry.stdout}`).digest('hex');
  const name = `runtime-${h.slice(0, 16)}`;
  const dir = join(root, name);
  const found = (): string | undefined => {
    if (objects.length === 0 || dry.code !== 0) return undefined;
    return [...new Set([root, join(cacheRoot(), 'verilator')])].map((r) => join(r, name)).find((d) => objects.every((o) => existsSync(join(d, o))));
  };
  const pending = runtimeInFlight.get(name);
  if (pending !== undefined && found() === undefined) await pending; // concurrent builds in one process compile it once
  const from = found();
  // a fresh copy is newer than Vtop.mk, so make keeps it
  if (from !== undefined) for (const o of objects) copyFileSync(join(from, o), join(obj, o));
  return { dir, name, objects, reused: from !== undefined };
}

/** Saves freshly compiled runtime objects for later builds (temporary folder renamed into place). */
function storeRuntime(rt: Runtime, obj: string): void {
  if (rt.objects.length === 0 || !rt.objects.every((o) => existsSync(join(obj, o)))) return;
  const tmp = `${rt.dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    mkdirSync(tmp, { recursive: true });
    for (const o of rt.objects) copyFileSync(join(obj, o), join(tmp, o));
    renameSync(tmp, rt.dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another build stored it first, or the cache is read-only
  }
}
