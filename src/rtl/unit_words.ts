import type { Design } from '../hw/design.js';
import { InputError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { checkWords, decodeOutputs, encodeRows, portWords, strideWords } from './harness.js';
import { inputPorts, outputPorts, type ModelRun, type PortSpec, type UnitSpec, type UnitWords, type WordsModelRun } from './unit.js';

/**
 * Port data on harness words (the typed fast path of a UnitSpec, `UnitWords`), and the one bridge between
 * the two forms of a unit:
 *  - `unitData`: what the machinery (verify, the benchmark) runs — a unit's stimulus and model as words,
 *    from `spec.words` when present, else from the BigInt `stimulus`/`model` (encoded, values checked);
 *  - `unitFromWords`: the BigInt `stimulus`/`model` of a unit written on words (decoded), so users' code and
 *    tests that call them see the same values.
 * Helpers read and write a signed or unsigned value of `bits` bits at a word offset (two's complement
 * patterns, least significant word first), on numbers (bits <= 53) or BigInts.
 */

/** A unit's stimulus for one (design, seed, cases) and its model run over it, on words. */
export interface UnitData {
  cycles: number;
  /** `strideWords(inputs)` words per cycle */
  stimulus: Uint32Array;
  /** runs the TS model (checked: one output vector per cycle, values inside their ports) */
  model(): WordsModelRun;
}

export function unitData(spec: UnitSpec, design: Design, ports: PortSpec[], seed: number, cases: number): UnitData {
  const ins = inputPorts(ports);
  const outs = outputPorts(ports);
  const run = { seed, cases };
  const fast = spec.words;
  if (fast !== undefined) {
    const stimulus = fast.stimulus(design, seed, cases);
    const cycles = checkWords(spec.name, ins, stimulus, 'stimulus');
    return {
      cycles,
      stimulus,
      model: () => {
        const m = fast.model(design, stimulus, run);
        checkWords(spec.name, outs, m.outputs, 'model output', cycles);
        return m;
      },
    };
  }
  const rows = spec.stimulus(design, seed, cases);
  return {
    cycles: rows.length,
    stimulus: encodeRows(spec.name, ins, rows, 'stimulus'),
    model: () => {
      const m = spec.model(design, rows, run);
      if (m.outputs.length !== rows.length) {
        throw new InputError(`${spec.name}: the model produced ${m.outputs.length} output cycles for ${rows.length} stimulus cycles; it must produce one per cycle`);
      }
      return { outputs: encodeRows(spec.name, outs, m.outputs, 'model output'), trace: m.trace };
    },
  };
}

/** A UnitSpec written on words, with its BigInt `stimulus` and `model` derived (decoded) from them. */
export function unitFromWords(base: Omit<UnitSpec, 'stimulus' | 'model'> & { words: UnitWords }): UnitSpec {
  const { words } = base;
  return {
    ...base,
    stimulus(design, seed, cases) {
      const ins = inputPorts(base.ports(design));
      const w = words.stimulus(design, seed, cases);
      return decodeOutputs(ins, w, checkWords(base.name, ins, w, 'stimulus'));
    },
    model(design, stimulus, run): ModelRun {
      const ports = base.ports(design);
      const outs = outputPorts(ports);
      const m = words.model(design, encodeRows(base.name, inputPorts(ports), stimulus, 'stimulus'), run);
      const cycles = checkWords(base.name, outs, m.outputs, 'model output', stimulus.length);
      const trace = m.trace === undefined ? undefined : Object.fromEntries(Object.entries(m.trace).map(([k, v]) => [k, Array.from(v, (x) => BigInt(x))]));
      return { outputs: decodeOutputs(outs, m.outputs, cycles), ...(trace !== undefined ? { trace } : {}) };
    },
  };
}

/** The word layout of a unit's ports: each port's offset within its direction's vector, by name, and the strides. */
export function portLayout(ports: PortSpec[]): { at: Record<string, number>; inStride: number; outStride: number } {
  const ins = inputPorts(ports);
  const outs = outputPorts(ports);
  return { at: { ...wordOffsets(ins), ...wordOffsets(outs) }, inStride: strideWords(ins), outStride: strideWords(outs) };
}

/** Word offset of each port within a cycle's vector of `ports` (one direction, in order), by name. */
export function wordOffsets(ports: PortSpec[]): Record<string, number> {
  const res: Record<string, number> = {};
  let off = 0;
  for (const p of ports) {
    res[p.name] = off;
    off += portWords(p.width);
  }
  return res;
}

const TWO32 = 4294967296;
/** `MASK[b]` = 2^b - 1 for b = 0..32 (as an int32 operand of `&`, 2^32 - 1 is -1: all bits) */
const MASK: readonly number[] = Array.from({ length: 33 }, (_, b) => 2 ** b - 1);

/** Writes the `bits`-bit two's complement pattern of the safe integer `v` (bits <= 53) at `words[off]`. */
export function putInt(words: Uint32Array, off: number, v: number, bits: number): void {
  if (bits <= 32) {
    words[off] = v & MASK[bits]; // ToInt32 is v mod 2^32; the store takes it mod 2^32 again
  } else {
    words[off] = v; // a Uint32Array store is ToUint32: v mod 2^32 for any integer
    words[off + 1] = Math.floor(v / TWO32) & MASK[bits - 32];
  }
}

/** Reads the `bits`-bit value at `words[off]` (bits <= 53) as a number, two's complement when `signed`. */
export function getInt(words: Uint32Array, off: number, bits: number, signed: boolean): number {
  if (bits <= 32) {
    const w = words[off];
    return signed ? (w << (32 - bits)) >> (32 - bits) : w;
  }
  const hb = bits - 32;
  const hi = words[off + 1];
  return (signed ? (hi << (32 - hb)) >> (32 - hb) : hi) * TWO32 + words[off];
}

/** Writes the `bits`-bit two's complement pattern of `v` at `words[off]` (any width). */
export function putBig(words: Uint32Array, off: number, v: bigint, bits: number): void {
  let u = BigInt.asUintN(bits, v);
  const n = portWords(bits);
  for (let k = 0; k < n; k++) {
    words[off + k] = Number(u & 0xffffffffn);
    u >>= 32n;
  }
}

/** Reads the `bits`-bit value at `words[off]` as a BigInt, two's complement when `signed` (any width). */
export function getBig(words: Uint32Array, off: number, bits: number, signed: boolean): bigint {
  let u = 0n;
  for (let k = portWords(bits) - 1; k >= 0; k--) u = (u << 32n) | BigInt(words[off + k]);
  return signed ? BigInt.asIntN(bits, u) : u;
}

/**
 * ORs the unsigned `bits`-bit value `v` (bits <= 32, v < 2^bits) into the zeroed field at bit `pos` of the
 * port at `words[off]` (fields packed least significant first, as `{..., f1, f0}`; a field may cross a word).
 */
export function orBits(words: Uint32Array, off: number, pos: number, v: number, bits: number): void {
  const w = off + (pos >>> 5);
  const sh = pos & 31;
  words[w] |= v << sh;
  if (sh + bits > 32) words[w + 1] |= v >>> (32 - sh);
}

/** Reads the unsigned `bits`-bit field (bits <= 32) at bit `pos` of the port at `words[off]`. */
export function getBits(words: Uint32Array, off: number, pos: number, bits: number): number {
  const w = off + (pos >>> 5);
  const sh = pos & 31;
  const v = sh + bits > 32 ? (words[w] >>> sh) | (words[w + 1] << (32 - sh)) : words[w] >>> sh;
  return bits === 32 ? v >>> 0 : v & MASK[bits];
}

/**
 * ORs the `bits`-bit two's complement pattern of the safe integer `v` (bits <= 53) into the zeroed field at
 * bit `pos` of the port at `words[off]` (a packed lane wider than 32 bits, e.g. one column's slot in `ps_i`):
 * the low 32 bits, then floor(v / 2^32) mod 2^(bits - 32).
 */
export function putField(words: Uint32Array, off: number, pos: number, v: number, bits: number): void {
  if (bits <= 32) {
    orBits(words, off, pos, (v & MASK[bits]) >>> 0, bits);
  } else {
    orBits(words, off, pos, v >>> 0, 32); // ToUint32: v mod 2^32 for any integer
    orBits(words, off, pos + 32, Math.floor(v / TWO32) & MASK[bits - 32], bits - 32);
  }
}

/** Reads the `bits`-bit field (bits <= 53) at bit `pos` of the port at `words[off]`, two's complement when `signed`. */
export function getField(words: Uint32Array, off: number, pos: number, bits: number, signed: boolean): number {
  if (bits <= 32) {
    const v = getBits(words, off, pos, bits);
    return signed ? (v << (32 - bits)) >> (32 - bits) : v;
  }
  const hb = bits - 32;
  const hi = getBits(words, off, pos + 32, hb);
  return (signed ? (hi << (32 - hb)) >> (32 - hb) : hi) * TWO32 + getBits(words, off, pos, 32);
}

/**
 * ORs `n` lanes of `bits` bits (<= 53) into the zeroed port at `words[off]`: lane i is the two's complement
 * pattern of `values[i]` at bit i * bits (as `putField` per lane; lanes of <= 32 bits are packed a word at a
 * time). A vector port of an array, e.g. mac_array's `h_i` (R lanes) or `y_o` (C accumulators).
 */
export function putLanes(words: Uint32Array, off: number, values: ArrayLike<number>, n: number, bits: number): void {
  if (bits > 32) {
    for (let i = 0; i < n; i++) putField(words, off, i * bits, values[i], bits);
    return;
  }
  const m = MASK[bits];
  let w = off;
  let acc = 0; // the word being filled, `fill` bits of it so far
  let fill = 0;
  for (let i = 0; i < n; i++) {
    const v = (values[i] & m) >>> 0;
    acc |= v << fill;
    fill += bits;
    if (fill >= 32) {
      words[w++] |= acc;
      fill -= 32;
      acc = fill === 0 ? 0 : v >>> (bits - fill); // the lane's bits that did not fit
    }
  }
  if (fill > 0) words[w] |= acc;
}

/** Reads `n` lanes of `bits` bits (<= 53) of the port at `words[off]` into `out` (as `getField` per lane). */
export function getLanes(words: Uint32Array, off: number, n: number, bits: number, signed: boolean, out: { [i: number]: number }): void {
  for (let i = 0; i < n; i++) out[i] = getField(words, off, i * bits, bits, signed);
}

/** `putField` for any width: ORs the `bits`-bit two's complement pattern of `v` into the zeroed field at bit `pos`. */
export function putFieldBig(words: Uint32Array, off: number, pos: number, v: bigint, bits: number): void {
  let u = BigInt.asUintN(bits, v);
  for (let b = 0; b < bits; b += 32, u >>= 32n) {
    const n = Math.min(32, bits - b);
    orBits(words, off, pos + b, Number(u & 0xffffffffn), n);
  }
}

/** `getField` for any width, as a BigInt. */
export function getFieldBig(words: Uint32Array, off: number, pos: number, bits: number, signed: boolean): bigint {
  let u = 0n;
  for (let b = bits - (((bits - 1) & 31) + 1); b >= 0; b -= 32) u = (u << 32n) | BigInt(getBits(words, off, pos + b, Math.min(32, bits - b)));
  return signed ? BigInt.asIntN(bits, u) : u;
}

/** Writes `rng.bigBits(bits)` (the same draws, the same value) at `words[off]`, without a BigInt. */
export function putRandomBits(rng: Rng, words: Uint32Array, off: number, bits: number): void {
  if (bits <= 32) {
    words[off] = rng.u32() >>> (32 - bits);
  } else if (bits <= 64) {
    // bigBits: v = (first u32) * 2^r + (second u32 >>> (32 - r)), r = bits - 32
    const r = bits - 32;
    const a = rng.u32();
    const b = rng.u32() >>> (32 - r);
    words[off] = r === 32 ? b : ((a << r) | b) >>> 0;
    words[off + 1] = r === 32 ? a : a >>> (32 - r);
  } else {
    // bigBits: q = floor(bits / 32) whole draws, most significant first, then the top r = bits mod 32 bits of
    // one more draw as the lowest r bits: draw i (1..q) sits at bit r + 32 (q - i)
    const q = bits >>> 5;
    const r = bits & 31;
    words.fill(0, off, off + portWords(bits));
    for (let i = 1; i <= q; i++) orBits(words, off, r + 32 * (q - i), rng.u32(), 32);
    if (r > 0) words[off] |= rng.u32() >>> (32 - r);
  }
}

/**
 * Builds a stimulus of unknown length on words: `next()` starts a new cycle (all its words 0) and returns its
 * word offset into `words` (read `words` after `next()`: the buffer grows by doubling, so size `expected`
 * generously); `finish()` returns exactly the cycles written.
 */
export class WordsWriter {
  words: Uint32Array;
  private cycles = 0;

  constructor(
    readonly stride: number,
    expected = 1024,
  ) {
    this.words = new Uint32Array(Math.max(1, expected) * stride);
  }

  next(): number {
    const off = this.cycles * this.stride;
    if (off + this.stride > this.words.length) {
      const grown = new Uint32Array(this.words.length * 2);
      grown.set(this.words);
      this.words = grown;
    }
    this.cycles++;
    return off;
  }

  finish(): Uint32Array {
    return this.words.subarray(0, this.cycles * this.stride); // a view: no copy of a large block
  }
}
