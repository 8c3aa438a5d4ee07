import { describe, it, expect, vi, afterEach } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/util/rng.js';
import { saveQuantizedModel } from '../../src/model/format.js';
import { compileModel } from '../../src/hw/accel_compile.js';
import { inferenceCycles } from '../../src/hw/accel_top.js';
import { PRESETS } from '../../src/hw/presets.js';
import { int, randomMlp } from './fixtures/model/random_models.js';
import { runCli as run } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lowbit-estcli-'));
const modelDir = join(dir, 'mlp');
const model = randomMlp(new Rng(11), [40, 12, 10], int(8, true), int(8, true), 'multiplier-double');
saveQuantizedModel(model, modelDir);

afterEach(() => vi.restoreAllMocks());

describe('lowbit estimate --model', () => {
  it('prints JSON whose cycles equal the accelerator model', async () => {
    const r = await run(['estimate', '--model', modelDir, '--design', 'tiny', '--no-area', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    const p = compileModel(model, PRESETS.tiny);
    expect(j.cycles).toBe(inferenceCycles(p));
    expect(j.layers.map((l: { engine: string }) => l.engine)).toEqual(['mac', 'mac']);
    expect(j.area).toEqual({ skipped: 'not requested (--no-area)' });
    expect(j.energy.table).toBe('Horowitz ISSCC 2014, 45 nm');
  });

  it('prints a per-layer table and totals; --array overrides the design', async () => {
    const r = await run(['estimate', '--model', modelDir, '--design', 'int8', '--array', '8x8', '--no-area']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('| layer | engine | pixels | K | N | cycles |');
    expect(r.out).toMatch(/\| fc0 \| mac \| 1 \| 40 \| 12 \| \d+ \|/);
    expect(r.out).toMatch(/^cycles +\d+ per inference/m);
    expect(r.out).toContain('8x8 array');
    expect(r.out).toMatch(/^area +skipped: not requested \(--no-area\)$/m);
  });

  it('--scalesim-dir applies to --gemm only; one workload at a time', async () => {
    const r = await run(['estimate', '--model', modelDir, '--design', 'tiny', '--no-area', '--scalesim-dir', join(dir, 'ss')]);
    expect(r.code).toBe(2);
    expect(r.err).toBe('lowbit: estimate: --scalesim-dir writes the SCALE-Sim files of one GEMM; it applies to --gemm M,K,N, not to --model\n');
    expect(existsSync(join(dir, 'ss'))).toBe(false);
    const both = await run(['estimate', '--model', modelDir, '--gemm', '1,2,3', '--design', 'tiny', '--no-area']);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/give one workload/);
  });

  it('takes a user energy table (--energy) and scales DRAM energy by it', async () => {
    const table = join(dir, 'energy.json');
    writeFileSync(table, JSON.stringify({ name: 'cheap dram', dram32: 64 }));
    const a = JSON.parse((await run(['estimate', '--model', modelDir, '--design', 'tiny', '--no-area', '--json'])).out);
    const b = JSON.parse((await run(['estimate', '--model', modelDir, '--design', 'tiny', '--no-area', '--json', '--energy', table])).out);
    expect(b.energy.table).toBe('cheap dram');
    expect(b.energy.dramPJ).toBeCloseTo(a.energy.dramPJ / 10, 9);
    expect(b.energy.computePJ).toBe(a.energy.computePJ);
  });

  it('exits 2 with a message naming the problem', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ mul8: -1 }));
    const r1 = await run(['estimate', '--model', modelDir, '--design', 'tiny', '--no-area', '--energy', bad]);
    expect(r1.code).toBe(2);
    expect(r1.err).toMatch(/mul8: got -1; allowed: a positive number of pJ/);
    const miss = await run(['estimate', '--model', modelDir, '--design', 'tiny', '--no-area', '--energy', join(dir, 'missing.json')]);
    expect(miss.err).toBe(`lowbit: energy table ${join(dir, 'missing.json')}: does not exist; give an existing file\n`);
    expect(miss.code).toBe(2);
    const folder = await run(['estimate', '--model', modelDir, '--design', 'tiny', '--no-area', '--energy', dir]);
    expect(folder.err).toBe(`lowbit: energy table ${dir}: is a folder; give a file\n`);
    const r2 = await run(['estimate', '--model', join(dir, 'nope'), '--design', 'tiny', '--no-area']);
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/nope: no such file or folder/);
    // the accelerator's controller is output stationary only
    const r3 = await run(['estimate', '--model', modelDir, '--design', 'tiny', '--dataflow', 'ws', '--no-area']);
    expect(r3.code).toBe(2);
    expect(r3.err).toMatch(/array.dataflow = ws/);
    const r4 = await run(['estimate', '--model', modelDir, '--design', 'tiny', '--no-area', '--batch', '0']);
    expect(r4.code).toBe(2);
    expect(r4.err).toMatch(/--batch: got 0/);
    // --accuracy runs MNIST: a 40-input model cannot take 28x28 images
    const r5 = await run(['estimate', '--model', modelDir, '--design', 'tiny', '--no-area', '--accuracy', '--images', '10']);
    expect(r5.code).toBe(2);
    expect(r5.err).toMatch(/takes 40 inputs; MNIST images have 784/);
  });
});
