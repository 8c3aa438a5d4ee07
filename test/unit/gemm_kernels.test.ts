import { describe, it, expect } from 'vitest';
import { Rng, testSeed } from '../../src/util/rng.js';
import { packBits } from '../../src/arith/binary.js';
import { GEMM_WASM_BASE64, GEMM_WAT } from '../../src/kernels/gemm_wat.js';
import { watToWasm, loadWat, simdSupported } from '../../src/kernels/wasm.js';
import { allocGemmOut, gemmIntRef, gemmXnorRef, type AccSpec } from '../../src/kernels/gemm_ref.js';
import { gemmInt } from '../../src/kernels/gemm.js';
import { wasmGemmI16x64 } from '../../src/kernels/gemm_wasm.js';
import { gemmXnor, XNOR_WASM_MAX_BITS } from '../../src/kernels/xnor.js';
import { InputError } from '../../src/util/errors.js';

const SEED = testSeed(20261127);
const EDGE_ACC = [2, 7, 8, 16, 31, 32, 33, 53, 54, 63, 64];

function randOperand(rng: Rng, len: number, bits: number, signed: boolean): Int32Array {
  const x = new Int32Array(len);
  const lo = signed ? -(2 ** (bits - 1)) : 0;
  const hi = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  for (let i = 0; i < len; i++) x[i] = rng.float() < 0.1 ? (rng.float() < 0.5 ? lo : hi) : rng.int(lo, hi);
  return x;
}

describe('wasm loader', () => {
  it('SIMD is available and the embedded binary is GEMM_WAT compiled (else: npx tsx src/kernels/build_wasm.ts)', async () => {
    expect(simdSupported()).toBe(true);
    const bin = await watToWasm(GEMM_WAT, 'gemm.wat');
    expect(Buffer.from(bin).toString('base64')).toBe(GEMM_WASM_BASE64);
  });
  it('loadWat compiles SIMD WAT and grows memory; bad WAT is a ToolError naming the file', async () => {
    const k = await loadWat<{ dot(a: number, b: number): number }>(`(module (import "env" "memory" (memory 1))
      (func (export "dot") (param i32 i32) (result i32)
        (i32x4.extract_lane 1 (i32x4.dot_i16x8_s (v128.load (local.get 0)) (v128.load (local.get 1))))))`);
    new Int16Array(k.memory.buffer, 0, 16).set([1, 2, 3, 4, 5, 6, 7, 8, -2, 2, 2, 2, 2, 2, 2, 2]);
    expect(k.exports.dot(0, 16)).toBe(3 * 2 + 4 * 2);
    k.ensureBytes(3 * 65536 + 1);
    expect(k.memory.buffer.byteLength).toBe(4 * 65536);
    await expect(watToWasm('(module (func (i32.add)))', 'bad.wat')).rejects.toThrow(/bad\.wat: WAT does not/);
  });
});

