import { describe, it, expect } from 'vitest';
import { patchIndex, windowStrides } from '../../src/hw/conv_window.js';
import type { ConvWindow } from '../../src/hw/accel_program.js';
import { Rng, testSeed } from '../../src/util/rng.js';

/**
 * The add-only address walk of hdl/conv_window.sv, stepped pixel by pixel with the descriptor strides
 * (`windowStrides`), names the same input element as `patchIndex` (the multiply form) at every tap of
 * every output pixel, and the same padded taps: the corner (iy, xc = ix*C, base) moves by stepX along a
 * row and by (sh, originX, stepY) past its last column; tap (i, j, c) is base + i*W*C + j*C + c, padded
 * when iy + i is outside [0, H) or xc + j*C outside [0, W*C).
 */
describe('window strides: the add-only walk = patchIndex', () => {
  const seed = testSeed(20261202);
  it(`random windows, valid and same padding, strides 1 and 2 (seed ${seed})`, () => {
    const rng = new Rng(seed);
    for (let t = 0; t < 200; t++) {
      const kh = rng.int(1, 5);
      const kw = rng.int(1, 5);
      const sh = rng.int(1, 2);
      const sw = rng.int(1, 2);
      const H = rng.int(kh, 9);
      const W = rng.int(kw, 9);
      const C = rng.int(1, 4);
      const same = rng.int(0, 1) === 1;
      const pt = same ? Math.floor((kh - 1) / 2) : 0;
      const pl = same ? Math.floor((kw - 1) / 2) : 0;
      const Ho = same ? Math.ceil(H / sh) : Math.floor((H - kh) / sh) + 1;
      const Wo = same ? Math.ceil(W / sw) : Math.floor((W - kw) / sw) + 1;
      const win: ConvWindow = { H, W, C, kh, kw, sh, sw, pt, pl, Ho, Wo, pad: 0 };
      const s = windowStrides(win);
      let [ox, iy, xc, base] = [0, -pt, s.originX, s.origin];
      for (let m = 0; m < Ho * Wo; m++) {
        for (let i = 0; i < kh; i++) {
          for (let j = 0; j < kw; j++) {
            for (let c = 0; c < C; c++) {
              const padded = iy + i < 0 || iy + i >= H || xc + j * C < 0 || xc + j * C >= W * C;
              const want = patchIndex(win, m, (i * kw + j) * C + c);
              expect(padded ? -1 : base + i * s.inRow + j * C + c).toBe(want);
            }
          }
        }
        if (ox + 1 === Wo) [ox, iy, xc, base] = [0, iy + sh, s.originX, base + s.stepY];
        else [ox, xc, base] = [ox + 1, xc + s.stepX, base + s.stepX];
      }
    }
  });
});
