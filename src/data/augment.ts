/**
 * Data augmentation by random translation: every image of a batch moves by (dr, dc) pixels, each a
 * uniform integer in [-s, s] drawn per image, and the vacated pixels become 0 (the background):
 *
 *   out[b][ch][r][c] = x[b][ch][r - dr][c - dc]   when 0 <= r - dr < h and 0 <= c - dc < w, else 0.
 *
 * Pixels are copied, never interpolated, so a shifted image holds the same 8-bit levels as the original
 * (the integer input of the exact-mode first layer stays on its grid). Draws come from the caller's Rng:
 * the same seed gives the same shifts.
 */
import { badValue, checkInt } from '../util/errors.js';
import type { Rng } from '../util/rng.js';

export interface ImageShape {
  channels: number;
  rows: number;
  cols: number;
}

/** Writes the shifted batch `x` (n images of `shape`) into `out` (at least as long) and returns it. */
export function shiftBatch(x: Float32Array, n: number, shape: ImageShape, s: number, rng: Rng, out: Float32Array): Float32Array {
  checkInt('shift', s, 0, Math.min(shape.rows, shape.cols) - 1);
  const { channels: ch, rows: h, cols: w } = shape;
  const sz = ch * h * w;
  if (out.length < n * sz || x.length < n * sz) throw badValue('shift buffers', out.length, `at least ${n * sz} floats`);
  for (let b = 0; b < n; b++) {
    const dr = rng.int(-s, s);
    const dc = rng.int(-s, s);
    // destination rows/columns that have a source pixel
    const r0 = Math.max(0, dr);
    const r1 = Math.min(h, h + dr);
    const c0 = Math.max(0, dc);
    const c1 = Math.min(w, w + dc);
    const base = b * sz;
    out.fill(0, base, base + sz);
    for (let c = 0; c < ch; c++) {
      const plane = base + c * h * w;
      for (let r = r0; r < r1; r++) {
        const src = plane + (r - dr) * w - dc;
        const dst = plane + r * w;
        for (let k = c0; k < c1; k++) out[dst + k] = x[src + k]!;
      }
    }
  }
  return out;
}
