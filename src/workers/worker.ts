/**
 * A pool worker (see pool.ts): exposes one comlink method, `call(moduleUrl, fn, args)`, which imports a
 * module (cached by the module loader) and runs one of its exported async or sync functions. Errors come
 * back as data `{ ok: false, error: { name, message, exitCode } }` so the pool can rebuild lowbit's error
 * classes (and their exit codes) on the main thread.
 */
import { parentPort } from 'node:worker_threads';
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { WorkerReply } from './protocol.js';

const api = {
  async call(moduleUrl: string, fn: string, args: unknown[]): Promise<WorkerReply> {
    try {
      const mod = (await import(moduleUrl)) as Record<string, unknown>;
      const f = mod[fn];
      if (typeof f !== 'function') throw new Error(`${moduleUrl} has no exported function ${fn}`);
      return { ok: true, value: await (f as (...a: unknown[]) => unknown)(...args) };
    } catch (e) {
      const err = e as Error & { exitCode?: number };
      return { ok: false, error: { name: err?.name ?? 'Error', message: err?.message ?? String(e), stack: err?.stack, exitCode: err?.exitCode } };
    }
  },
};

export type WorkerApi = typeof api;

if (parentPort === null) throw new Error('src/workers/worker.ts must run as a worker thread');
expose(api, nodeEndpoint(parentPort as unknown as Parameters<typeof nodeEndpoint>[0]));
