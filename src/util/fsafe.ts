import { randomBytes } from 'node:crypto';
import {
  closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync,
  statSync, writeSync, type Stats,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from './errors.js';
import { checkAlloc, formatBytes } from './budget.js';
import { withFsContext } from './fs_errors.js';

/**
 * Safe outputs: the only way lowbit writes files and folders that a user names.
 *
 * - A temporary is a sibling named `.<target>.lowbit-tmp-<pid>-<16 random hex>`, created exclusively
 *   (`wx`: O_CREAT|O_EXCL, which never follows a planted symlink), registered so that SIGINT/SIGTERM remove
 *   it, then renamed over the target. A leftover of a killed run (its pid is gone) is removed by the next
 *   write of the same target.
 * - An output folder carries a marker file `.lowbit-output` ({"writtenBy":"lowbit","kind":K}). An existing
 *   folder is replaced only if it holds that marker of the same kind (or is empty, or is an earlier lowbit
 *   output of that kind recognised by its `legacy` signature); otherwise InputError (exit 2) unless `force`.
 * - Replacing a folder is two renames: the old folder to `.<dir>.lowbit-old-<pid>-<hex>`, the new one into
 *   place, then the old one is removed. A kill at any instant leaves the complete old or the complete new
 *   folder at `dir`, or (between the two renames) no `dir` and the complete old one under the `-old-` name,
 *   which the next write of `dir` (or `recoverDir`) moves back before doing anything else.
 */
export const OUTPUT_MARKER = '.lowbit-output';

const TMP_TAG = 'lowbit-tmp';
const OLD_TAG = 'lowbit-old';

// ---------------------------------------------------------------------------------------------------
// temporaries removed on SIGINT / SIGTERM (installSignalCleanup)

const live = new Set<string>();
const interruptHooks = new Set<() => void>();
let cleanupEnabled = false;
let listening = false;

/** Registers a path (file or folder) to remove if the process is interrupted; returns an unregister. */
export function registerTemp(path: string): () => void {
  live.add(path);
  listen();
  return () => {
    live.delete(path);
    listen();
  };
}

/** Runs `hook` (synchronously) on SIGINT/SIGTERM before the temporaries are removed, e.g. to release a lock. */
export function onInterrupt(hook: () => void): () => void {
  interruptHooks.add(hook);
  listen();
  return () => {
    interruptHooks.delete(hook);
    listen();
  };
}

/** Removes every registered temporary now (used by the signal handlers; exported for tests). */
export function removeTemps(): number {
  let n = 0;
  for (const h of [...interruptHooks]) {
    try {
      h();
    } catch {
      /* an interrupt hook must not stop the clean-up */
    }
  }
  for (const p of [...live]) {
    try {
      rmSync(p, { recursive: true, force: true });
      n++;
    } catch {
      /* best effort while exiting */
    }
    live.delete(p);
  }
  return n;
}

/**
 * Enables the SIGINT/SIGTERM clean-up (the CLI does, at start): while a temporary or a lock is registered,
 * a signal removes them and exits 130/143 with one line. At other times the signals keep Node's default
 * (immediate exit), so Ctrl-C stops a long synchronous computation at once; a leftover of a kill is removed
 * by the next write of the same target (`recoverTarget`). A library host that handles signals itself can
 * call `removeTemps()` from its own handler instead.
 */
export function installSignalCleanup(): void {
  cleanupEnabled = true;
  listen();
}

const onSignal = (sig: NodeJS.Signals): void => {
  const n = removeTemps();
  process.stderr.write(`\nlowbit: interrupted (${sig}); ${n > 0 ? `removed ${n} unfinished output${n > 1 ? 's' : ''}` : 'nothing half-written left'}\n`);
  process.exit(sig === 'SIGINT' ? 130 : 143);
};

function listen(): void {
  const want = cleanupEnabled && (live.size > 0 || interruptHooks.size > 0);
  if (want === listening) return;
  listening = want;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    if (want) process.on(sig, onSignal);
    else process.off(sig, onSignal);
  }
}

