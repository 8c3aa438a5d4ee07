import { describe, it, expect, afterAll } from 'vitest';
import { gemmInt } from '../../src/kernels/gemm.js';
import { gemmXnor } from '../../src/kernels/xnor.js';
import { allocGemmOut, type AccSpec, type GemmOut } from '../../src/kernels/gemm_ref.js';
import { awaitKernelHelpers, helperWakes, kernelHelpers, parallelBlocks, setKernelThreads, stopKernelThreads, threadsFor, MIN_PARALLEL_WORK } from '../../src/kernels/threads.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setChunkBytes } from '../../src/kernels/gemm_wasm.js';
import { Rng } from '../../src/util/rng.js';
import { InputError, ToolError } from '../../src/util/errors.js';
import { runCli } from './helpers/cli.js';
import { compileModel } from '../../src/hw/accel_compile.js';
import { runAccelerator } from '../../src/hw/accel_top.js';
import { integerInference } from '../../src/model/infer.js';
import { BINARY, int as intFormat, randomMlp } from '../../src/model/random.js';
import { PRESETS } from '../../src/hw/presets.js';
import { inputsFor } from './fixtures/accel_models.js';

/**
 * The kernels on several threads give the one-thread result bit for bit: random shapes including edge
 * sizes (1 row, rows not a multiple of the tile, columns fewer than one block, odd and not a multiple of
 * the block width), every operand type and accumulator kind (int32 WRAP, narrow SAT, 40-bit BigInt64 out,
 * chunked), bias and transposed W; several row chunks (a lowered chunk budget) and a memory grown after
 * the helpers started.
 */
