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
 * Runs many verification jobs: in this thread when `jobs` or the number of jobs is 1, else in a comlink worker
 * pool of min(`jobs`, jobs) workers (builds and simulations in parallel; each Verilator build then compiles
 * with one job). A worker costs its start (0.3-0.5 s of wall time for `lowbit verify` of one design on this
 * machine: 1.05-1.45 s with a pool of 2, 0.76-0.85 s in this thread), so none is started for nothing.
 * Every job runs to the end; the first error (a build failure, a missing tool) is thrown afterwards.
 * `onDone` is called as each job finishes (for the progress bar).
 */
export async function runVerifyJobs(
  jobs: VerifyJob[],
  opts: { jobs: number; onDone?: (r: VerifyResult) => void; pool?: JobPool },
): Promise<VerifyResult[]> {
  const settled: PromiseSettledResult<VerifyResult>[] = [];
  const workers = Math.min(opts.jobs, jobs.length);
  if (workers <= 1 && opts.pool === undefined) {
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
    const own = opts.pool === undefined ? new WorkerPool(workers) : undefined;
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
