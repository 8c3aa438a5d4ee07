import { describe, it, expect } from 'vitest';
import { Rng, testSeed } from '../../src/util/rng.js';
import { packBits } from '../../src/arith/index.js';
import { memoryImage, packRows, parseReadmemh, toReadmemh, unpackRows, int32Image } from '../../src/model/index.js';
import { BINARY, int, randomDense, randomInts, randomQuant } from './fixtures/model/random_models.js';

const seed = testSeed(5202);

describe('memory images', () => {
  it('packs eight int4 weights per 32-bit word, element 0 in the least significant bits', () => {
    const v = Int32Array.from([1, 2, 3, 4, 5, 6, 7, -8, -1]);
    const img = packRows(v, 1, 9, int(4, true), 32);
    expect(img.perWord).toBe(8);
    expect(img.wordsPerRow).toBe(2);
    expect(toReadmemh(img)).toBe('87654321\n0000000f\n');
  });

  it('starts every row at a fresh word; unused high bits are 0', () => {
    // 3-bit unsigned, 10 per 32-bit word, rows of 11 -> 2 words per row
    const v = Int32Array.from({ length: 22 }, (_, i) => i % 8);
    const img = packRows(v, 2, 11, int(3, false), 32);
    expect(img.wordsPerRow).toBe(2);
    expect(img.words.length).toBe(4);
    expect(img.words[1]).toBe(2n); // row 0 element 10 = 2
    expect(img.words[2]! & 7n).toBe(BigInt(11 % 8)); // row 1 element 0 = value index 11
    for (const w of img.words) expect(w >> 30n).toBe(0n);
  });

  it('binary rows equal arith packBits (bit 1 = +1, LSB first)', () => {
    const rng = new Rng(seed);
    const v = randomInts(rng, 3 * 70, BINARY);
    const img = packRows(v, 3, 70, BINARY, 32);
    for (let r = 0; r < 3; r++) {
      const p = packBits(v.subarray(r * 70, (r + 1) * 70));
      expect(img.words.slice(r * 3, r * 3 + 3)).toEqual(Array.from(p, (w) => BigInt(w)));
    }
  });

  it(`round-trips through $readmemh for widths 1..16 and words of 8..256 bits (seed ${seed})`, () => {
    const rng = new Rng(seed);
    for (const bits of [1, 2, 3, 4, 5, 7, 8, 9, 12, 16]) {
      for (const signed of [true, false]) {
        for (const wordBits of [8, 16, 32, 64, 72, 256]) {
          if (bits > wordBits) continue;
          const f = bits === 1 && signed ? BINARY : int(bits, signed);
          const rows = rng.int(1, 4);
          const len = rng.int(1, 40);
          const v = randomInts(rng, rows * len, f);
          const img = packRows(v, rows, len, f, wordBits);
          const words = parseReadmemh(toReadmemh(img), wordBits);
          expect(words).toEqual(img.words);
          expect(unpackRows({ ...img, words }, f)).toEqual(v);
        }
      }
    }
  });

  it('memoryImage of a layer packs its rows; bias images hold one int32 per word', () => {
    const rng = new Rng(seed + 1);
    const l = randomDense(rng, 'fc', randomQuant(rng, int(8, false)), 20, 3, int(2, true), 'shift', int(8, false));
    const img = memoryImage(l, 16);
    expect(img.rows).toBe(3);
    expect(img.wordsPerRow).toBe(3); // 20 / 8 per 16-bit word
    expect(unpackRows(img, l.weight.format)).toEqual(l.weight.data);
    expect(toReadmemh(int32Image(Int32Array.from([-1, 5])))).toBe('ffffffff\n00000005\n');
  });

  it('parseReadmemh rejects words wider than the memory and non-hex text', () => {
    expect(() => parseReadmemh('1ff\n', 8, 'w.hex')).toThrow(/w\.hex: line 1: word 1ff is wider than 8 bits/);
    expect(() => parseReadmemh('// c\n12\nzz\n', 8, 'w.hex')).toThrow(/w\.hex: line 3: got "zz"; allowed: hex digits/);
  });
});
