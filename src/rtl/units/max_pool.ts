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
import { getInt, portLayout, putInt, unitFromWords } from '../unit_words.js';
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

/** Writes the `bits`-bit pattern of `v` as tap k of x_i (its words start at `off`, 0 before; bits <= 16). */
function putTap(words: Uint32Array, off: number, k: number, v: number, bits: number): void {
  const u = v & (2 ** bits - 1);
  const pos = k * bits;
  const w = off + (pos >>> 5);
  const s = pos & 31;
  words[w] |= u << s;
  if (s + bits > 32) words[w + 1] |= u >>> (32 - s);
}

/** Reads tap k of x_i as its unsigned `bits`-bit pattern (bits <= 16). */
function getTap(words: Uint32Array, off: number, k: number, bits: number): number {
  const pos = k * bits;
  const w = off + (pos >>> 5);
  const s = pos & 31;
  let u = words[w] >>> s;
  if (s + bits > 32) u |= words[w + 1] << (32 - s);
  return u & (2 ** bits - 1);
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
  const rows: { kh: number; kw: number; bip: boolean; taps: number[] }[] = [];
  const randomBits = (): number => rng.u32() >>> (32 - H);
  // 1. directed
  for (const bip of [false, true]) {
    // ±1 taps: bit 0 is the value; junk above it, set against the value (a decode reading the slot fails)
    const lo = bip ? (H === 1 ? 0 : (2 ** H - 1) & ~1) : min;
    const hi = bip ? 1 : max;
    for (let kh = 1; kh <= p.poolMax; kh++) {
      for (let kw = 1; kw <= p.poolMax; kw++) {
        const fill = (v: number): number[] => Array<number>(p.taps).fill(v);
        rows.push({ kh, kw, bip, taps: fill(lo) }, { kh, kw, bip, taps: fill(hi) }, { kh, kw, bip, taps: fill(bip ? randomBits() : randomLane(rng, lane)) });
        for (let k = 0; k < p.taps; k++) {
          const taps = fill(lo);
          taps[k] = hi;
          rows.push({ kh, kw, bip, taps });
        }
      }
    }
  }
  for (const side of ODD_SIDES) {
    const inside = rng.int(1, p.poolMax);
    for (const [kh, kw] of [[side, inside], [inside, side]]) {
      rows.push({ kh, kw, bip: rng.float() < 0.5, taps: Array.from({ length: p.taps }, () => randomLane(rng, lane)) });
    }
  }
  // 2. random
  const bipRate = d.activation.type === 'binary' ? 0.7 : 0.2;
  const side = (): number => (rng.float() < 0.9 ? rng.int(1, p.poolMax) : rng.float() < 0.7 ? ODD_SIDES[rng.int(0, ODD_SIDES.length - 1)] : rng.u32());
  for (let t = 0; t < cases; t++) {
    const kh = side();
    const kw = side();
    const bip = rng.float() < bipRate;
    const r = rng.float();
    let taps: number[];
    if (r < 0.4) taps = Array.from({ length: p.taps }, randomBits);
    else if (r < 0.8) taps = Array.from({ length: p.taps }, () => randomLane(rng, lane));
    else {
      taps = Array<number>(p.taps).fill(randomLane(rng, lane));
      taps[rng.int(0, p.taps - 1)] = randomLane(rng, lane);
    }
    rows.push({ kh, kw, bip, taps });
  }
  // 3. one idle cycle (zero words) after the rows
  const words = new Uint32Array((rows.length + 1) * S);
  rows.forEach((row, t) => {
    const o = t * S;
    row.taps.forEach((v, k) => putTap(words, o + X, k, v, H));
    putInt(words, o + KH, row.kh, 32);
    putInt(words, o + KW, row.kw, 32);
    words[o + BIP] = +row.bip;
  });
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
    const y = poolWindowMax(kh, kw, (i, j) => tapValue(getTap(stim, x + X, i * p.poolMax + j, p.hBits), p, bip));
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
