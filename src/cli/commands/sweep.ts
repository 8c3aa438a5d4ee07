import { extname } from 'node:path';
import type { MergeArgs, SweepArgs } from '../args/sweep.js';
import { loadSpace, parseShard, shardIndices, spaceSize, spaceHash, type Space } from '../../explore/space.js';
import { mergeResults, readResults, runSweep, type SweepResult } from '../../explore/sweep.js';
import { acquireLock } from '../../util/fsafe.js';
import { accuracyKey, pointDesign, pointModelDir, type PointOptions } from '../../explore/evaluate.js';
import { sweepFront, sweepObjectives } from '../../explore/front.js';
import { markdownTable } from '../../report/document.js';
import { WorkerPool, defaultJobs } from '../../workers/pool.js';
import { progress } from '../../util/progress.js';
import { checkInt, InputError } from '../../util/errors.js';

/**
 * `lowbit sweep --space space.json [--jobs N] [--shard I/N] [--out results.jsonl] [--accuracy] [--no-area]`:
 * every point of the space (or of one shard: every N-th point from I) is estimated in the comlink worker
 * pool (src/explore/evaluate.ts), appended to the JSON-lines file as it finishes, and skipped on a rerun
 * (resume). With `--accuracy` each distinct (model, value-affecting Design fields) pair is first evaluated
 * once on MNIST on the TS accelerator. Prints the Pareto front (src/explore/front.ts).
 *
 * `lowbit sweep merge --space space.json --out merged.jsonl shard*.jsonl` joins shard files.
 */
const evaluateUrl = (): string => new URL(`../../explore/evaluate${extname(new URL(import.meta.url).pathname)}`, import.meta.url).href;

const fmt = (v: unknown): string => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : String(v ?? ''));

/** The front as a table (index, key, the objectives). */
export function frontTable(results: SweepResult[]): { columns: string[]; rows: (string | number)[][] } {
  const objs = sweepObjectives(results);
  const front = sweepFront(results);
  return {
    columns: ['#', 'point', ...objs.map((o) => `${o.name} (${o.sense})`)],
    rows: front.map((r) => [r.index, r.key, ...objs.map((o) => fmt(r.metrics[o.name]))]),
  };
}

function summary(space: Space, results: SweepResult[], extra: Record<string, unknown>, json: boolean): void {
  const front = sweepFront(results);
  const errors = results.filter((r) => r.metrics.error !== undefined);
  if (json) {
    process.stdout.write(JSON.stringify({ space: spaceHash(space), points: results.length, errors: errors.length, ...extra, front: front.map((r) => r.index) }) + '\n');
    return;
  }
  const lines = [
    `${results.length} of ${spaceSize(space)} points${errors.length ? ` (${errors.length} do not compile, e.g. ${errors[0].key}: ${errors[0].metrics.error})` : ''}`,
    ...Object.entries(extra).map(([k, v]) => `${k}: ${v}`),
    `Pareto front (${front.length} points):`,
    markdownTable(frontTable(results)),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

/** Runs `lowbit sweep` (its options: cli/args/sweep.ts). */
export async function sweepHandler(argv: SweepArgs): Promise<void> {
  const space = loadSpace(argv.space);
  const { i, n } = argv.shard !== undefined ? parseShard(argv.shard) : { i: 0, n: 1 };
  const jobs = checkInt('--jobs', argv.jobs ?? defaultJobs(), 1, 256);
  const batch = checkInt('--batch', argv.batch, 1, 2 ** 40);
  const indices = shardIndices(space, i, n);
  // one writer per results file; a file that is not results of this space is refused before any work
  const release = acquireLock(argv.out, 'sweep --out');
  try {
    readResults(argv.out, spaceHash(space), true);
    await sweepLocked(argv, space, indices, jobs, batch, i, n);
  } finally {
    release();
  }
}

async function sweepLocked(argv: SweepArgs, space: Space, indices: number[], jobs: number, batch: number, i: number, n: number): Promise<void> {
  // validate every point's Design and model folder before starting anything
  for (const k of indices) {
    pointDesign(space, k);
    pointModelDir(space, k);
  }
  const opts: PointOptions = { accuracy: argv.accuracy, area: argv.area, batch };
  const pool = new WorkerPool(jobs);
  const url = evaluateUrl();
  try {
    if (argv.accuracy) {
      // one accuracy run per distinct key, in parallel; the points then hit the disk cache
      const reps = new Map<string, number>();
      for (const k of indices) {
        const key = accuracyKey(pointModelDir(space, k), pointDesign(space, k), space);
        if (!reps.has(key)) reps.set(key, k);
      }
      const bar = progress('accuracy', reps.size);
      await Promise.all([...reps.values()].map((k) => pool.run(url, 'pointAccuracy', [space, k]).catch((e: unknown) => {
        if (!(e instanceof InputError)) throw e; // a model that does not compile: its points record the error
      }).finally(() => bar.tick())));
      bar.stop();
    }
    const bar = progress('sweep', indices.length);
    const r = await runSweep(space, {
      indices, out: argv.out, jobs, locked: true,
      evaluate: (p) => pool.run(url, 'evaluatePoint', [space, p.index, opts]),
      onDone: (res) => bar.tick(1, { point: res.index }),
    });
    bar.stop();
    summary(space, r.results, { shard: `${i + 1}/${n}`, resumed: r.skipped, out: argv.out }, argv.json);
  } finally {
    await pool.close();
  }
}

/** Runs `lowbit sweep merge` (its options: cli/args/sweep.ts). */
export function mergeHandler(argv: MergeArgs): void {
  const space = loadSpace(argv.space);
  const results = mergeResults(space, argv.files, argv.out, argv.partial, argv.force);
  summary(space, results, { merged: argv.files.length, out: argv.out }, argv.json);
}
