import { formatRange, intFormat, type IntFormat } from '../../arith/index.js';
import type { NumFormat } from '../../arith/format.js';
import type { Design } from '../../hw/design.js';
import { bitSerialWords, packBitPlanes } from '../../hw/bit_serial.js';
import { checkXnorPopcountParams } from '../../hw/xnor_popcount.js';
import { InputError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { lastOperand, popcountGroups, type BindModel, type Txn } from './models.js';

/**
 * bit_serial: multi-bit dot products computed one bit-plane pair per word, as lowbit's XNOR-popcount unit
 * does on its AND path (src/hw/bit_serial.ts). A beat carries `a`, `w` (one bit per lane: bit m of lane i
 * of x and bit k of the same lane of y), `shift` = m + k (5 bits), `neg` (plane m or k is the sign plane
 * of a signed operand, not both) and `last`; its contribution is `(neg ? -1 : 1) * 2^shift *
 * popcount(AND(a, w))`, and `dot = wrap(sum of the contributions over the beats up to last, AccBits
 * signed)` (Design.accumulator.bits, 2..32): for B_x x B_y-bit elements, sum_i x_i y_i.
 * The stimulus is lowbit's own schedule (bitSerialWords: pair-major, word-minor) of seeded x, y vectors in
 * Design.activation / Design.weight (integer formats, 1..16 bits), n elements per dot product (1..3 words).
 */
function integerFormat(f: NumFormat, what: string, d: Design): IntFormat {
  if (f.type === 'binary') throw new InputError(`model bit_serial on design ${d.name}: ${what} is bipolar (±1); bit-serial dot products need integer formats (use model xnor_popcount for ±1)`);
  return f;
}

export const bitSerialModel: BindModel = {
  name: 'bit_serial',
  operands: [
    { name: 'a', dir: 'in', optional: false, format: () => intFormat(1, false), lanes: 'any', describe: 'one bit plane of x (lane i: bit m of x_i)' },
    { name: 'w', dir: 'in', optional: false, format: () => intFormat(1, false), lanes: { sameAs: 'a' }, describe: 'one bit plane of y (lane i: bit k of y_i)' },
    { name: 'shift', dir: 'in', optional: false, format: () => intFormat(5, false), lanes: { fixed: 1 }, describe: 'the plane pair weight m + k (5 bits)' },
    { name: 'neg', dir: 'in', optional: false, format: () => intFormat(1, false), lanes: { fixed: 1 }, describe: '1 when the pair weighs -2^(m+k) (one sign plane)' },
    { ...lastOperand, optional: false, describe: '1 on the final word of a dot product' },
    { name: 'dot', dir: 'out', optional: false, format: (d) => intFormat(d.accumulator.bits, true), lanes: { fixed: 1 }, describe: 'the dot product (Design.accumulator.bits, wrapping)' },
  ],
  checkDesign(d) {
    checkXnorPopcountParams({ lanes: d.xnor.bitsPerCycle, accBits: d.accumulator.bits, thresholds: d.xnor.thresholds, channels: 1 });
    integerFormat(d.activation, 'activation', d);
    integerFormat(d.weight, 'weight', d);
  },
  stimulus(d, lanes, _bound, seed, groups) {
    const rng = new Rng(seed);
    const fx = integerFormat(d.activation, 'activation', d);
    const fy = integerFormat(d.weight, 'weight', d);
    const lanesN = lanes.a;
    const range = (f: IntFormat): [number, number] => {
      const r = formatRange(f);
      return [r.min, r.max];
    };
    const [xlo, xhi] = range(fx);
    const [ylo, yhi] = range(fy);
    const out: Txn[] = [];
    const bits = (words: Uint32Array): bigint[] => Array.from({ length: lanesN }, (_, i) => BigInt((words[i >>> 5] >>> (i & 31)) & 1));
    const dot = (x: number[], y: number[]): void => {
      for (const wd of bitSerialWords(packBitPlanes(x, fx), fx, packBitPlanes(y, fy), fy, x.length, lanesN)) {
        out.push({ a: bits(wd.a), w: bits(wd.w), shift: [BigInt(wd.shift)], neg: [wd.neg ? 1n : 0n], last: [wd.last ? 1n : 0n] });
      }
    };
    // directed: full vectors at the corners (min * min is the largest product of signed formats)
    for (const [x, y] of [[xlo, ylo], [xhi, yhi], [xlo, yhi], [xhi, ylo]]) dot(Array(lanesN).fill(x), Array(lanesN).fill(y));
    for (let g = 0; g < groups; g++) {
      const n = rng.int(1, 3 * lanesN);
      dot(Array.from({ length: n }, () => rng.int(xlo, xhi)), Array.from({ length: n }, () => rng.int(ylo, yhi)));
    }
    return out;
  },
  run(d, inputs) {
    return popcountGroups(d, inputs, true, true);
  },
};
