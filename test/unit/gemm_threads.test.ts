import { describe, it, expect, afterAll } from 'vitest';
import { gemmInt } from '../../src/kernels/gemm.js';
import { gemmXnor } from '../../src/kernels/xnor.js';
import { allocGemmOut, type AccSpec } from '../../src/kernels/gemm_ref.js';
import { kernelHelpers, setKernelThreads, stopKernelThreads, threadsFor, MIN_PARALLEL_WORK } from '../../src/kernels/threads.js';
import { Rng } from '../../src/util/rng.js';
import { InputError } from '../../src/util/errors.js';
import { runCli } from './helpers/cli.js';

/**
 * The kernels on several threads give the one-thread result bit for bit: random shapes including edge
 * sizes (1 row, fewer rows than threads, rows not a multiple of the tile), every operand type and
 * accumulator kind (int32 WRAP, narrow SAT, 40-bit BigInt64 out, chunked), bias and transposed W.
 */
afterAll(async () => {
  setKernelThreads(1);
  await stopKernelThreads();
});

const rng = new Rng(23);
const int = (lo: number, hi: number): number => lo + Math.floor(rng.float() * (hi - lo + 1));

function randomOperand(kind: number, len: number): ArrayLike<number> {
  const v = Array.from({ length: len }, () => (kind === 0 ? int(-128, 127) : kind === 1 ? int(0, 255) : int(-3000, 3000)));
  return kind === 0 ? Int8Array.from(v) : kind === 1 ? Uint8Array.from(v) : kind === 2 ? Int16Array.from(v) : v;
}

const ACCS: AccSpec[] = [
  { bits: 32, overflow: 'WRAP' },
  { bits: 16, overflow: 'SAT' },
  { bits: 40, overflow: 'WRAP' },
  { bits: 12, overflow: 'WRAP', chunk: { length: 5, wideBits: 24 } },
];

describe('kernels on several threads', () => {
  it('gemmInt: threaded == one thread exactly', () => {
    let cases = 0;
    for (const M of [1, 2, 3, 5, 8, 9, 13, 33]) {
      for (const [K, N] of [[1, 1], [3, 5], [17, 2], [64, 16], [9, 33]] as const) {
        const acc = ACCS[cases % ACCS.length]!;
        const kind = int(0, 3);
        const A = randomOperand(kind, M * K);
        const W = randomOperand(int(0, 3), K * N);
        const opts = { wTransposed: rng.float() < 0.5, bias: rng.float() < 0.5 ? Array.from({ length: N }, () => int(-5000, 5000)) : undefined };
        setKernelThreads(1);
        const one = gemmInt(A, W, M, K, N, acc, allocGemmOut(M, N, acc), opts);
        for (const t of [2, 3]) {
          setKernelThreads(t, { minWork: 0 });
          expect(threadsFor(M, M * K * N)).toBe(Math.min(t, M));
          expect(gemmInt(A, W, M, K, N, acc, allocGemmOut(M, N, acc), opts), `${M}x${K}x${N} ${JSON.stringify(acc)} t=${t}`).toEqual(one);
        }
        cases++;
      }
    }
    expect(kernelHelpers()).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('gemmXnor: threaded == one thread exactly (padding bits set)', () => {
    for (const M of [1, 2, 3, 5, 9]) {
      for (const [N, nBits] of [[1, 1], [3, 31], [4, 32], [2, 33], [5, 300]] as const) {
        const wpr = Math.ceil(nBits / 32);
        const Ap = Uint32Array.from({ length: M * wpr }, () => int(0, 2 ** 32 - 1));
        const Wp = Uint32Array.from({ length: N * wpr }, () => int(0, 2 ** 32 - 1));
        setKernelThreads(1);
        const one = gemmXnor(Ap, Wp, M, N, nBits, new Int32Array(M * N));
        setKernelThreads(3, { minWork: 0 });
        expect(gemmXnor(Ap, Wp, M, N, nBits, new Int32Array(M * N)), `${M}x${N}x${nBits}`).toEqual(one);
      }
    }
  }, 120_000);

  it('small GEMMs stay on the calling thread', () => {
    setKernelThreads(2);
    expect(threadsFor(512, MIN_PARALLEL_WORK - 1)).toBe(1);
    expect(threadsFor(512, MIN_PARALLEL_WORK)).toBe(2);
    expect(threadsFor(1, MIN_PARALLEL_WORK)).toBe(1);
  });

  it('--threads takes an integer from 1 to 1024; anything else is one line, exit 2', async () => {
    for (const bad of [0, -1, 1.5, NaN, 1025]) expect(() => setKernelThreads(bad)).toThrow(InputError);
    for (const bad of ['0', '1.5', 'two', '-3']) {
      const r = await runCli(['simulate', '--design', 'int8', '--random', '4,8,4', '--threads', bad]);
      expect(r.code, bad).toBe(2);
      expect(r.err, bad).toMatch(/^lowbit: --threads: got .*; allowed: an integer from 1 to 1024/);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
    const ok = await runCli(['simulate', '--design', 'int8', '--random', '4,8,4', '--seed', '1', '--threads', '2']);
    expect(ok.code, ok.err).toBe(0);
  });
});
