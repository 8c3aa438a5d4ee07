import { readInputText } from '../util/fsafe.js';
import { badValue, InputError } from '../util/errors.js';
import { closest } from '../util/suggest.js';
import { formatBits } from '../arith/format.js';
import type { Design, PeKind } from '../hw/design.js';
import { peKind, weightExpBits } from '../hw/pe_kind.js';

/**
 * Energy per operation, in picojoules.
 *
 * Default table: Horowitz, "Computing's energy problem", ISSCC 2014, 45 nm, 0.9 V:
 * 8-bit int add 0.03, 32-bit int add 0.1, 8-bit int multiply 0.2, 32-bit int multiply 3.1,
 * fp32 add 0.9, fp32 multiply 3.7, 32-bit read from an 8 KB SRAM 5, 32-bit DRAM read 640.
 *
 * Scaling with bit-width (stated, not measured): between the two published widths each integer operation
 * follows a power law fitted through both points, `E(n) = E(8) * (n / 8)^alpha` with
 * `alpha = log(E(32) / E(8)) / log(4)`: adders alpha = 0.868 (near-linear, a ripple of n full adders),
 * multipliers alpha = 1.977 (near-quadratic, an n x n partial-product array). For an n x m multiply we use
 * the geometric width sqrt(n*m). A 1-bit XNOR plus its share of the popcount tree costs one 1-bit add
 * (`E_add(1)`). The multiplier-free (shift) PE's product `nz ? (neg ? -(a << e) : a << e) : 0` (hdl/mac_pe.sv,
 * WShift = 1) costs a conditional negation, charged as one add of the product width P = aBits + 2^E, plus E
 * levels of P-bit 2:1 multiplexers (the shifter), each charged `MUX_PER_ADD` = 1/3 of a P-bit add (assumption,
 * not in Horowitz's table: a 2:1 mux switches about a third of a full adder's capacitance); E = 0 (+-1,
 * ternary) leaves the negation alone. Memory energy is per bit moved: SRAM `sram32 / 32` pJ/bit, DRAM `dram32 / 32` pJ/bit,
 * independent of the buffer size (the 8 KB figure; a user table can override).
 */
export interface EnergyTable {
  name: string;
  add8: number;
  add32: number;
  mul8: number;
  mul32: number;
  fpAdd32: number;
  fpMul32: number;
  sram32: number;
  dram32: number;
}

export const HOROWITZ_45NM: EnergyTable = {
  name: 'Horowitz ISSCC 2014, 45 nm',
  add8: 0.03,
  add32: 0.1,
  mul8: 0.2,
  mul32: 3.1,
  fpAdd32: 0.9,
  fpMul32: 3.7,
  sram32: 5,
  dram32: 640,
};

const FIELDS = ['add8', 'add32', 'mul8', 'mul32', 'fpAdd32', 'fpMul32', 'sram32', 'dram32'] as const;

/** Power-law interpolation through the 8- and 32-bit figures: E(n) = E8 * (n/8)^alpha. */
function scaled(e8: number, e32: number, bits: number): number {
  const alpha = Math.log(e32 / e8) / Math.log(4);
  return e8 * Math.pow(bits / 8, alpha);
}

/** Energy of one integer add of `bits` bits, pJ. */
export function addEnergy(t: EnergyTable, bits: number): number {
  return scaled(t.add8, t.add32, bits);
}

/** Energy of one integer multiply of an `aBits` x `bBits` pair, pJ (geometric-mean width). */
export function mulEnergy(t: EnergyTable, aBits: number, bBits: number): number {
  return scaled(t.mul8, t.mul32, Math.sqrt(aBits * bBits));
}

/** Energy of one multiply-accumulate: an a x b multiply plus an accumulator-width add, pJ. */
export function macEnergy(t: EnergyTable, aBits: number, bBits: number, accBits: number): number {
  return mulEnergy(t, aBits, bBits) + addEnergy(t, accBits);
}

/** A P-bit 2:1 multiplexer level in units of a P-bit add (assumption, see the file header). */
export const MUX_PER_ADD = 1 / 3;

/** Energy of the shift PE's product of an `aBits` activation and an `expBits`-exponent weight code, pJ. */
export function shiftProductEnergy(t: EnergyTable, aBits: number, expBits: number): number {
  return addEnergy(t, aBits + 2 ** expBits) * (1 + expBits * MUX_PER_ADD);
}

/**
 * Energy of one MAC on the Design's PE, pJ: the multiplier PE's `macEnergy`, or on the shift PE
 * (`pe` = 'shift') `shiftProductEnergy` plus the accumulator add.
 */
export function peMacEnergy(t: EnergyTable, d: Design, pe: PeKind = peKind(d)): number {
  if (pe === 'multiplier') return macEnergy(t, formatBits(d.activation), formatBits(d.weight), d.accumulator.bits);
  return shiftProductEnergy(t, formatBits(d.activation), weightExpBits(d.weight)) + addEnergy(t, d.accumulator.bits);
}

/** Energy of one binary MAC (XNOR + popcount share), pJ. */
export function xnorMacEnergy(t: EnergyTable): number {
  return addEnergy(t, 1);
}

/** SRAM and DRAM energy per bit moved, pJ. */
export function sramEnergyPerBit(t: EnergyTable): number {
  return t.sram32 / 32;
}
export function dramEnergyPerBit(t: EnergyTable): number {
  return t.dram32 / 32;
}

/** Validates a user-supplied table (all eight fields, positive finite pJ, add8 < add32, mul8 < mul32). */
export function parseEnergyTable(json: unknown, source = 'energy table'): EnergyTable {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new InputError(`${source}: expected a JSON object with fields ${FIELDS.join(', ')} (pJ)`);
  }
  const o = json as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    const allowed = ['name', ...FIELDS];
    if (!allowed.includes(k)) {
      const near = closest(k, allowed);
      throw new InputError(`${source}: ${k}: unknown field${near ? `; did you mean "${near}"?` : ''} (allowed: ${allowed.join(', ')})`);
    }
  }
  const out: Record<string, number | string> = { name: typeof o.name === 'string' ? o.name : source };
  for (const f of FIELDS) {
    const v = o[f] ?? HOROWITZ_45NM[f];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw badValue(`${source}: ${f}`, v, 'a positive number of pJ');
    out[f] = v;
  }
  const t = out as unknown as EnergyTable;
  if (t.add8 >= t.add32) throw badValue(`${source}: add8`, t.add8, `less than add32 (${t.add32})`);
  if (t.mul8 >= t.mul32) throw badValue(`${source}: mul8`, t.mul8, `less than mul32 (${t.mul32})`);
  return t;
}

export function loadEnergyTable(path: string): EnergyTable {
  // missing, a folder, a device, too large: one line naming which (fsafe.ts)
  const text = readInputText(path, 'energy table', { maxBytes: 1 << 20 });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`energy table ${path}: not valid JSON (${(e as Error).message})`);
  }
  return parseEnergyTable(json, `energy table ${path}`);
}
