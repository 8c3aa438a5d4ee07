import { appendFileSync, existsSync, truncateSync } from 'node:fs';
import { InputError } from '../util/errors.js';
import { acquireLock, checkOutputFile, readInputText, writeFileAtomic } from '../util/fsafe.js';
import { withFsContext } from '../util/fs_errors.js';
import { pointAt, spaceHash, spaceSize, type AxisValue, type Point, type Space } from './space.js';

/**
 * Running a sweep: each point is evaluated (by a caller-supplied function, usually in the worker pool)
 * and its result appended to a JSON-lines file as soon as it is done, one complete line per write. A
 * rerun with the same file resumes: finished points are read back and skipped; a torn last line (the
 * process was killed mid-write) is cut off. Every line carries the space hash so results from different
 * spaces are never mixed. Results are sorted by point index when read, so parallel order does not matter.
 */
export type Metrics = Record<string, number | string | boolean | null>;

export interface SweepResult {
  space: string;
  index: number;
  key: string;
  values: Record<string, AxisValue>;
  metrics: Metrics;
}

export interface SweepOptions {
  indices: number[];
  out: string;
  jobs: number;
  evaluate: (p: Point) => Promise<Metrics>;
  onDone?: (r: SweepResult, done: number, total: number) => void;
  /** the caller already holds `acquireLock(out)` */
  locked?: boolean;
}

/** Checks one parsed results line; returns the problem or null. */
function resultProblem(r: unknown): string | null {
  if (r === null || typeof r !== 'object' || Array.isArray(r)) return 'not a JSON object';
  const o = r as Record<string, unknown>;
  if (typeof o.space !== 'string' || !/^[0-9a-f]{16}$/.test(o.space)) return '"space" is not a 16-hex-digit space hash';
  if (typeof o.index !== 'number' || !Number.isSafeInteger(o.index) || o.index < 0) return '"index" is not a point index (an integer >= 0)';
  if (typeof o.key !== 'string') return '"key" is not a string';
  for (const f of ['values', 'metrics'] as const) {
    const v = o[f];
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return `"${f}" is not an object`;
    for (const [k, x] of Object.entries(v)) {
      if (x !== null && typeof x !== 'string' && typeof x !== 'boolean' && !(typeof x === 'number' && Number.isFinite(x))) return `"${f}.${k}" is not a string, finite number, boolean or null`;
    }
  }
  return null;
}

