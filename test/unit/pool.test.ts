import { afterAll, describe, it, expect } from 'vitest';
import { WorkerPool, workerScript } from '../../src/workers/pool.js';
import { InputError } from '../../src/util/errors.js';

const unitUrl = new URL('../../src/rtl/unit.ts', import.meta.url).href;

// One pool for the file: starting a worker from TS sources (tsx) costs seconds on this machine.
const pool = new WorkerPool(2);
afterAll(() => pool.close());

describe('WorkerPool (comlink over worker_threads)', () => {
  it('runs the TS worker through tsx when the sources are TS', () => {
    const { url, ts } = workerScript();
    expect(url.pathname.endsWith('/src/workers/worker.ts')).toBe(true);
    expect(ts).toBe(true);
  });

  it('runs exported functions of any module in workers, BigInt in and out, at most `size` workers', async () => {
    const inputs = [-1n, -128n, 127n, 5n, -3n, 0n];
    const out = await Promise.all(inputs.map((v) => pool.run<bigint>(unitUrl, 'toBits', [v, 8, 'x'])));
    expect(out).toEqual([255n, 128n, 127n, 5n, 253n, 0n]);
    expect(pool.started).toBe(2);
    expect(await pool.run<string>('node:timers/promises', 'setTimeout', [5, 'done'])).toBe('done');
    expect(pool.started).toBe(2);
  });

  it('rebuilds lowbit error classes (exit codes) and survives a worker that dies', async () => {
    const err = await pool.run(unitUrl, 'toBits', [300n, 8, 'acc_o']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(/acc_o: value 300 does not fit a 8-bit port/);
    await expect(pool.run(unitUrl, 'noSuchFunction', [])).rejects.toThrow(/has no exported function noSuchFunction/);
    await expect(pool.run('node:process', 'exit', [3])).rejects.toThrow(/pool worker exited with code 3/);
    expect(pool.started).toBe(1);
    expect(await pool.run<bigint>(unitUrl, 'fromBitsSigned', [255n, 8])).toBe(-1n);
  });

  it('rejects a bad size', () => {
    expect(() => new WorkerPool(0)).toThrow(/jobs: got 0/);
  });
});