describe(`gemmInt equals gemmIntRef (seed ${SEED}; LOWBIT_SEED=${SEED} to reproduce)`, () => {
  it('random shapes, operand widths 1..16, accumulators 2..64, WRAP and SAT, with and without bias', () => {
    const rng = new Rng(SEED);
    for (let t = 0; t < 400; t++) {
      const M = rng.int(0, 9);
      const K = rng.int(0, 40);
      const N = rng.int(0, 9);
      const wb = rng.int(1, 16);
      const ab = rng.int(1, 16);
      const ws = rng.float() < 0.7;
      const as = rng.float() < 0.7;
      const acc: AccSpec = {
        bits: t < EDGE_ACC.length * 2 ? EDGE_ACC[t % EDGE_ACC.length] : rng.int(2, 64),
        overflow: rng.float() < 0.5 ? 'WRAP' : 'SAT',
      };
      const A = randOperand(rng, M * K, ab, as);
      const W = randOperand(rng, K * N, wb, ws);
      const bias = rng.float() < 0.5 ? undefined : Array.from({ length: N }, () => rng.int(-(2 ** 40), 2 ** 40));
      const want = gemmIntRef(A, W, M, K, N, acc, allocGemmOut(M, N, acc), { bias });
      const got = gemmInt(A, W, M, K, N, acc, allocGemmOut(M, N, acc), { bias });
      const ctx = `t=${t} M=${M} K=${K} N=${N} w=${ws ? 's' : 'u'}${wb} a=${as ? 's' : 'u'}${ab} acc=${acc.bits}${acc.overflow}`;
      expect(Array.from(got as ArrayLike<unknown>), ctx).toEqual(Array.from(want as ArrayLike<unknown>));
      // the same GEMM with W given as N x K
      const Wt = new Int32Array(K * N);
      for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) Wt[n * K + k] = W[k * N + n];
      const gotT = gemmInt(A, Wt, M, K, N, acc, allocGemmOut(M, N, acc), { bias, wTransposed: true });
      expect(Array.from(gotT as ArrayLike<unknown>), `${ctx} wTransposed`).toEqual(Array.from(want as ArrayLike<unknown>));
      if (t % 20 === 0) {
        const refT = gemmIntRef(A, Wt, M, K, N, acc, allocGemmOut(M, N, acc), { bias, wTransposed: true });
        expect(Array.from(refT as ArrayLike<unknown>), `${ctx} ref wTransposed`).toEqual(Array.from(want as ArrayLike<unknown>));
      }
    }
  });
  it('narrow saturating accumulators: many outputs take the sequential path', () => {
    const rng = new Rng(SEED + 1);
    for (const bits of [2, 3, 5, 8, 12, 16]) {
      const M = 13, K = 50, N = 7;
      const A = randOperand(rng, M * K, 8, true);
      const W = randOperand(rng, K * N, 4, true);
      const acc: AccSpec = { bits, overflow: 'SAT' };
      const want = gemmIntRef(A, W, M, K, N, acc, new Int32Array(M * N));
      expect(Array.from(gemmInt(A, W, M, K, N, acc, new Int32Array(M * N)) as Int32Array), `bits=${bits}`).toEqual(Array.from(want as Int32Array));
      const Wt = new Int32Array(K * N);
      for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) Wt[n * K + k] = W[k * N + n];
      const gotT = gemmInt(A, Wt, M, K, N, acc, new Int32Array(M * N), { wTransposed: true });
      expect(Array.from(gotT as Int32Array), `bits=${bits} wTransposed`).toEqual(Array.from(want as Int32Array));
    }
  });
  it('int8 and int4 shapes larger than a tile, Int8Array inputs', () => {
    const rng = new Rng(SEED + 2);
    for (const bits of [8, 4]) {
      const M = 37, K = 100, N = 29;
      const A = Int8Array.from(randOperand(rng, M * K, bits, true));
      const W = Int8Array.from(randOperand(rng, K * N, bits, true));
      for (const acc of [{ bits: 32, overflow: 'WRAP' }, { bits: 18, overflow: 'SAT' }] as AccSpec[]) {
        const want = gemmIntRef(A, W, M, K, N, acc, new Int32Array(M * N));
        expect(Array.from(gemmInt(A, W, M, K, N, acc, new Int32Array(M * N)) as Int32Array)).toEqual(Array.from(want as Int32Array));
      }
    }
  });
});

