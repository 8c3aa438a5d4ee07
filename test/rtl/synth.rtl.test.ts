import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesize } from '../../src/synth/yosys.js';

const fixture = 'test/rtl/fixtures/synth/acc_mul.sv';

describe('yosys area', () => {
  // a private cache for these tests, restored afterwards so later files in this worker keep the shared one
  const savedCache = process.env.LOWBIT_CACHE;
  beforeAll(() => {
    process.env.LOWBIT_CACHE = mkdtempSync(join(tmpdir(), 'lowbit-synth-'));
  });
  afterAll(() => {
    if (savedCache === undefined) delete process.env.LOWBIT_CACHE;
    else process.env.LOWBIT_CACHE = savedCache;
  });

  it('counts gates, flip-flops and LUTs, grows with width, and caches by hash', () => {
    const a4 = synthesize([fixture], 'acc_mul', { W: 4 });
    expect(a4.cached).toBe(false);
    expect(a4.flipFlops).toBe(8); // the 2W-bit accumulator register
    expect(a4.gateCount).toBeGreaterThan(a4.flipFlops);
    expect(a4.luts).toBeGreaterThan(0);
    const a8 = synthesize([fixture], 'acc_mul', { W: 8 });
    expect(a8.flipFlops).toBe(16);
    expect(a8.gateCount).toBeGreaterThan(2 * a4.gateCount); // the multiplier grows ~quadratically
    const again = synthesize([fixture], 'acc_mul', { W: 4 });
    expect(again.cached).toBe(true);
    expect({ ...again, cached: false }).toEqual(a4);
  });

  it('reports a failing synthesis with the tool message', () => {
    expect(() => synthesize([fixture], 'no_such_top', {})).toThrow(/yosys failed to synthesize no_such_top/);
  });
});
