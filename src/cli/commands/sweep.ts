import { extname } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadSpace, parseShard, shardIndices, spaceSize, spaceHash, type Space } from '../../explore/space.js';
import { mergeResults, readResults, runSweep, type SweepResult } from '../../explore/sweep.js';
import { acquireLock } from '../../util/fsafe.js';
import { accuracyKey, pointDesign, pointModelDir, type PointOptions } from '../../explore/evaluate.js';
import { sweepFront, sweepObjectives } from '../../explore/front.js';
import { markdownTable } from '../../report/document.js';
import { WorkerPool, defaultJobs } from '../../workers/pool.js';
import { progress } from '../../util/progress.js';
import { checkInt, InputError } from '../../util/errors.js';
import { docPath } from '../../util/package.js';
import { DESCRIBE } from './list.js';

/**
 * `lowbit sweep --space space.json [--jobs N] [--shard I/N] [--out results.jsonl] [--accuracy] [--no-area]`:
 * every point of the space (or of one shard: every N-th point from I) is estimated in the comlink worker
 * pool (src/explore/evaluate.ts), appended to the JSON-lines file as it finishes, and skipped on a rerun
 * (resume). With `--accuracy` each distinct (model, value-affecting Design fields) pair is first evaluated
 * once on MNIST on the TS accelerator. Prints the Pareto front (src/explore/front.ts).
 *
 * `lowbit sweep merge --space space.json --out merged.jsonl shard*.jsonl` joins shard files.
 */
interface SweepArgs {
  space: string;
  jobs?: number;
  shard?: string;
  out: string;
  accuracy: boolean;
  area: boolean;
  batch: number;
  json: boolean;
}

interface MergeArgs {
  space: string;
  out: string;
  files: string[];
  partial: boolean;
  force: boolean;
  json: boolean;
}

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

async function runSweepCommand(argv: SweepArgs): Promise<void> {
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

const mergeCommand: CommandModule<object, MergeArgs> = {
  command: 'merge <files..>',
  describe: 'join shard result files into one (sorted by point; refuses mixed spaces and missing points)',
  builder: (y) =>
    y
      .positional('files', { type: 'string', array: true, demandOption: true })
      .option('space', { type: 'string', demandOption: true, describe: 'the space file the shards ran' })
      .option('out', { type: 'string', demandOption: true, describe: 'merged JSON-lines file' })
      .option('partial', { type: 'boolean', default: false, describe: 'allow missing points' })
      .option('force', { type: 'boolean', default: false, describe: 'overwrite --out even if it is not a results file of this space' })
      .example('$0 sweep merge --space space.json --out merged.jsonl results.jsonl', 'check and sort one results file (from the `lowbit sweep` example)')
      .example('$0 sweep merge --space space.json --out merged.jsonl shard1.jsonl shard2.jsonl', 'join two shards of space.json') as unknown as Argv<MergeArgs>,
  handler: (argv) => {
    const space = loadSpace(argv.space);
    const results = mergeResults(space, argv.files, argv.out, argv.partial, argv.force);
    summary(space, results, { merged: argv.files.length, out: argv.out }, argv.json);
  },
};

/** `lowbit sweep --space ...`: the default subcommand, so that `sweep merge --help` shows only merge's options. */
const runSubcommand: CommandModule<object, SweepArgs> = {
  command: '$0',
  describe: 'estimate every point of a design space',
  builder: (y) =>
    y
      .option('space', { type: 'string', demandOption: true, describe: `space JSON file (base Design, schemes, axes, seed, images; ${docPath('estimate.md')})` })
      .option('jobs', { type: 'number', describe: 'worker threads (default: the machine parallelism)' })
      .option('shard', { type: 'string', describe: 'run shard I of N (1-based, I/N), every N-th point' })
      .option('out', { type: 'string', default: 'results.jsonl', describe: 'JSON-lines results (appended; rerun resumes)' })
      .option('accuracy', { type: 'boolean', default: false, describe: 'evaluate each point on the MNIST test set on the TS accelerator' })
      .option('area', { type: 'boolean', default: true, describe: 'Yosys area per point (--no-area skips)' })
      .option('batch', { type: 'number', default: 1, describe: 'inferences the weight load is amortised over' })
      .example('$0 sweep --space space.json --jobs 2 --no-area --out results.jsonl', `space.json: see ${docPath('estimate.md')}`)
      .example('$0 sweep --space space.json --shard 2/8 --out shard2.jsonl', 'shard 2 of 8')
      .example('$0 sweep merge --space space.json --out merged.jsonl shard*.jsonl', 'join the shards') as unknown as Argv<SweepArgs>,
  handler: (argv) => runSweepCommand(argv),
};

export const sweepCommand: CommandModule<object, object> = {
  command: 'sweep',
  describe: DESCRIBE.sweep,
  builder: (y) =>
    y
      .command(runSubcommand as unknown as CommandModule<object, object>)
      .command(mergeCommand as unknown as CommandModule<object, object>),
  handler: () => undefined,
};
