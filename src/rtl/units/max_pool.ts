/**
 * UnitSpec adapter for hdl/max_pool.sv <-> the accelerator model's pooling rule, `poolWindowMax` in
 * src/hw/conv_window.ts (docs/verify.md, "Adding a unit"; typed words path).
 *
 * max_pool is combinational. Clocking: the top is the shell sim/max_pool_reg.sv, which registers y_o once
 * (as accel_top's stage-D register takes the pool's value), so with the harness's sample point (before
 * the rising edge) y_o in cycle 0 is the reset value 0 and in cycle t + 1 the max of cycle t's inputs.
 *
 * Parameters come mechanically from the Design (`maxPoolVerilogParams`: HBits = the activation lane
 * width, Signed = the activations' signedness, PoolMax = POOL_MAX). A tap k = i*PoolMax + j is an HBits
 * slot of x_i; its value is the slot as a signed or unsigned integer, or with bipolar_i its bit 0 as ±1
 * (1 = +1; the other bits are junk, as in accel_top, where they are the next elements). The model:
 * y = poolWindowMax(min(kh, PoolMax), min(kw, PoolMax), tap) in 32-bit two's complement.
 * Stimulus (seeded):
 *  1. directed, with bipolar_i 0 and 1, every window kh x kw in 1..PoolMax: all taps at the lane's
 *     minimum, all at its maximum, all equal (ties), and for each tap position one maximum among minima
 *     (inside the window it is the result, outside it must not count); then out-of-layer windows
 *     (kh or kw 0: empty, result 0; 4, 2^31, 2^32 - 1: the whole PoolMax grid) over random taps;
 *  2. `cases` random cycles: windows 1..PoolMax (90 %) or out-of-layer; bipolar_i 70 % on the binary
 *     design, 20 % elsewhere; taps random bit patterns, random lane values (corners 30 %) or all one
 *     value with one tap changed (ties);
 *  3. one idle cycle, which samples the last result.
 */
import { maxPoolVerilogParams, poolWindowMax } from '../../hw/conv_window.js';
import type { Design } from '../../hw/design.js';
import { PRESETS } from '../../hw/presets.js';
import { formatRange, intFormat, type IntFormat } from '../../arith/format.js';
import { Rng } from '../../util/rng.js';
import type { PortSpec, UnitDesign, WordsModelRun } from '../unit.js';
import { getBits, getInt, orBits, portLayout, putInt, unitFromWords } from '../unit_words.js';
import { hdlFiles } from '../hdl_manifest.js';
import { randomLane } from './mac_pe.js';

interface Params {
  hBits: number;
  signed: boolean;
  poolMax: number;
  taps: number;
}

function params(d: Design): Params {
  const v = maxPoolVerilogParams(d);
  return { hBits: v.HBits, signed: v.Signed !== 0, poolMax: v.PoolMax, taps: v.PoolMax * v.PoolMax };
}

function ports(d: Design): PortSpec[] {
  const p = params(d);
  return [
    { name: 'x_i', dir: 'in', width: p.taps * p.hBits },
    { name: 'kh_i', dir: 'in', width: 32 },
    { name: 'kw_i', dir: 'in', width: 32 },
    { name: 'bipolar_i', dir: 'in', width: 1 },
    { name: 'y_o', dir: 'out', width: 32, signed: true },
  ];
}

function variant(label: string, activation: IntFormat): UnitDesign {
  const d = structuredClone(PRESETS.int8) as Design;
  d.name = label;
  d.activation = activation;
  return { label, design: d };
}

/**
 * The activation lanes the presets pool (int8, int4, int2 = binary's 2-bit slots, the ±1 layout on
 * binary) and the edges of the Design's range: unsigned 8 and 1 bits, 7-bit unsigned slots that straddle
 * x_i's 32-bit words, 16-bit signed (the widest).
 */
function designs(): UnitDesign[] {
  return [
    { label: 'int8', design: PRESETS.int8 as Design },
    { label: 'int4', design: PRESETS.int4 as Design },
    { label: 'binary', design: PRESETS.binary as Design },
    variant('uint8', intFormat(8, false)),
    variant('uint7', intFormat(7, false)),
    variant('int16', intFormat(16, true)),
    variant('uint1', intFormat(1, false)),
  ];
}

/** Writes the `bits`-bit pattern of `v` (a lane value or pattern, bits <= 16) as tap k of x_i (its words start at `off`, 0 before). */
function putTap(words: Uint32Array, off: number, k: number, v: number, bits: number): void {
  orBits(words, off, k * bits, v & ((1 << bits) - 1), bits);
}

/** A tap's value: ±1 from bit 0 when bipolar, else the slot as a signed or unsigned integer. */
function tapValue(u: number, p: Params, bipolar: boolean): number {
  if (bipolar) return u & 1 ? 1 : -1;
  return p.signed ? (u << (32 - p.hBits)) >> (32 - p.hBits) : u;
}

