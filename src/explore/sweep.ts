import { appendFileSync, existsSync, readFileSync, truncateSync } from 'node:fs';
import { InputError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
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
}

/** Reads a results file (sorted by index). `repair` cuts a torn last line instead of rejecting it. */
export function readResults(path: string, expectHash?: string, repair = false): SweepResult[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const out: SweepResult[] = [];
  let offset = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const isLast = i === lines.length - 1;
    if (line.trim() !== '') {
      let r: SweepResult;
      try {
        r = JSON.parse(line) as SweepResult;
        if (typeof r.index !== 'number' || typeof r.space !== 'string' || typeof r.key !== 'string') throw new Error('missing index/space/key');
      } catch (e) {
        const torn = isLast || (i === lines.length - 2 && lines[lines.length - 1] === '' && !text.endsWith('}\n'));
        if (repair && torn) {
          truncateSync(path, offset);
          break;
        }
        throw new InputError(`results ${path}: line ${i + 1} is not a sweep result (${(e as Error).message}); delete the line or the file`);
      }
      if (expectHash !== undefined && r.space !== expectHash) {
        throw new InputError(`results ${path}: line ${i + 1} comes from a different space (hash ${r.space}, expected ${expectHash}); use another --out file`);
      }
      out.push(r);
    }
    offset += Buffer.byteLength(line) + 1;
  }
  return out.sort((a, b) => a.index - b.index);
}

/** Runs the points of `opts.indices` not already in `opts.out`, `opts.jobs` at a time. */
export async function runSweep(space: Space, opts: SweepOptions): Promise<{ results: SweepResult[]; skipped: number }> {
  const hash = spaceHash(space);
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
      appendFileSync(opts.out, JSON.stringify(r) + '\n');
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
export function mergeResults(space: Space, files: string[], out: string, allowPartial = false): SweepResult[] {
  const hash = spaceHash(space);
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
