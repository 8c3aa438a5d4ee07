import { describe, it, expect } from 'vitest';
import { gemmNT, gemmNN, gemmTN, gemmNTJs, gemmNNJs, gemmTNJs, gemmRef, setGemmBackend } from '../../src/train/gemm.js';
import { GEMM_F32_WAT, GEMM_F32_WASM_BASE64 } from '../../src/kernels/gemm_f32_wat.js';
import { watToWasm } from '../../src/kernels/wasm.js';
import { Rng, testSeed } from '../../src/util/rng.js';

const seed = testSeed(5);

/** Small-integer operands: every partial sum is exact in float32, so all kernels must agree exactly. */
function ints(rng: Rng, n: number): Float32Array {
  return new Float32Array(n).map(() => rng.int(-8, 8));
}

describe('training GEMM kernels equal the naive definition', () => {
  const shapes: [number, number, number][] = [[1, 1, 1], [3, 5, 7], [4, 8, 2], [5, 13, 3], [17, 33, 9], [128, 64, 10]];
  for (const backend of ['wasm', 'js'] as const) {
    it(`${backend}: NT, NN, TN on shapes incl. tails (seed ${seed})`, () => {
      setGemmBackend(backend);
      const rng = new Rng(seed);
      for (const [n, k, m] of shapes) {
        const x = ints(rng, n * k);
        const w = ints(rng, m * k);
        const dy = ints(rng, n * m);
        const ref = new Float64Array(Math.max(n * m, n * k, m * k));
        const y = new Float32Array(n * m);
        gemmNT(x, w, n, k, m, y);
        gemmRef(x, false, w, true, n, k, m, ref);
        expect(Array.from(y)).toEqual(Array.from(ref.subarray(0, n * m)));
        const dx = new Float32Array(n * k);
        gemmNN(dy, w, n, m, k, dx);
        gemmRef(dy, false, w, false, n, m, k, ref);
        expect(Array.from(dx)).toEqual(Array.from(ref.subarray(0, n * k)));
        const dw = new Float32Array(m * k).fill(1);
        gemmTN(dy, x, n, m, k, dw);
        gemmRef(dy, true, x, false, m, n, k, ref);
        expect(Array.from(dw)).toEqual(Array.from(ref.subarray(0, m * k)).map((v) => v + 1));
      }
      setGemmBackend('wasm');
    });
  }

  it('JS and wasm kernels agree closely on real-valued operands', () => {
    const rng = new Rng(seed);
    const n = 8;
    const k = 40;
    const m = 6;
    const x = new Float32Array(n * k).map(() => rng.normal());
    const w = new Float32Array(m * k).map(() => rng.normal());
    const a = new Float32Array(n * m);
    const b = new Float32Array(n * m);
    gemmNT(x, w, n, k, m, a);
    gemmNTJs(x, w, n, k, m, b);
    for (let i = 0; i < n * m; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-4);
    expect(typeof gemmNNJs).toBe('function');
    expect(typeof gemmTNJs).toBe('function');
  });

  it('the embedded binary is the compiled WAT (regenerate: npx tsx src/kernels/build_wasm.ts)', async () => {
    const bin = await watToWasm(GEMM_F32_WAT, 'gemm_f32.wat');
    expect(Buffer.from(bin).toString('base64')).toBe(GEMM_F32_WASM_BASE64);
  });
});
