import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { Rng, testSeed } from '../../src/util/rng.js';
import { compileModel } from '../../src/hw/accel_compile.js';
import { accelPackage, DESC_FIELDS, descCode, encodeDescriptor, type DescValues } from '../../src/hw/accel_desc.js';
import { descriptor, descriptorValues } from '../../src/hw/accel_program.js';
import { buildImages } from '../../src/hw/accel_images.js';
import { accelCases } from './fixtures/accel_models.js';

const seed = testSeed(19);
const zero = (): DescValues => Object.fromEntries(DESC_FIELDS.map((f) => [f.name, 0])) as DescValues;

describe('the accelerator descriptor is defined once (src/hw/accel_desc.ts)', () => {
  it('hdl/accel_pkg.svh is what accelPackage() generates (regenerate: npx tsx scripts/gen-hdl.ts)', () => {
    expect(readFileSync(new URL('../../hdl/accel_pkg.svh', import.meta.url), 'utf8')).toBe(accelPackage());
  });

  it('the package struct puts field i at bits [32i, 32i + bits) of the descriptor', () => {
    // walk the generated struct from its most significant member, as SystemVerilog packs it
    const members = [...accelPackage().matchAll(/^ {4}logic(?: \[(\d+):0\])? (\w+);/gm)].map((m) => ({
      name: m[2], bits: m[1] === undefined ? 1 : Number(m[1]) + 1,
    }));
    let pos = DESC_FIELDS.length * 32;
    const lsb: Record<string, number> = {};
    for (const m of members) {
      pos -= m.bits;
      lsb[m.name] = pos;
    }
    expect(pos).toBe(0);
    DESC_FIELDS.forEach((f, i) => expect(lsb[f.name], f.name).toBe(32 * i));
  });

  it('encodes the named values in field order and rejects a value that does not fit its field', () => {
    const v = zero();
    v.engine = descCode('engine', 'serial');
    v.zp = -5;
    v.steps = 255;
    const slots = encodeDescriptor(v);
    expect(slots.length).toBe(DESC_FIELDS.length);
    expect(slots[DESC_FIELDS.findIndex((f) => f.name === 'engine')]).toBe(2);
    expect(slots[DESC_FIELDS.findIndex((f) => f.name === 'zp')]).toBe(-5);
    expect(slots[DESC_FIELDS.findIndex((f) => f.name === 'steps')]).toBe(255);
    expect(() => encodeDescriptor({ ...v, steps: 256 })).toThrow(/steps = 256 does not fit 8 bits/);
    expect(() => encodeDescriptor({ ...v, engine: -1 })).toThrow(/engine/);
    expect(() => encodeDescriptor({ ...v, k: 2 ** 32 })).toThrow(/k = /);
  });

  it(`compiled programs: descriptor() = the values in field order, and prog.hex packs them (seed ${seed})`, () => {
    for (const c of accelCases()) {
      const p = compileModel(c.model(new Rng(seed ^ c.salt)), c.design);
      const img = buildImages(p);
      p.layers.forEach((l, li) => {
        const v = descriptorValues(l);
        const d = descriptor(l);
        expect(d).toEqual(DESC_FIELDS.map((f) => v[f.name]));
        DESC_FIELDS.forEach((f, i) => {
          const slot = Number(BigInt.asUintN(32, img.prog[li] >> BigInt(32 * i)));
          expect(slot, `${c.label} layer ${li} ${f.name}`).toBe(d[i] >>> 0);
        });
      });
    }
  });
});
