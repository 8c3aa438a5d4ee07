import { Worker, type TransferListItem } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Remote, wrap as comlinkWrap } from 'comlink';
import type nodeEndpointFn from 'comlink/dist/esm/node-adapter.mjs';
import { CheckFailedError, InputError, LowbitError, ToolError } from '../util/errors.js';
import type { WorkerApi } from './worker.js';
import type { WorkerReply } from './protocol.js';

/**
 * A pool of `worker_threads` workers driven through comlink (with its Node adapter). A task is "call the
 * exported function `fn` of module `moduleUrl` with `args`" — any module, so `lowbit verify` and
 * `lowbit sweep` share one pool. Arguments and results cross by structured clone (plain objects, typed
 * arrays, BigInt, Map). Errors thrown by the function come back as lowbit's own error classes, keeping
 * their CLI exit codes. Workers start lazily, at most `size`, and run one task at a time each.
 *
 * Works from TS sources (vitest, tsx: the worker is `worker.ts`, loaded after registering tsx) and from the
 * built `dist/` (`worker.js`, plain Node).
 */
interface Slot {
  worker: Worker;
  api: Remote<WorkerApi>;
  /** rejects the task in flight if the worker dies */
  fail?: (e: Error) => void;
}

interface Task {
  moduleUrl: string;
  fn: string;
  args: unknown[];
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/**
 * comlink and its Node adapter (their CommonJS builds; 'comlink' resolves to that build from ESM too),
 * required when the first worker starts, so that importing lowbit does not load them.
 */
function comlink(): { wrap: typeof comlinkWrap; nodeEndpoint: typeof nodeEndpointFn } {
  const req = createRequire(import.meta.url);
  return { wrap: (req('comlink') as { wrap: typeof comlinkWrap }).wrap, nodeEndpoint: req('comlink/dist/umd/node-adapter.js') as typeof nodeEndpointFn };
}

const ERRORS: Record<string, new (m: string) => LowbitError> = { InputError, ToolError, CheckFailedError };

/** Rebuilds an error from a worker reply (lowbit classes keep their exit codes). */
export function errorFromReply(e: Extract<WorkerReply, { ok: false }>['error']): Error {
  const Cls = ERRORS[e.name];
  if (Cls !== undefined) return new Cls(e.message);
  const err = new Error(e.message);
  err.name = e.name;
  if (e.stack !== undefined) err.stack = e.stack;
  return err;
}

/**
 * The worker script beside this module. From TS sources the worker first registers tsx's ESM loader in
 * its own thread (`--import tsx` in a worker's `execArgv` does not reach the worker's entry module on
 * Node 20, measured), then imports `worker.ts`.
 */
export function workerScript(): { url: URL; ts: boolean } {
  const ts = import.meta.url.endsWith('.ts');
  return { url: new URL(ts ? './worker.ts' : './worker.js', import.meta.url), ts };
}

/**
 * The URL of tsx's ESM API (`tsx/esm/api`, its "import" export), resolved from this module: an eval worker
 * resolves bare names from the working directory, which need not see lowbit's node_modules.
 */
function tsxEsmApi(): string {
  const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
  const exp = (JSON.parse(readFileSync(pkg, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api'];
  return pathToFileURL(join(dirname(pkg), exp.import.default)).href;
}

/** A worker thread running the module at `url` (a .ts source through tsx, or built .js), with `workerData`. */
export function startWorkerThread(url: URL, workerData?: unknown, transferList?: TransferListItem[]): Worker {
  const opts = { workerData, transferList };
  if (!url.pathname.endsWith('.ts')) return new Worker(url, opts);
  const boot = `import(${JSON.stringify(tsxEsmApi())}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true, ...opts });
}

function startWorker(): Worker {
  return startWorkerThread(workerScript().url);
}

/** Default pool size: the machine's parallelism. */
export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

export class WorkerPool {
  private readonly idle: Slot[] = [];
  private readonly all: Slot[] = [];
  private readonly queue: Task[] = [];
  private closed = false;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new InputError(`jobs: got ${size}; allowed: an integer >= 1`);
  }

  /** Runs `fn(...args)` from `moduleUrl` (a file: URL, e.g. `import.meta.url` of the caller's module). */
  run<R>(moduleUrl: string, fn: string, args: unknown[]): Promise<R> {
    if (this.closed) return Promise.reject(new Error('WorkerPool: closed'));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ moduleUrl, fn, args, resolve: resolve as (v: unknown) => void, reject });
      this.pump();
    });
  }

  /** Number of workers started so far. */
  get started(): number {
    return this.all.length;
  }

  /** Terminates every worker. Pending tasks are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.queue.splice(0)) t.reject(new Error('WorkerPool: closed'));
    await Promise.all(this.all.map((s) => s.worker.terminate()));
    this.all.length = 0;
    this.idle.length = 0;
  }

  private spawn(): Slot {
    const worker = startWorker();
    worker.unref();
    const { wrap, nodeEndpoint } = comlink();
    const slot: Slot = { worker, api: wrap<WorkerApi>(nodeEndpoint(worker as unknown as Parameters<typeof nodeEndpoint>[0])) };
    const die = (e: Error): void => {
      const i = this.all.indexOf(slot);
      if (i >= 0) this.all.splice(i, 1);
      const j = this.idle.indexOf(slot);
      if (j >= 0) this.idle.splice(j, 1);
      slot.fail?.(e);
      this.pump();
    };
    worker.on('error', (e) => die(e instanceof Error ? e : new Error(String(e))));
    worker.on('exit', (code) => {
      if (!this.closed) die(new Error(`pool worker exited with code ${code}`));
    });
    this.all.push(slot);
    return slot;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.idle.pop();
      if (slot === undefined) {
        if (this.all.length >= this.size) return;
        slot = this.spawn();
      }
      const task = this.queue.shift()!;
      this.execute(slot, task);
    }
  }

  private execute(slot: Slot, task: Task): void {
    let settled = false;
    slot.worker.ref();
    const finish = (): void => {
      slot.fail = undefined;
      slot.worker.unref();
      if (this.all.includes(slot) && !this.closed) this.idle.push(slot);
      this.pump();
    };
    slot.fail = (e) => {
      if (settled) return;
      settled = true;
      task.reject(e);
    };
    slot.api.call(task.moduleUrl, task.fn, task.args).then(
      (reply) => {
        if (settled) return;
        settled = true;
        if (reply.ok) task.resolve(reply.value);
        else task.reject(errorFromReply(reply.error));
        finish();
      },
      (e: unknown) => {
        if (settled) return;
        settled = true;
        task.reject(e instanceof Error ? e : new Error(String(e)));
        finish();
      },
    );
  }
}