describe('the exact i64 wasm path (sums past 2^31)', () => {
  it('wasmGemmI16x64 equals BigInt sums for 16-bit extremes and odd shapes, flushing every step', () => {
    const rng = new Rng(SEED + 5);
    for (const [M, K, N, bits] of [[3, 1000, 5, 16], [5, 77, 3, 16], [2, 3000, 2, 12], [7, 9, 9, 9]]) {
      const hi = 2 ** (bits - 1) - 1;
      const A = Int32Array.from({ length: M * K }, () => (rng.float() < 0.5 ? (rng.float() < 0.5 ? hi : -hi) : rng.int(-hi, hi)));
      const W = Int32Array.from({ length: K * N }, () => (rng.float() < 0.5 ? (rng.float() < 0.5 ? hi : -hi) : rng.int(-hi, hi)));
      for (const abs of [false, true]) {
        const S = wasmGemmI16x64(A, W, M, K, N, abs, false, hi * hi);
        for (let m = 0; m < M; m++) {
          for (let n = 0; n < N; n++) {
            let want = 0n;
            for (let k = 0; k < K; k++) {
              const a = BigInt(A[m * K + k]);
              const w = BigInt(W[k * N + n]);
              want += abs ? (a < 0n ? -a : a) * (w < 0n ? -w : w) : a * w;
            }
            expect(BigInt(S[m * N + n]), `${M}x${K}x${N} bits=${bits} abs=${abs} (${m},${n})`).toBe(want);
          }
        }
      }
    }
  });
  it('every operand container, W as given and transposed, WRAP and SAT needing |A||W| (operand staging, widen_rows, pack_wt)', () => {
    const rng = new Rng(SEED + 7);
    // each container with values it holds: 8-bit typed arrays are staged as bytes, the rest as int16
    const CONTAINERS: [string, (v: number[]) => ArrayLike<number>, number, number][] = [
      ['Int8Array', (v) => Int8Array.from(v), -128, 127],
      ['Uint8Array', (v) => Uint8Array.from(v), 0, 255],
      ['Int16Array', (v) => Int16Array.from(v), -3000, 3000],
      ['Uint16Array', (v) => Uint16Array.from(v), 0, 300],
      ['Int32Array', (v) => Int32Array.from(v), -200, 200],
      ['Float64Array', (v) => Float64Array.from(v), -100, 100],
      ['Array', (v) => v, -128, 127],
    ];
    const value = (lo: number, hi: number): number => (rng.float() < 0.2 ? (rng.float() < 0.5 ? lo : hi) : rng.int(lo, hi));
    for (const [M, K, N] of [[7, 5, 3], [5, 8, 10], [9, 21, 7], [4, 40, 2]] as const) {
      for (const [an, aMake, alo, ahi] of CONTAINERS) {
        for (const [wn, wMake, wlo, whi] of CONTAINERS) {
          const A = aMake(Array.from({ length: M * K }, () => value(alo, ahi)));
          const wv = Array.from({ length: K * N }, () => value(wlo, whi));
          const W = wMake(wv);
          const Wt = wMake(Array.from({ length: K * N }, (_, i) => wv[(i % K) * N + Math.floor(i / K)]!));
          for (const acc of [{ bits: 32, overflow: 'WRAP' }, { bits: 12, overflow: 'SAT' }] as AccSpec[]) {
            const ctx = `${M}x${K}x${N} A ${an} W ${wn} ${acc.bits} ${acc.overflow}`;
            const want = Array.from(gemmIntRef(A, W, M, K, N, acc, new Int32Array(M * N)) as Int32Array);
            expect(Array.from(gemmInt(A, W, M, K, N, acc, new Int32Array(M * N)) as Int32Array), ctx).toEqual(want);
            expect(Array.from(gemmInt(A, Wt, M, K, N, acc, new Int32Array(M * N), { wTransposed: true }) as Int32Array), `${ctx} wT`).toEqual(want);
          }
        }
      }
    }
  });
  it('gemmInt takes it for 16-bit SAT and wide WRAP accumulators', () => {
    const rng = new Rng(SEED + 6);
    const M = 6, K = 500, N = 5;
    const A = randOperand(rng, M * K, 16, true).map((v) => Math.max(v, -32767));
    const W = randOperand(rng, K * N, 16, true).map((v) => Math.max(v, -32767));
    for (const acc of [{ bits: 40, overflow: 'SAT' }, { bits: 36, overflow: 'SAT' }, { bits: 48, overflow: 'WRAP' }, { bits: 64, overflow: 'SAT' }] as AccSpec[]) {
      const want = gemmIntRef(A, W, M, K, N, acc, allocGemmOut(M, N, acc));
      expect(Array.from(gemmInt(A, W, M, K, N, acc, allocGemmOut(M, N, acc)) as BigInt64Array), `${acc.bits} ${acc.overflow}`).toEqual(Array.from(want as BigInt64Array));
    }
    const acc: AccSpec = { bits: 20, overflow: 'SAT' };
    const want = gemmIntRef(A, W, M, K, N, acc, new Int32Array(M * N));
    expect(Array.from(gemmInt(A, W, M, K, N, acc, new Int32Array(M * N)) as Int32Array)).toEqual(Array.from(want as Int32Array));
  });
});