/** Windows outside a compiled layer's 1..PoolMax: empty (0) and wider than the tap grid. */
const ODD_SIDES = [0, 4, 2 ** 31, 2 ** 32 - 1];

function stimulus(d: Design, seed: number, cases: number): Uint32Array {
  const p = params(d);
  const { at, inStride: S } = portLayout(ports(d));
  const { x_i: X, kh_i: KH, kw_i: KW, bipolar_i: BIP } = at;
  const rng = new Rng(seed);
  const lane: IntFormat = intFormat(p.hBits, p.signed);
  const { min, max } = formatRange(lane);
  const H = p.hBits;
  const T = p.taps;
  const cycles = 2 * p.poolMax * p.poolMax * (3 + T) + 2 * ODD_SIDES.length + cases + 1;
  const words = new Uint32Array(cycles * S); // the last cycle stays idle (zero words)
  let o = 0;
  // starts the next cycle with its window and bipolar flag; returns the word offset of its x_i
  const row = (kh: number, kw: number, bip: boolean): number => {
    putInt(words, o + KH, kh, 32);
    putInt(words, o + KW, kw, 32);
    words[o + BIP] = +bip;
    o += S;
    return o - S + X;
  };
  const fill = (x: number, v: number): void => {
    for (let k = 0; k < T; k++) putTap(words, x, k, v, H);
  };
  const randomBits = (): number => rng.u32() >>> (32 - H);
  // 1. directed
  for (const bip of [false, true]) {
    // ±1 taps: bit 0 is the value; junk above it, set against the value (a decode reading the slot fails)
    const lo = bip ? (H === 1 ? 0 : (2 ** H - 1) & ~1) : min;
    const hi = bip ? 1 : max;
    for (let kh = 1; kh <= p.poolMax; kh++) {
      for (let kw = 1; kw <= p.poolMax; kw++) {
        fill(row(kh, kw, bip), lo);
        fill(row(kh, kw, bip), hi);
        fill(row(kh, kw, bip), bip ? randomBits() : randomLane(rng, lane)); // ties
        for (let k = 0; k < T; k++) {
          const x = row(kh, kw, bip);
          for (let q = 0; q < T; q++) putTap(words, x, q, q === k ? hi : lo, H);
        }
      }
    }
  }
  for (const side of ODD_SIDES) {
    const inside = rng.int(1, p.poolMax);
    for (const [kh, kw] of [[side, inside], [inside, side]]) {
      const x = row(kh, kw, rng.float() < 0.5);
      for (let k = 0; k < T; k++) putTap(words, x, k, randomLane(rng, lane), H);
    }
  }
  // 2. random
  const bipRate = d.activation.type === 'binary' ? 0.7 : 0.2;
  const side = (): number => (rng.float() < 0.9 ? rng.int(1, p.poolMax) : rng.float() < 0.7 ? ODD_SIDES[rng.int(0, ODD_SIDES.length - 1)] : rng.u32());
  for (let t = 0; t < cases; t++) {
    const kh = side();
    const kw = side();
    const x = row(kh, kw, rng.float() < bipRate);
    const r = rng.float();
    if (r < 0.4) {
      for (let k = 0; k < T; k++) putTap(words, x, k, randomBits(), H);
    } else if (r < 0.8) {
      for (let k = 0; k < T; k++) putTap(words, x, k, randomLane(rng, lane), H);
    } else {
      // all taps one value, one of them changed: ties
      const v = randomLane(rng, lane);
      const at = rng.int(0, T - 1);
      const w = randomLane(rng, lane);
      for (let k = 0; k < T; k++) putTap(words, x, k, k === at ? w : v, H);
    }
  }
  return words;
}

function model(d: Design, stim: Uint32Array): WordsModelRun {
  const p = params(d);
  const { at, inStride: S, outStride: R } = portLayout(ports(d));
  const { x_i: X, kh_i: KH, kw_i: KW, bipolar_i: BIP, y_o: Y } = at;
  const cycles = stim.length / S;
  const outputs = new Uint32Array(cycles * R); // cycle 0: the shell's reset value 0
  for (let t = 1, x = 0; t < cycles; t++, x += S) {
    const bip = stim[x + BIP] !== 0;
    // the RTL reads the PoolMax x PoolMax tap grid: a wider window is the whole grid
    const kh = Math.min(getInt(stim, x + KH, 32, false), p.poolMax);
    const kw = Math.min(getInt(stim, x + KW, 32, false), p.poolMax);
    const y = poolWindowMax(kh, kw, (i, j) => tapValue(getBits(stim, x + X, (i * p.poolMax + j) * p.hBits, p.hBits), p, bip));
    putInt(outputs, t * R + Y, y, 32);
  }
  return { outputs };
}

export const maxPoolUnit = unitFromWords({
  name: 'max_pool',
  top: 'max_pool_reg',
  hdlFiles: () => [...hdlFiles('max_pool'), 'sim/max_pool_reg.sv'],
  parameters: (d) => maxPoolVerilogParams(d),
  ports,
  designs,
  words: { stimulus, model },
});

export default maxPoolUnit;
