import { describe, it, expect } from 'vitest';
import { packedBytes, packSubByte, unpackSubByte, type PackBits } from '../../src/arith/index.js';
import { Rng, testSeed } from '../../src/util/rng.js';
import { rawBytes } from './helpers/onnx_builder.js';

const SEED = testSeed(0x9ac4);
console.log(`arith_pack.test.ts seed=${SEED} (reproduce: LOWBIT_SEED=${SEED} npx vitest run test/unit/arith_pack.test.ts)`);

describe('sub-byte packing (ONNX int4/int2 layout: first element in the low bits)', () => {
  it('vectors', () => {
    expect(Array.from(packSubByte([1, -2, 7], 4, true))).toEqual([0xe1, 0x07]);
    expect(Array.from(packSubByte([3, 0, 1, 2, 1], 2, false))).toEqual([0b10010011, 0b01]);
    expect(Array.from(packSubByte([1, 0, 1, 1, 0, 0, 0, 1, 1], 1, false))).toEqual([0b10001101, 1]);
    expect(Array.from(unpackSubByte(Uint8Array.of(0xe1, 0x07), 3, 4, true, new Int8Array(3)))).toEqual([1, -2, 7]);
    expect(Array.from(unpackSubByte(Uint8Array.of(0xe1, 0x07), 3, 4, false, new Uint8Array(3)))).toEqual([1, 14, 7]);
    expect(packedBytes(3, 4)).toBe(2);
    expect(packedBytes(9, 1)).toBe(2);
  });

  it('round trip at every width and signedness; int4/uint4 equal the ONNX test builder (accepted by ORT)', () => {
    const rng = new Rng(SEED);
    for (const bits of [1, 2, 4, 8] as PackBits[]) {
      for (const signed of [true, false]) {
        const lo = signed ? -(1 << (bits - 1)) : 0;
        const hi = signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
        for (const n of [0, 1, 2, 3, 7, 8, 9, 33]) {
          const v = Array.from({ length: n }, () => rng.int(lo, hi));
          const p = packSubByte(v, bits, signed);
          expect(p.length).toBe(packedBytes(n, bits));
          expect(Array.from(unpackSubByte(p, n, bits, signed, new Int32Array(n)))).toEqual(v);
          if (bits === 4) expect(Array.from(p)).toEqual(Array.from(rawBytes(signed ? 'int4' : 'uint4', v)));
        }
      }
    }
  });

  it('bad input', () => {
    expect(() => packSubByte([8], 4, true)).toThrow(/^values\[0\]: got 8; allowed: an integer -8..7/);
    expect(() => packSubByte([1], 3 as PackBits, true)).toThrow(/^bits: got 3; allowed: 1, 2, 4 or 8/);
    expect(() => unpackSubByte(new Uint8Array(1), 3, 4, true, new Int8Array(3))).toThrow(/^n: got 3; allowed: an integer 0..2/);
  });
});