describe('gemmInt exact semantics, by hand', () => {
  it('SAT order matters: 100 + 100 - 100 in 8 bits is 27, not 100', () => {
    const out = gemmInt([100, 100, -100], [1, 1, 1], 1, 3, 1, { bits: 8, overflow: 'SAT' }, new Int32Array(1));
    expect(out[0]).toBe(27);
    const wrap = gemmInt([100, 100, -100], [1, 1, 1], 1, 3, 1, { bits: 8, overflow: 'WRAP' }, new Int32Array(1));
    expect(wrap[0]).toBe(100);
  });
  it('bias is the saturated / wrapped initial value', () => {
    expect(gemmInt([1], [1], 1, 1, 1, { bits: 8, overflow: 'SAT' }, new Int32Array(1), { bias: [1000] })[0]).toBe(127);
    expect(gemmInt([1], [1], 1, 1, 1, { bits: 8, overflow: 'WRAP' }, new Int32Array(1), { bias: [255] })[0]).toBe(0);
    expect(gemmInt([-1], [1], 1, 1, 1, { bits: 8, overflow: 'SAT' }, new Int32Array(1), { bias: [1000] })[0]).toBe(126);
  });
  it('int32 WRAP overflow wraps like hardware; 64-bit accumulators are exact', () => {
    const K = 70000;
    const A = new Int16Array(K).fill(-32767);
    const W = new Int16Array(K).fill(-32767);
    const exact = BigInt(K) * 32767n * 32767n;
    expect(gemmInt(A, W, 1, K, 1, { bits: 32, overflow: 'WRAP' }, new Int32Array(1))[0]).toBe(Number(BigInt.asIntN(32, exact)));
    expect(gemmInt(A, W, 1, K, 1, { bits: 32, overflow: 'SAT' }, new Int32Array(1))[0]).toBe(2147483647);
    expect(gemmInt(A, W, 1, K, 1, { bits: 64, overflow: 'SAT' }, new BigInt64Array(1))[0]).toBe(exact);
    expect(gemmInt(A, W, 1, K, 1, { bits: 40, overflow: 'WRAP' }, new BigInt64Array(1))[0]).toBe(BigInt.asIntN(40, exact));
  });
  it('16-bit extremes (-32768, 65535) and sums past 2^53 (BigInt reference path)', () => {
    const A = [-32768, 65535, -32768];
    const W = [-32768, 65535, 7];
    const want = (-32768n * -32768n) + 65535n * 65535n + (-32768n * 7n);
    expect(gemmInt(A, W, 1, 3, 1, { bits: 64, overflow: 'WRAP' }, new BigInt64Array(1))[0]).toBe(want);
    const big = gemmInt([1], [1], 1, 1, 1, { bits: 64, overflow: 'WRAP' }, new BigInt64Array(1), { bias: [2 ** 53 - 1] });
    expect(big[0]).toBe(2n ** 53n);
  });
  it('rejects bad arguments with the field name', () => {
    const e = (f: () => unknown, re: RegExp): void => {
      expect(f).toThrow(InputError);
      expect(f).toThrow(re);
    };
    e(() => gemmInt([1, 2], [1], 1, 2, 1, { bits: 32, overflow: 'WRAP' }, new Int32Array(1)), /W\.length: got 1; allowed: at least K\*N = 2/);
    e(() => gemmInt([1], [1], 1, 1, 1, { bits: 40, overflow: 'WRAP' }, new Int32Array(1)), /out: got "Int32Array"; allowed: a BigInt64Array/);
    e(() => gemmInt([1], [1], 1, 1, 1, { bits: 65, overflow: 'WRAP' }, new BigInt64Array(1)), /acc\.bits: got 65/);
    e(() => gemmInt([1], [1], 1, 1, 1, { bits: 8, overflow: 'SAT_SYM' as 'SAT' }, new Int32Array(1)), /acc\.overflow/);
    e(() => gemmInt([0.5], [1], 1, 1, 1, { bits: 8, overflow: 'SAT' }, new Int32Array(1)), /A\[0\]: got 0\.5/);
    e(() => gemmInt([1], [70000], 1, 1, 1, { bits: 8, overflow: 'SAT' }, new Int32Array(1)), /W\[0\]: got 70000/);
    e(() => gemmInt([1], [1], 1, 1, 1, { bits: 8, overflow: 'SAT' }, new Int32Array(1), { bias: [0.5] }), /bias\[0\]/);
  });
});

