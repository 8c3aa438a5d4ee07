import { describe, it, expect } from 'vitest';
import { HOROWITZ_45NM as T, addEnergy, mulEnergy, macEnergy, xnorMacEnergy, parseEnergyTable, sramEnergyPerBit, dramEnergyPerBit } from '../../src/estimate/energy.js';

describe('energy table', () => {
  it('reproduces the published 8- and 32-bit figures exactly at those widths', () => {
    expect(addEnergy(T, 8)).toBeCloseTo(0.03, 12);
    expect(addEnergy(T, 32)).toBeCloseTo(0.1, 12);
    expect(mulEnergy(T, 8, 8)).toBeCloseTo(0.2, 12);
    expect(mulEnergy(T, 32, 32)).toBeCloseTo(3.1, 12);
  });

  it('scales by the fitted power laws (hand-computed)', () => {
    // adders: (n/8)^alpha with alpha = log4(0.1/0.03), so 16-bit = 0.03 * sqrt(10/3) = 0.0547723
    expect(addEnergy(T, 16)).toBeCloseTo(0.03 * Math.sqrt(10 / 3), 12);
    expect(addEnergy(T, 16)).toBeCloseTo(0.0547723, 6);
    // multipliers: alpha = log4(3.1/0.2), so 4x4 = 0.2 / sqrt(15.5) = 0.0508001
    expect(mulEnergy(T, 4, 4)).toBeCloseTo(0.0508001, 6);
    // 8x2 multiply uses width sqrt(16) = 4
    expect(mulEnergy(T, 8, 2)).toBeCloseTo(mulEnergy(T, 4, 4), 12);
    expect(macEnergy(T, 8, 8, 32)).toBeCloseTo(0.3, 12);
    // a binary MAC is a 1-bit add: 0.03 * (1/8)^alpha = 0.03 / (10/3)^1.5 = 0.00492950
    expect(xnorMacEnergy(T)).toBeCloseTo(0.0049295, 6);
    expect(sramEnergyPerBit(T)).toBe(5 / 32);
    expect(dramEnergyPerBit(T)).toBe(20);
  });

  it('binary MACs cost ~60x less than int8 MACs with a 32-bit accumulator', () => {
    expect(macEnergy(T, 8, 8, 32) / xnorMacEnergy(T)).toBeGreaterThan(60);
  });

  it('accepts a partial user table and rejects bad ones naming the field', () => {
    expect(parseEnergyTable({ name: 'mine', dram32: 100 }).dram32).toBe(100);
    expect(parseEnergyTable({ dram32: 100 }).mul8).toBe(0.2);
    expect(() => parseEnergyTable({ mul8: -1 })).toThrow(/mul8: got -1; allowed: a positive number of pJ/);
    // an unknown field, as the Design's: the field, "unknown field", the nearest allowed name, the list
    expect(() => parseEnergyTable({ mul9: 1 })).toThrow('energy table: mul9: unknown field; did you mean "mul8"? (allowed: name, add8, add32, mul8, mul32, fpAdd32, fpMul32, sram32, dram32)');
    expect(() => parseEnergyTable({ clockMHz: 200 })).toThrow('energy table: clockMHz: unknown field (allowed: name, add8, add32, mul8, mul32, fpAdd32, fpMul32, sram32, dram32)');
    expect(() => parseEnergyTable({ add8: 1, add32: 0.5 })).toThrow(/add8: got 1; allowed: less than add32/);
    expect(() => parseEnergyTable([])).toThrow(/expected a JSON object/);
  });
});
