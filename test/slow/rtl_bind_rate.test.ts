import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { verifyBound, type BoundJob } from '../../src/rtl/bind/verify.js';
import { writeNpy } from '../../src/util/npy.js';
import { Rng } from '../../src/util/rng.js';

/**
 * Slow tier: whole test sets through a binding. 100,000 random dot products (plus the 25 corners) through
 * the int8 dot-product example, and 50,000 input beats from a .npy file; every result compared. Prints the
 * rate (docs/verify.md quotes it); asserts only exact agreement and the counts, never a time.
 */
const dir = resolve('examples/rtl/int8_dot');
const base: BoundJob = { files: [join(dir, 'dot8_core.sv')], top: 'dot8_core', includeDirs: [], defines: [], params: {}, bind: join(dir, 'bind.json'), design: 'int8', seed: 3, cases: 100_000 };

describe('bound runs over whole test sets (slow tier)', () => {
  it('100,000 random dot products: every one compared, in order', async () => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await verifyBound(base);
    const cpu = process.cpuUsage(cpu0);
    expect(r.ok, r.report).toBe(true);
    expect([r.outputTxns, r.comparison.compared]).toEqual([100_025, 100_025]);
    const wall = (performance.now() - t0) / 1000;
    process.stderr.write(`bind rate: ${r.outputTxns} output transactions (${r.inputTxns} input beats, ${r.cycles} cycles): wall ${wall.toFixed(1)} s, node CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s, simulator ${r.simSeconds.toFixed(1)} s wall\n`);
  });

  it('50,000 input beats from a .npy file', async () => {
    const rows = 50_000;
    const rng = new Rng(11);
    const data = new Int16Array(rows * 17);
    for (let i = 0; i < rows; i++) {
      for (let c = 0; c < 16; c++) data[i * 17 + c] = rng.int(-128, 127);
      data[i * 17 + 16] = i === rows - 1 || rng.float() < 0.4 ? 1 : 0;
    }
    const npy = join(mkdtempSync(join(tmpdir(), 'lowbit-bind-npy-')), 'beats.npy');
    writeNpy(npy, { data, shape: [rows, 17] });
    const r = await verifyBound({ ...base, vectors: npy });
    expect(r.ok, r.report).toBe(true);
    expect(r.inputTxns).toBe(rows);
    let groups = 0;
    for (let i = 0; i < rows; i++) groups += data[i * 17 + 16];
    expect(r.comparison.compared).toBe(groups);
  });
});