describe(`gemmXnor equals gemmXnorRef / arith xnorDot (seed ${SEED})`, () => {
  it('random shapes and lengths, garbage padding bits ignored', () => {
    const rng = new Rng(SEED + 3);
    for (let t = 0; t < 60; t++) {
      const M = rng.int(0, 7);
      const N = rng.int(0, 9);
      const nBits = t < 3 ? t : rng.int(0, 700);
      const wpr = Math.ceil(nBits / 32);
      const Ap = new Uint32Array(M * wpr).map(() => rng.u32());
      const Wp = new Uint32Array(N * wpr).map(() => rng.u32());
      const want = gemmXnorRef(Ap, Wp, M, N, nBits, new Int32Array(M * N));
      expect(Array.from(gemmXnor(Ap, Wp, M, N, nBits, new Int32Array(M * N))), `t=${t}`).toEqual(Array.from(want));
    }
  });
  it('long rows: across the i8 counter flush (every 31 x 128 bits) up to the wasm limit', () => {
    const rng = new Rng(SEED + 7);
    for (const nBits of [31 * 128, 31 * 128 + 1, 62 * 128 + 77, XNOR_WASM_MAX_BITS]) {
      const M = 3, N = 3;
      const wpr = Math.ceil(nBits / 32);
      const Ap = new Uint32Array(M * wpr).map(() => rng.u32());
      const Wp = new Uint32Array(N * wpr).map(() => rng.u32());
      Ap.fill(0xffffffff, 0, wpr); // row 0 vs all-zero row 0 of W: every bit differs, the largest count
      Wp.fill(0, 0, wpr);
      const want = gemmXnorRef(Ap, Wp, M, N, nBits, new Int32Array(M * N));
      expect(want[0]).toBe(-nBits);
      expect(Array.from(gemmXnor(Ap, Wp, M, N, nBits, new Int32Array(M * N))), `nBits=${nBits}`).toEqual(Array.from(want));
    }
  });
  it('matches ±1 dot products from packBits, and rows past the wasm limit', () => {
    const rng = new Rng(SEED + 4);
    const n = 100;
    const a = Array.from({ length: n }, () => (rng.float() < 0.5 ? -1 : 1));
    const w = Array.from({ length: n }, () => (rng.float() < 0.5 ? -1 : 1));
    const dot = a.reduce((s, v, i) => s + v * w[i], 0);
    expect(gemmXnor(packBits(a), packBits(w), 1, 1, n, new Int32Array(1))[0]).toBe(dot);
    const big = XNOR_WASM_MAX_BITS + 33;
    const words = Math.ceil(big / 32);
    const Ap = new Uint32Array(words).map(() => rng.u32());
    const Wp = new Uint32Array(2 * words).map(() => rng.u32());
    expect(Array.from(gemmXnor(Ap, Wp, 1, 2, big, new Int32Array(2)))).toEqual(Array.from(gemmXnorRef(Ap, Wp, 1, 2, big, new Int32Array(2))));
  });
  it('rejects short inputs', () => {
    expect(() => gemmXnor(new Uint32Array(1), new Uint32Array(4), 1, 2, 64, new Int32Array(2))).toThrow(/Apacked\.length: got 1/);
  });
});
