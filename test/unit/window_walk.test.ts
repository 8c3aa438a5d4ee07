import { describe, it, expect } from 'vitest';
import { patchIndex, windowStrides } from '../../src/hw/conv_window.js';
import type { ConvWindow } from '../../src/hw/accel_program.js';
import { s34, WindowWalkModel, type WindowWalkInputs } from '../../src/hw/window_walk.js';
import { Rng, testSeed } from '../../src/util/rng.js';

/**
 * The port-level model of hdl/conv_window.sv (WindowWalkModel, checked against the RTL by
 * test/rtl/conv_window.rtl.test.ts) walks the taps `patchIndex` names: driven as accel_top drives it (init,
 * one step per patch element of each array row's pixel, a tile move after the patch), every row's tap
 * address is patchIndex's element, and a padded tap (patchIndex -1) feeds the pad value.
 */
describe('window walk model = patchIndex on the MAC rows', () => {
  const seed = testSeed(20261203);
  it(`random windows, 1..4 rows (seed ${seed})`, () => {
    const rng = new Rng(seed);
    const u = (x: number): number => x >>> 0;
    for (let t = 0; t < 60; t++) {
      const [kh, kw, sh, sw] = [rng.int(1, 4), rng.int(1, 4), rng.int(1, 2), rng.int(1, 2)];
      const [H, W, C] = [rng.int(kh, 7), rng.int(kw, 7), rng.int(1, 3)];
      const same = rng.float() < 0.5;
      const pt = same ? Math.floor((kh - 1) / 2) : 0;
      const pl = same ? Math.floor((kw - 1) / 2) : 0;
      const Ho = same ? Math.ceil(H / sh) : Math.floor((H - kh) / sh) + 1;
      const Wo = same ? Math.ceil(W / sw) : Math.floor((W - kw) / sw) + 1;
      const win: ConvWindow = { H, W, C, kh, kw, sh, sw, pt, pl, Ho, Wo, pad: 0 };
      const R = 4;
      const rows = rng.int(1, R);
      const s = windowStrides(win);
      const m = new WindowWalkModel({ rows: R, lanes: 32, hBits: 8, poolMax: 3 });
      const x: WindowWalkInputs = {
        init: true, tile: false, step: false, last: false, seg: false, mapH: u(H), mapC: u(C), sh: u(sh), pt: u(pt),
        outW: u(Wo), rows: u(rows), rowLen: u(kw * C), inRow: u(s.inRow), stepX: u(s.stepX), stepY: u(s.stepY),
        origin: u(s.origin), originX: u(s.originX), pad: 255, taps: [1, 2, 3, 4], chan: 0,
      };
      m.step(x);
      const K = kh * kw * C;
      for (let p0 = 0; p0 < Ho * Wo; p0 += rows) {
        for (let k = 0; k < K; k++) {
          const c = { ...x, init: false, step: true, last: k === K - 1, tile: k === K - 1 };
          const o = m.outputs(c);
          for (let r = 0; r < rows && p0 + r < Ho * Wo; r++) {
            const e = patchIndex(win, p0 + r, k);
            if (e < 0) expect(o.h[r]).toBe(255);
            else {
              expect(o.h[r]).toBe(r + 1);
              expect(o.tapIdx[r]).toBe(e);
            }
          }
          expect(o.pix).toBe(p0);
          m.step(c);
        }
      }
    }
  });
});

/**
 * The model computes on doubles: the 34-bit signed window coordinates wrap with s34, which must be
 * BigInt.asIntN(34, v) for every integer the walk can form (a 34-bit coordinate plus a u32: |v| < 2^35),
 * and never give -0 (vitest's toBe and Object.is tell -0 from 0).
 */
describe('s34 = BigInt.asIntN(34, v)', () => {
  const seed = testSeed(3403);
  it(`edges and random values below 2^36 (seed ${seed})`, () => {
    const edges = [0, -0, 1, -1, 2 ** 32 - 1, 2 ** 32, 2 ** 33 - 1, 2 ** 33, 2 ** 33 + 1, -(2 ** 33), -(2 ** 33) - 1, 2 ** 34 - 1, 2 ** 34, -(2 ** 34), 2 ** 35 + 7, -(2 ** 35) - 7, 2 ** 52, -(2 ** 52) - 1];
    const rng = new Rng(seed);
    const random = Array.from({ length: 2000 }, () => (rng.float() < 0.5 ? -1 : 1) * Math.floor(rng.float() * 2 ** 36));
    for (const v of [...edges, ...random]) {
      const got = s34(v);
      expect(Object.is(got, -0)).toBe(false);
      expect(BigInt(got)).toBe(BigInt.asIntN(34, BigInt(v)));
    }
  });
});
