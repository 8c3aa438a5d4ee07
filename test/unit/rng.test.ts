import { describe, it, expect } from 'vitest';
import { Rng } from '../../src/util/rng.js';
import { InputError } from '../../src/util/errors.js';

describe('Rng state', () => {
  it('a generator set to another one\'s state continues its stream exactly', () => {
    const a = new Rng(12345);
    for (let i = 0; i < 1000; i++) a.u32();
    const s = a.state();
    expect(s.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)).toBe(true);
    const b = new Rng(1);
    b.setState(JSON.parse(JSON.stringify(s)));
    const fromA = Array.from({ length: 100 }, () => a.u32());
    expect(Array.from({ length: 100 }, () => b.u32())).toEqual(fromA);
    expect(b.state()).toEqual(a.state());
  });

  it('refuses a state that is not four uint32 words or is all zero (xoshiro would emit zeros forever)', () => {
    const r = new Rng(1);
    for (const bad of [[0, 0, 0, 0], [1, 2, 3], [1, 2, 3, 2 ** 32], [1, 2, 3, -1], [1, 2, 3, 0.5]]) {
      expect(() => r.setState(bad), JSON.stringify(bad)).toThrow(InputError);
    }
  });
});
