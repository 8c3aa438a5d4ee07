import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { WorkerPool } from '../workers/pool.js';
import { verifyJob, type VerifyJob, type VerifyResult } from './verify.js';

/** What `runVerifyJobs` needs of a worker pool (`WorkerPool` is one); a structural type, so that the public
 * declarations do not reach Node's worker_threads types. */
export interface JobPool {
  /** Runs the export `fn` of the module at `moduleUrl` on `args` in a worker. */
  run<R>(moduleUrl: string, fn: string, args: unknown[]): Promise<R>;
}

/**
 * Runs many verification jobs: in this thread when `jobs` is 1, else in a comlink worker pool of `jobs`
 * workers (builds and simulations in parallel; each Verilator build then compiles with one job).
 * Every job runs to the end; the first error (a build failure, a missing tool) is thrown afterwards.
 * `onDone` is called as each job finishes (for the progress bar).
 */
export async function runVerifyJobs(
  jobs: VerifyJob[],
  opts: { jobs: number; onDone?: (r: VerifyResult) => void; pool?: JobPool },
): Promise<VerifyResult[]> {
  const settled: PromiseSettledResult<VerifyResult>[] = [];
  if (opts.jobs <= 1 && opts.pool === undefined) {
    const buildJobs = Math.min(2, availableParallelism());
    for (const j of jobs) {
      try {
        const r = await verifyJob({ buildJobs, ...j });
        opts.onDone?.(r);
        settled.push({ status: 'fulfilled', value: r });
      } catch (e) {
        settled.push({ status: 'rejected', reason: e });
      }
    }
  } else {
    const own = opts.pool === undefined ? new WorkerPool(opts.jobs) : undefined;
    const pool: JobPool = opts.pool ?? own!;
    const url = new URL(`./verify${extname(new URL(import.meta.url).pathname)}`, import.meta.url).href;
    try {
      settled.push(
        ...(await Promise.allSettled(
          jobs.map(async (j) => {
            const r = await pool.run<VerifyResult>(url, 'verifyJob', [{ buildJobs: 1, ...j }]);
            opts.onDone?.(r);
            return r;
          }),
        )),
      );
    } finally {
      await own?.close();
    }
  }
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<VerifyResult>).value);
}