// ---------------------------------------------------------------------------------------------------
// names

/** A fresh, unpredictable temporary sibling name for `target`. */
export function tempSibling(target: string, tag: string = TMP_TAG): string {
  return join(dirname(target), `.${basename(target)}.${tag}-${process.pid}-${randomBytes(8).toString('hex')}`);
}

const LEFTOVER = /^\.(.+)\.(lowbit-tmp|lowbit-old)-(\d+)-[0-9a-f]{16}$/;

/** Is process `pid` alive (and not this process)? The test behind taking over a dead process's leftovers. */
export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return false; // ours, but not registered: left by an earlier process with our pid
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Cleans the leftovers of killed writes of `target`: restores `.<target>.lowbit-old-*` when `target` is
 * missing (a kill between the two renames of a folder swap), removes the other leftovers of dead processes.
 */
export function recoverTarget(target: string): void {
  const parent = dirname(target);
  const name = basename(target);
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return;
  }
  for (const e of entries) {
    const m = LEFTOVER.exec(e);
    if (!m || m[1] !== name || live.has(join(parent, e)) || pidAlive(Number(m[3]))) continue;
    const p = join(parent, e);
    if (m[2] === OLD_TAG && !existsSync(target)) renameSync(p, target);
    else rmSync(p, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------
// files

/**
 * Writes a file atomically: an exclusive temporary sibling (`wx`, never through a symlink), fsync, rename.
 * A crash, a thrown error or Ctrl-C never leaves a half-written `path`. For files a user names on the
 * command line, check with `checkOutputFile` first.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  withFsContext(path, 'write', () => {
    mkdirSync(dirname(path), { recursive: true });
    recoverTarget(path);
    if (isDir(path)) throw new InputError(`${path}: is a folder; give a file name to write`);
    const tmp = tempSibling(path);
    const done = registerTemp(tmp);
    try {
      const fd = openSync(tmp, 'wx', 0o644);
      try {
        const buf = typeof data === 'string' ? Buffer.from(data) : data;
        let off = 0;
        while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    } finally {
      done();
    }
  });
}

/**
 * Refuses to overwrite a file the command did not write: `path` may be missing, or `isOurs(text)` must
 * accept its content; otherwise InputError naming the file and `--force`.
 */
export function checkOutputFile(path: string, what: string, isOurs: (text: string) => boolean, force = false): void {
  const st = statOrNull(path);
  if (st === null || force) return;
  if (st.isDirectory()) throw new InputError(`${what} ${path}: is a folder; give a file name`);
  if (!st.isFile()) throw new InputError(`${what} ${path}: is not a regular file; give a file name`);
  const text = readFileSync(path, 'utf8');
  if (!isOurs(text)) throw new InputError(`${what} ${path}: exists and is not a lowbit output of this kind; not overwriting it (choose another path or pass --force)`);
}

/**
 * Do `a` and `b` name the same file: the same device and inode (a hard link, a symlink, `./x` vs `x`), or,
 * when one is missing, the same absolute path? Used to refuse an output that would replace an input.
 */
export function sameFile(a: string, b: string): boolean {
  const stat = (p: string): Stats | null => {
    try {
      return statSync(p);
    } catch {
      return null; // missing, or not reachable (ENOTDIR, EACCES): reported when it is read or written
    }
  };
  const sa = stat(a);
  const sb = stat(b);
  if (sa !== null && sb !== null) return sa.dev === sb.dev && sa.ino === sb.ino;
  return resolve(a) === resolve(b);
}

/** `path` with symlinks resolved, or its absolute path when it cannot be resolved (missing). */
function realOrResolved(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return resolve(path);
  }
}

/** Is `path` the folder `folder` or inside it (symlinks resolved: each ancestor compared with `sameFile`)? */
export function within(path: string, folder: string): boolean {
  let p = realOrResolved(path);
  for (;;) {
    if (sameFile(p, folder)) return true;
    const up = dirname(p);
    if (up === p) return false;
    p = up;
  }
}

// ---------------------------------------------------------------------------------------------------
// folders

export interface DirOutput {
  /** what the folder holds, e.g. 'quantized-model', 'report', 'checkpoint' (written into the marker) */
  kind: string;
  /** replace whatever is at the path (the user said so) */
  force?: boolean;
  /** recognises an earlier lowbit output of this kind written before markers existed */
  legacy?: (dir: string, entries: string[]) => boolean;
  /** the option that named the folder, for messages (default "--out") */
  option?: string;
}

/** Throws InputError unless `dir` is missing, empty, or an earlier lowbit output of `out.kind` (or force). */
export function checkOutputDir(dir: string, out: DirOutput): void {
  withFsContext(dir, 'check', () => {
    recoverTarget(dir);
    const st = statOrNull(dir);
    if (st === null || out.force) return;
    const opt = out.option ?? '--out';
    if (!st.isDirectory()) throw new InputError(`${opt} ${dir}: exists and is not a folder; not replacing it (choose another path or pass --force)`);
    const entries = readdirSync(dir);
    if (entries.length === 0) return;
    if (entries.includes(OUTPUT_MARKER)) {
      const kind = markerKind(join(dir, OUTPUT_MARKER));
      if (kind === out.kind) return;
      throw new InputError(`${opt} ${dir}: holds a lowbit ${kind ?? 'output'} folder, not a ${out.kind}; not replacing it (choose another path or pass --force)`);
    }
    if (out.legacy?.(dir, entries)) return;
    throw new InputError(`${opt} ${dir}: is a folder lowbit did not write (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}, e.g. ${entries.slice(0, 3).join(', ')}); not replacing it (choose another path or pass --force)`);
  });
}

function markerKind(path: string): string | undefined {
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as { writtenBy?: unknown; kind?: unknown };
    return m.writtenBy === 'lowbit' && typeof m.kind === 'string' ? m.kind : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes a whole folder atomically: `fill` writes into a fresh temporary folder (marker included), which
 * then replaces `dir` by the two-rename swap described above. If `fill` throws, nothing at `dir` changes.
 * Without `out`, the folder is an internal one (caches): replaced whatever it holds.
 */
export function writeDirAtomic(dir: string, fill: (tmpDir: string) => void, out?: DirOutput): void {
  const parent = dirname(resolve(dir));
  withFsContext(dir, 'write', () => mkdirSync(parent, { recursive: true }));
  if (out) checkOutputDir(dir, out);
  else withFsContext(dir, 'write', () => recoverTarget(dir));
  const tmp = tempSibling(dir);
  const done = registerTemp(tmp);
  try {
    withFsContext(tmp, 'write', () => mkdirSync(tmp));
    fill(tmp);
    withFsContext(dir, 'write', () => {
      if (out) writeMarker(tmp, out.kind);
      swapIn(tmp, dir);
    });
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    done();
  }
}

function writeMarker(dir: string, kind: string): void {
  const fd = openSync(join(dir, OUTPUT_MARKER), 'wx', 0o644);
  try {
    writeSync(fd, JSON.stringify({ writtenBy: 'lowbit', kind }) + '\n');
  } finally {
    closeSync(fd);
  }
}

function swapIn(tmp: string, dir: string): void {
  if (statOrNull(dir) === null) {
    renameSync(tmp, dir);
    return;
  }
  const old = tempSibling(dir, OLD_TAG);
  const done = registerTemp(old);
  try {
    renameSync(dir, old);
    try {
      renameSync(tmp, dir);
    } catch (e) {
      renameSync(old, dir); // put the old folder back
      throw e;
    }
    rmSync(old, { recursive: true, force: true });
  } finally {
    done();
  }
}

// ---------------------------------------------------------------------------------------------------
// locks

/**
 * Takes the lock `<target>.lock` (created exclusively, holding our pid) so that one process at a time
 * writes `target`; a lock whose process is gone is taken over. Returns the release function (also run on
 * SIGINT/SIGTERM). Another live holder: InputError naming its pid.
 */
export function acquireLock(target: string, what: string): () => void {
  const lock = `${target}.lock`;
  return withFsContext(lock, 'lock', () => {
    mkdirSync(dirname(resolve(lock)), { recursive: true });
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = openSync(lock, 'wx', 0o644);
        try {
          writeSync(fd, `${process.pid}\n`);
        } finally {
          closeSync(fd);
        }
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) {
          if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new InputError(`${what} ${target}: another lowbit process took its lock (${lock}) at the same time; wait for it or choose another path`);
          throw e;
        }
        const st = lstatSync(lock);
        const pid = st.isFile() ? Number(readFileSync(lock, 'utf8').trim()) : NaN;
        if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) {
          throw new InputError(`${what} ${target}: another lowbit process (pid ${pid}) is writing it (lock ${lock}); wait for it to finish or choose another path`);
        }
        if (!st.isFile()) throw new InputError(`${what} ${target}: its lock ${lock} is not a regular file; remove it`);
        rmSync(lock, { force: true }); // a stale lock of a killed run
      }
    }
    let held = true;
    const release = (): void => {
      if (!held) return;
      held = false;
      dropHook();
      rmSync(lock, { force: true });
    };
    const dropHook = onInterrupt(release);
    return release;
  });
}