/** Does `text` look like a results file (every complete line a result, at most a torn tail)? */
export function isResultsText(text: string, expectHash?: string): boolean {
  try {
    parseResults(text, '(check)', expectHash);
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses results text. A torn tail (the last line without its newline, a prefix of a result line of this
 * space: a kill mid-append) is reported as `tornAt` (its byte offset), never taken as a result.
 */
function parseResults(text: string, path: string, expectHash?: string): { results: SweepResult[]; tornAt: number | null } {
  const lines = text.split('\n');
  const out: SweepResult[] = [];
  const seen = new Set<number>();
  let offset = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const isTail = i === lines.length - 1; // no newline after it
    if (line.trim() !== '') {
      let r: unknown;
      let problem: string | null;
      try {
        r = JSON.parse(line);
        problem = resultProblem(r);
      } catch (e) {
        problem = (e as Error).message;
      }
      if (problem !== null) {
        if (isTail && isTornTail(line, expectHash)) return { results: sorted(out), tornAt: offset };
        throw new InputError(`results ${path}: line ${i + 1} is not a sweep result (${problem}); allowed: JSON lines written by lowbit sweep`);
      }
      const res = r as SweepResult;
      if (expectHash !== undefined && res.space !== expectHash) {
        throw new InputError(`results ${path}: line ${i + 1} comes from a different space (hash ${res.space}, expected ${expectHash}); use another --out file`);
      }
      if (!seen.has(res.index)) out.push(res); // a point written twice (an older lowbit) counts once
      seen.add(res.index);
    }
    offset += Buffer.byteLength(line) + 1;
  }
  return { results: sorted(out), tornAt: null };
}

function isTornTail(line: string, expectHash?: string): boolean {
  const head = `{"space":"${expectHash ?? ''}`;
  return line.length < head.length ? head.startsWith(line) : line.startsWith(expectHash === undefined ? '{"space":"' : head);
}

const sorted = (rs: SweepResult[]): SweepResult[] => rs.sort((a, b) => a.index - b.index);

/**
 * Reads a results file (sorted by index, each point once). `repair` cuts a torn tail (see parseResults)
 * instead of rejecting it; nothing else is ever cut.
 */
export function readResults(path: string, expectHash?: string, repair = false): SweepResult[] {
  if (!existsSync(path)) return [];
  const { results, tornAt } = parseResults(readInputText(path, 'results'), path, expectHash);
  if (tornAt !== null) {
    if (!repair) throw new InputError(`results ${path}: the last line is incomplete (an interrupted sweep); rerun the sweep to repair it`);
    withFsContext(path, 'repair', () => truncateSync(path, tornAt));
  }
  return results;
}

/** Runs the points of `opts.indices` not already in `opts.out`, `opts.jobs` at a time. */
export async function runSweep(space: Space, opts: SweepOptions): Promise<{ results: SweepResult[]; skipped: number }> {
  const hash = spaceHash(space);
  const release = opts.locked ? () => {} : acquireLock(opts.out, 'sweep --out');
  try {
    return await runLocked(space, hash, opts);
  } finally {
    release();
  }
}

async function runLocked(space: Space, hash: string, opts: SweepOptions): Promise<{ results: SweepResult[]; skipped: number }> {
  const existing = readResults(opts.out, hash, true);
  const done = new Set(existing.map((r) => r.index));
  const todo = opts.indices.filter((i) => !done.has(i));
  const skipped = opts.indices.length - todo.length;
  let next = 0;
  let finished = 0;
  const worker = async (): Promise<void> => {
    while (next < todo.length) {
      const p = pointAt(space, todo[next++]);
      const metrics = await opts.evaluate(p);
      const r: SweepResult = { space: hash, index: p.index, key: p.key, values: p.values, metrics };
      withFsContext(opts.out, 'append to', () => appendFileSync(opts.out, JSON.stringify(r) + '\n'));
      finished++;
      opts.onDone?.(r, finished, todo.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.jobs, todo.length)) }, worker));
  const wanted = new Set(opts.indices);
  return { results: readResults(opts.out, hash).filter((r) => wanted.has(r.index)), skipped };
}

/**
 * Joins shard result files into one, sorted by index. Refuses mixed spaces, conflicting duplicates and,
 * unless `allowPartial`, missing points (naming the first few).
 */
export function mergeResults(space: Space, files: string[], out: string, allowPartial = false, force = false): SweepResult[] {
  const hash = spaceHash(space);
  checkOutputFile(out, 'merge --out', (t) => isResultsText(t, hash), force);
  const byIndex = new Map<number, SweepResult>();
  for (const f of files) {
    if (!existsSync(f)) throw new InputError(`merge: ${f} does not exist`);
    for (const r of readResults(f, hash)) {
      const prev = byIndex.get(r.index);
      if (prev && JSON.stringify(prev) !== JSON.stringify(r)) throw new InputError(`merge: point ${r.index} (${r.key}) differs between shards; rerun it`);
      byIndex.set(r.index, r);
    }
  }
  const missing: number[] = [];
  for (let i = 0; i < spaceSize(space); i++) if (!byIndex.has(i)) missing.push(i);
  if (missing.length > 0 && !allowPartial) {
    throw new InputError(`merge: ${missing.length} of ${spaceSize(space)} points missing (first: ${missing.slice(0, 5).join(', ')}); run the missing shards or pass --partial`);
  }
  const results = [...byIndex.values()].sort((a, b) => a.index - b.index);
  writeFileAtomic(out, results.map((r) => JSON.stringify(r) + '\n').join(''));
  return results;
}
