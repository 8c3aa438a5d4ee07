import { describe, it, expect } from 'vitest';
import { shiftBatch } from '../../src/data/augment.js';
import { Rng } from '../../src/util/rng.js';

const shape = { channels: 2, rows: 5, cols: 4 };
const SZ = 2 * 5 * 4;

/** The definition: out[ch][r][c] = x[ch][r - dr][c - dc] inside the image, else 0. */
function shifted(x: Float32Array, dr: number, dc: number): Float32Array {
  const out = new Float32Array(SZ);
  for (let ch = 0; ch < 2; ch++)
    for (let r = 0; r < 5; r++)
      for (let c = 0; c < 4; c++) {
        const sr = r - dr;
        const sc = c - dc;
        if (sr >= 0 && sr < 5 && sc >= 0 && sc < 4) out[ch * 20 + r * 4 + c] = x[ch * 20 + sr * 4 + sc]!;
      }
  return out;
}

describe('shiftBatch (random translation)', () => {
  const n = 200;
  const x = new Float32Array(n * SZ);
  for (let i = 0; i < x.length; i++) x[i] = 1 + (i % 251); // distinct nonzero values within an image
  it('moves every image by one (dr, dc) in [-s, s]^2, zero-filled, and uses every shift', () => {
    const out = shiftBatch(x, n, shape, 2, new Rng(7), new Float32Array(n * SZ));
    const seen = new Set<string>();
    for (let b = 0; b < n; b++) {
      const img = x.subarray(b * SZ, (b + 1) * SZ);
      const got = Array.from(out.subarray(b * SZ, (b + 1) * SZ));
      const matches: string[] = [];
      for (let dr = -2; dr <= 2; dr++) for (let dc = -2; dc <= 2; dc++) if (Array.from(shifted(img, dr, dc)).every((v, i) => v === got[i])) matches.push(`${dr},${dc}`);
      expect(matches, `image ${b}`).toHaveLength(1);
      seen.add(matches[0]!);
    }
    expect(seen.size).toBe(25);
  });
  it('is reproducible per seed, the identity at s = 0, and rejects a shift as large as the image', () => {
    const a = shiftBatch(x, n, shape, 1, new Rng(3), new Float32Array(n * SZ)).slice();
    const b = shiftBatch(x, n, shape, 1, new Rng(3), new Float32Array(n * SZ));
    expect(b).toEqual(a);
    expect(shiftBatch(x, n, shape, 0, new Rng(3), new Float32Array(n * SZ))).toEqual(x);
    expect(() => shiftBatch(x, n, shape, 4, new Rng(3), new Float32Array(n * SZ))).toThrow(/shift/);
    expect(() => shiftBatch(x, n, shape, 1, new Rng(3), new Float32Array(SZ))).toThrow(/buffers/);
  });
});
