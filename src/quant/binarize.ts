/**
 * Binary and ternary weight quantizers (per output channel = row, or per tensor).
 *
 * - Binary (XNOR-Net, Rastegari et al. 2016): `q = sign(w)` with `w >= 0 -> +1` (arith/binary.ts's rule),
 *   scale `alpha = mean |w|` over the row (or tensor) — the alpha minimising `||w - alpha * q||^2`.
 * - Ternary (TWN, Li & Liu 2016): threshold `delta = ratio * mean |w|` (ratio 0.7 by default, the
 *   Gaussian/uniform approximation of the optimum), `q = sign(w)` where `|w| > delta` else 0, fitted scale
 *   `alpha = mean{|w| : |w| > delta}` (1 when no weight passes).
 * Results are integer codes in an Int32Array (row-major like `w`) and one scale per row or per tensor.
 */
import { badValue, checkFiniteArray } from '../util/errors.js';

export interface SignQuantized {
  q: Int32Array;
  /** one per row, or one for the tensor */
  scale: Float64Array;
}

function rowsOf(w: Float32Array, rows: number): number {
  if (!Number.isInteger(rows) || rows < 1 || w.length % rows !== 0) {
    throw badValue('rows', rows, `a divisor of the weight count ${w.length}`);
  }
  return w.length / rows;
}

/** XNOR-Net binarization: ±1 codes and alpha = mean|w| per row (or per tensor). */
export function binarizeWeights(w: Float32Array, rows: number, perChannel: boolean): SignQuantized {
  const cols = rowsOf(w, rows);
  checkFiniteArray('w', w);
  const q = new Int32Array(w.length);
  for (let i = 0; i < w.length; i++) q[i] = w[i] >= 0 ? 1 : -1;
  const scale = new Float64Array(perChannel ? rows : 1);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += Math.abs(w[r * cols + c]);
    if (perChannel) scale[r] = s / cols;
    else scale[0] += s;
  }
  if (!perChannel) scale[0] /= w.length;
  for (let k = 0; k < scale.length; k++) if (!(scale[k] > 0)) scale[k] = 1;
  return { q, scale };
}

/** TWN ternarization with threshold `ratio * mean|w|` and fitted scale, per row (or per tensor). */
export function ternarizeWeights(w: Float32Array, rows: number, perChannel: boolean, ratio = 0.7): SignQuantized {
  const cols = rowsOf(w, rows);
  checkFiniteArray('w', w);
  if (!(ratio >= 0 && ratio < 10)) throw badValue('ratio', ratio, 'a number in [0, 10)');
  const q = new Int32Array(w.length);
  const groups = perChannel ? rows : 1;
  const len = perChannel ? cols : w.length;
  const scale = new Float64Array(groups);
  for (let g = 0; g < groups; g++) {
    const base = g * len;
    let sumAbs = 0;
    for (let i = 0; i < len; i++) sumAbs += Math.abs(w[base + i]);
    const delta = (ratio * sumAbs) / len;
    let kept = 0;
    let keptAbs = 0;
    for (let i = 0; i < len; i++) {
      const v = w[base + i];
      if (Math.abs(v) > delta) {
        q[base + i] = v > 0 ? 1 : -1;
        kept++;
        keptAbs += Math.abs(v);
      } else q[base + i] = 0;
    }
    scale[g] = kept > 0 ? keptAbs / kept : 1;
  }
  return { q, scale };
}
