import type { AccelLayer } from '../hw/accel_program.js';
import { POOL_MAX } from '../hw/conv_window.js';

/**
 * Adds of the sliding-window generator's address walk (`hdl/conv_window.sv`) in one run of a layer; the
 * energy estimate (network.ts) charges each add, subtract or magnitude compare (32/34-bit) one E_add(32).
 * Counted from the RTL, the adds whose result a beat, word or element uses, once each:
 *   the walk, per output pixel: 3 (ox + 1, then ix*C + sw*C and base + sw*C, or past the last column
 *     iy + sh and base + step_y);
 *   mac, per beat: the counter step and the kernel-row-end test kj*C + C (2), the patch offset
 *     ki*W*C + kj*C + kc (2), and per array row in use (`rows`) the tap address base + offset, iy + ki,
 *     ix*C + kj*C and the range compares iy + ki >= H, ix*C + kj*C >= W*C (5): 4 + 5*rows;
 *   xnor/serial, per word: the segment step kc + L and its test against kw*C (2); iy + ki and its test
 *     against H (2); the cut jlo = -ix*C, jhi = W*C - ix*C, min(jhi, kw*C), lo = max(kc, jlo),
 *     hi = min(kc + L, jhi), hi > lo (6); the read position base + ki*W*C + lo (2), the weight shift
 *     lo - kc and the valid bits hi - lo (2): 14;
 *   pool, per output element: base + channel, PoolMax - 1 row and PoolMax (PoolMax - 1) column offsets:
 *     PoolMax^2.
 * Cycles that issue nothing (the array's gap, the drain) use no new address.
 */
export const WINDOW_ADDS = { pixel: 3, macBeat: 4, macTap: 5, word: 14, poolElement: POOL_MAX * POOL_MAX } as const;

/** The walk's adds of a layer per run; `issues`: its issued beats (mac) or words (xnor/serial), layerIssues. */
export function windowAdds(l: AccelLayer, issues: number): number {
  const pixels = l.win.Ho * l.win.Wo;
  const walk = pixels * WINDOW_ADDS.pixel;
  if (l.engine === 'pool') return walk + pixels * l.N * WINDOW_ADDS.poolElement;
  if (l.engine === 'mac') return walk + issues * (WINDOW_ADDS.macBeat + WINDOW_ADDS.macTap * l.rows);
  return walk + issues * WINDOW_ADDS.word;
}
