/**
 * UnitSpec adapter for the multiplier-free PE: hdl/mac_pe.sv with WShift = 1 (weights as power-of-two codes
 * {nz, neg, e}, product +-(a << e) by shift and add/subtract) <-> `MacPe` with `peRule` (src/hw/pe_kind.ts).
 * Ports, parameters, stimulus, model and trace are the mac_pe unit's (src/rtl/units/mac_pe.ts), all derived
 * from the Design, whose `array.pe` is `shift`: the directed part takes every weight code (each exponent,
 * both signs, zero) against the activation corners and the accumulator boundaries.
 */
import { BINARY, intFormat } from '../../arith/format.js';
import type { Design } from '../../hw/design.js';
import { PRESETS } from '../../hw/presets.js';
import type { UnitDesign, UnitSpec } from '../unit.js';
import { macPeUnit } from './mac_pe.js';

function variant(label: string, patch: (d: Design) => void): UnitDesign {
  const d = structuredClone(PRESETS.int8) as Design;
  d.name = label;
  d.array.pe = 'shift';
  patch(d);
  return { label, design: d };
}

/**
 * Designs: every dataflow; exponent bits 0 (bipolar +-1; ternary on w2: add/subtract only), 1 (w3),
 * 2 (unsigned w4), 3 (w8) and 4 (w16); activations 1 (bipolar, unsigned), 4, 8, 16 bits, signed and
 * unsigned; accumulators 2..64, WRAP and SAT.
 */
export function macPeShiftDesigns(): UnitDesign[] {
  return [
    variant('os-w8a8-acc32-wrap', () => {}),
    variant('ws-w2a8-acc16-sat', (d) => {
      d.array.dataflow = 'ws';
      d.array.rows = 5;
      d.weight = intFormat(2, true);
      d.accumulator = { bits: 16, overflow: 'SAT' };
    }),
    variant('is-w16a16-acc64-sat', (d) => {
      d.array.dataflow = 'is';
      d.array.rows = 3;
      d.weight = intFormat(16, true);
      d.activation = intFormat(16, true);
      d.accumulator = { bits: 64, overflow: 'SAT' };
    }),
    variant('os-w1a1-acc2-sat', (d) => {
      d.weight = BINARY;
      d.activation = BINARY;
      d.accumulator = { bits: 2, overflow: 'SAT' };
    }),
    variant('ws-w4ua4u-acc12-wrap', (d) => {
      d.array.dataflow = 'ws';
      d.weight = intFormat(4, false);
      d.activation = intFormat(4, false);
      d.accumulator = { bits: 12, overflow: 'WRAP' };
    }),
    variant('is-w3a1u-acc33-wrap', (d) => {
      d.array.dataflow = 'is';
      d.array.rows = 2;
      d.weight = intFormat(3, true);
      d.activation = intFormat(1, false);
      d.accumulator = { bits: 33, overflow: 'WRAP' };
    }),
  ];
}

export const macPeShiftUnit: UnitSpec = { ...macPeUnit, name: 'mac_pe_shift', designs: macPeShiftDesigns };

export default macPeShiftUnit;