afterAll(async () => {
  setKernelThreads(1);
  setChunkBytes();
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

/** The first index where two outputs differ, -1 when equal (toEqual is slow on large typed arrays). */
function firstDifference(a: GemmOut, b: GemmOut): number {
  if (a.length !== b.length || a.constructor !== b.constructor) return 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Starts `t - 1` helpers (a split GEMM starts them) and waits until they take part in the next jobs. */
function startHelpers(t: number): void {
  setKernelThreads(t, { minWork: 0 });
  const A = new Int8Array(64 * 64).fill(1);
  gemmInt(A, A, 64, 64, 64, { bits: 32, overflow: 'WRAP' }, new Int32Array(64 * 64));
  awaitKernelHelpers();
}

describe('kernels on several threads', () => {
  it('gemmInt: threaded == one thread exactly', () => {
    startHelpers(3);
    let cases = 0;
    for (const M of [1, 2, 3, 5, 8, 9, 13, 33]) {
      for (const [K, N] of [[1, 1], [3, 5], [17, 2], [64, 16], [9, 33], [5, 67], [40, 130]] as const) {
        const acc = ACCS[cases % ACCS.length]!;
        const kind = int(0, 3);
        const A = randomOperand(kind, M * K);
        const W = randomOperand(int(0, 3), K * N);
        const opts = { wTransposed: rng.float() < 0.5, bias: rng.float() < 0.5 ? Array.from({ length: N }, () => int(-5000, 5000)) : undefined };
        setKernelThreads(1);
        const one = gemmInt(A, W, M, K, N, acc, allocGemmOut(M, N, acc), opts);
        for (const t of [2, 3]) {
          setKernelThreads(t, { minWork: 0 });
          expect(gemmInt(A, W, M, K, N, acc, allocGemmOut(M, N, acc), opts), `${M}x${K}x${N} ${JSON.stringify(acc)} t=${t}`).toEqual(one);
        }
        cases++;
      }
    }
    expect(kernelHelpers()).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('gemmXnor: threaded == one thread exactly (padding bits set)', () => {
    for (const M of [1, 2, 3, 5, 9]) {
      for (const [N, nBits] of [[1, 1], [3, 31], [4, 32], [2, 33], [5, 300], [37, 65], [101, 129]] as const) {
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

  it('several row chunks, and a memory grown after the helpers started, keep the results', () => {
    for (const [M, K, N, chunk] of [[37, 9, 40, 4096], [64, 300, 96, 65536], [130, 520, 200, 1 << 18], [200, 600, 130, 1 << 28]] as const) {
      const A = randomOperand(0, M * K);
      const W = randomOperand(2, K * N);
      const nBits = 3 * K + 1;
      const wpr = Math.ceil(nBits / 32);
      const Ap = Uint32Array.from({ length: M * wpr }, () => int(0, 2 ** 32 - 1));
      const Wp = Uint32Array.from({ length: N * wpr }, () => int(0, 2 ** 32 - 1));
      const run = (t: number): [GemmOut, GemmOut, Int32Array] => {
        setKernelThreads(t, { minWork: 0 });
        setChunkBytes(chunk);
        const acc: AccSpec = { bits: 32, overflow: 'WRAP' };
        const y = gemmInt(A, W, M, K, N, acc, allocGemmOut(M, N, acc), { bias: Array.from({ length: N }, (_, n) => n - 50) });
        const sat: AccSpec = { bits: 48, overflow: 'SAT' };
        const z = gemmInt(A, W, M, K, N, sat, allocGemmOut(M, N, sat), { wTransposed: true });
        return [y, z, gemmXnor(Ap, Wp, M, N, nBits, new Int32Array(M * N))];
      };
      const one = run(1);
      for (const t of [2, 3]) {
        run(t).forEach((y, i) => expect(firstDifference(y, one[i]!), `${M}x${K}x${N} chunk ${chunk} t=${t} result ${i}`).toBe(-1));
      }
    }
  }, 120_000);

  it('helpers parked between jobs wake for the next one; stopped helpers restart', async () => {
    const [M, K, N] = [256, 256, 256];
    const A = randomOperand(0, M * K);
    const W = randomOperand(0, K * N);
    const acc: AccSpec = { bits: 32, overflow: 'WRAP' };
    setKernelThreads(1);
    const one = gemmInt(A, W, M, K, N, acc, allocGemmOut(M, N, acc));
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    await stopKernelThreads(); // the earlier tests' helpers
    for (const round of [0, 1]) {
      startHelpers(2);
      for (let i = 0; i < 5; i++) {
        await sleep(5); // longer than the helpers spin: they are parked when the job is posted
        const woke = helperWakes();
        expect(firstDifference(gemmInt(A, W, M, K, N, acc, allocGemmOut(M, N, acc)), one), `round ${round} GEMM ${i}`).toBe(-1);
        // the helper may wake after the caller has run every block (a loaded machine), but it wakes
        for (let waited = 0; helperWakes() === woke; waited += 5) {
          if (waited > 30_000) throw new Error(`round ${round} GEMM ${i}: the parked helper did not wake for the job in 30 s`);
          await sleep(5);
        }
      }
      expect(kernelHelpers()).toBe(1);
      await stopKernelThreads();
      expect(kernelHelpers()).toBe(0);
    }
  }, 120_000);

  it('a helper that fails to start is an error naming --threads 1 on the next GEMM; a restart clears it', async () => {
    const [M, K, N] = [64, 64, 64];
    const A = randomOperand(0, M * K);
    const acc: AccSpec = { bits: 32, overflow: 'WRAP' };
    setKernelThreads(1);
    const one = gemmInt(A, A, M, K, N, acc, allocGemmOut(M, N, acc));
    await stopKernelThreads();
    setKernelThreads(2, { minWork: 0 });
    // a helper handed no compiled kernels: its start throws in the helper thread
    parallelBlocks(2, 1, [], { module: {}, memory: {} }, () => {}, () => {});
    let err: unknown;
    for (let waited = 0; err === undefined && waited < 30_000; waited += 10) {
      await new Promise((r) => setTimeout(r, 10)); // the helper's 'error' event arrives on the event loop
      try {
        gemmInt(A, A, M, K, N, acc, allocGemmOut(M, N, acc));
      } catch (e) {
        err = e;
      }
    }
    expect(err).toBeInstanceOf(ToolError);
    expect((err as Error).message).toMatch(/^kernel threads: a helper thread failed: .+; run with --threads 1$/);
    await stopKernelThreads();
    startHelpers(2);
    expect(firstDifference(gemmInt(A, A, M, K, N, acc, allocGemmOut(M, N, acc)), one)).toBe(-1);
  }, 120_000);

  it('a process whose helpers are parked exits when its work is done', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lowbit-threads-'));
    const script = join(dir, 'exit.ts');
    const src = (f: string): string => JSON.stringify(new URL(`../../src/kernels/${f}`, import.meta.url).href);
    writeFileSync(script, `import { gemmInt } from ${src('gemm.ts')};
import { setKernelThreads, kernelHelpers, awaitKernelHelpers } from ${src('threads.ts')};
setKernelThreads(2, { minWork: 0 });
const A = new Int8Array(64 * 64).fill(1);
gemmInt(A, A, 64, 64, 64, { bits: 32, overflow: 'WRAP' }, new Int32Array(64 * 64));
awaitKernelHelpers(); // then a job with the helper taking part; it parks after it
const y = gemmInt(A, A, 64, 64, 64, { bits: 32, overflow: 'WRAP' }, new Int32Array(64 * 64));
process.stdout.write(\`\${y[0]} \${kernelHelpers()}\`);
`);
    const out = execFileSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 60_000 });
    expect(out).toBe('64 1');
  }, 120_000);

  it('the batched accelerator model on kernel threads == one thread == the integer reference', () => {
    const binary = structuredClone(PRESETS.binary);
    binary.xnor.bitsPerCycle = 32;
    const cases = [
      { design: PRESETS.tiny, model: randomMlp(rng, [60, 70, 40, 10], intFormat(8, true), intFormat(8, true), 'multiplier-double') },
      { design: binary, model: randomMlp(rng, [100, 90, 50, 10], BINARY, BINARY, 'bipolar') },
    ];
    for (const { design, model } of cases) {
      const p = compileModel(model, design);
      const batch = 9;
      const x = inputsFor(rng, model, batch);
      setKernelThreads(1);
      const one = runAccelerator(p, x, batch);
      startHelpers(3);
      const three = runAccelerator(p, x, batch);
      expect(Array.from(three.outputs), design.name).toEqual(Array.from(one.outputs));
      expect(Array.from(one.outputs), design.name).toEqual(Array.from(integerInference(model, x).output));
    }
  }, 120_000);

  it('small GEMMs stay on the calling thread; the split is per kernel', () => {
    setKernelThreads(2);
    for (const kind of ['int', 'xnor'] as const) {
      expect(threadsFor(kind, 8, MIN_PARALLEL_WORK[kind] - 1)).toBe(1);
      expect(threadsFor(kind, 8, MIN_PARALLEL_WORK[kind])).toBe(2);
      expect(threadsFor(kind, 1, MIN_PARALLEL_WORK[kind])).toBe(1);
    }
    setKernelThreads(3, { minWork: 0 });
    expect(threadsFor('int', 2, 0)).toBe(2);
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