// ---------------------------------------------------------------------------------------------------
// reading user-named inputs

/**
 * Reads a user-named input file: it must be a regular file (not a folder, a device such as /dev/zero or a
 * FIFO), at most `maxBytes` and within the memory budget. `what` names it in messages ("--model").
 * With `inside`, the file (symlinks resolved) must lie inside that folder (blobs inside a model folder).
 */
export function readInputFile(path: string, what: string, opts: { maxBytes?: number; inside?: string } = {}): Buffer {
  return withFsContext(path, 'read', () => {
    const st = statFollow(path, what);
    if (opts.inside !== undefined) checkInside(path, opts.inside, what);
    if (st.size > (opts.maxBytes ?? Infinity)) throw new InputError(`${what} ${path}: ${formatBytes(st.size)}; allowed: at most ${formatBytes(opts.maxBytes!)}`);
    checkAlloc(`reading ${what} ${path}`, st.size);
    return readFileSync(path);
  });
}

/** `readInputFile` as UTF-8 text. */
export function readInputText(path: string, what: string, opts: { maxBytes?: number; inside?: string } = {}): string {
  return readInputFile(path, what, opts).toString('utf8');
}

/** Checks that a user-named input is an existing regular file (not a folder or a device), without reading it. */
export function checkInputFile(path: string, what: string): void {
  withFsContext(path, 'read', () => statFollow(path, what));
}

function statFollow(path: string, what: string): Stats {
  const st = statOrNull(path, true);
  if (st === null) throw new InputError(`${what} ${path}: does not exist; give an existing file`);
  if (st.isDirectory()) throw new InputError(`${what} ${path}: is a folder; give a file`);
  if (!st.isFile()) throw new InputError(`${what} ${path}: is not a regular file (a device, FIFO or socket); give a file`);
  return st;
}

function checkInside(path: string, folder: string, what: string): void {
  if (!within(path, folder)) throw new InputError(`${what} ${path}: resolves to ${realOrResolved(path)}, outside ${folder}; allowed: a file inside the folder`);
}

function statOrNull(path: string, follow = false): Stats | null {
  try {
    return follow ? statSync(path) : lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function isDir(path: string): boolean {
  const st = statOrNull(path);
  return st !== null && st.isDirectory();
}
