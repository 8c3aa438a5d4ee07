import { describe, it, expect, vi, afterEach } from 'vitest';
import { mkdtempSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDesign } from '../../src/hw/design.js';
import { estimateGemm } from '../../src/hw/cost.js';
import { gemmIntRef, allocGemmOut } from '../../src/kernels/gemm_ref.js';
import { readNpy, writeNpy } from '../../src/util/npy.js';
import { Rng } from '../../src/util/rng.js';
import { fnv1a, randomOperand } from '../../src/cli/commands/simulate.js';
import { runCli as run } from './helpers/cli.js';


afterEach(() => vi.restoreAllMocks());

describe('lowbit simulate', () => {
  it('--random --json: Y equals the reference GEMM on the same seeded operands', async () => {
    for (const [preset, shape] of [['int8', [20, 50, 30]], ['int2', [7, 300, 5]], ['binary', [3, 100, 4]]] as const) {
      const r = await run(['simulate', '--design', preset, '--random', shape.join(','), '--seed', '5', '--json']);
      expect(r.code, r.err).toBe(0);
      const j = JSON.parse(r.out);
      const [M, K, N] = shape;
      const d = loadDesign(preset);
      const rng = new Rng(5);
      const A = randomOperand(rng, M * K, d.activation);
      const W = randomOperand(rng, K * N, d.weight);
      const Y = gemmIntRef(A, W, M, K, N, d.accumulator, allocGemmOut(M, N, d.accumulator));
      expect(j.y.fnv1a, preset).toBe(fnv1a(Y));
      expect(j.cycles).toBe(estimateGemm(d, M, K, N).cycles);
      expect([j.M, j.K, j.N, j.design]).toEqual([M, K, N, preset]);
    }
  });
  it('--a/--w .npy in, --out .npy out, --cycle-accurate --check on a small array', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lowbit-sim-'));
    const M = 5, K = 9, N = 6;
    const rng = new Rng(11);
    const A = Int8Array.from({ length: M * K }, () => rng.int(-8, 7));
    const W = Int8Array.from({ length: K * N }, () => rng.int(-8, 7));
    writeNpy(join(dir, 'A.npy'), { data: A, shape: [M, K] });
    writeNpy(join(dir, 'W.npy'), { data: W, shape: [K, N] });
    const r = await run(['simulate', '--design', 'int4', '--array', '4x4', '--dataflow', 'is', '--a', join(dir, 'A.npy'),
      '--w', join(dir, 'W.npy'), '--out', join(dir, 'Y.npy'), '--cycle-accurate', '--check']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('cycle-accurate and functional paths agree');
    const y = readNpy(join(dir, 'Y.npy'));
    expect([y.dtype, y.shape]).toEqual(['int32', [M, N]]);
    const want = gemmIntRef(A, W, M, K, N, { bits: 32, overflow: 'WRAP' }, new Int32Array(M * N));
    expect(Array.from(y.data as Int32Array)).toEqual(Array.from(want as Int32Array));
    // a Design file with a 40-bit accumulator writes int64
    expect((await run(['simulate', '--design', join(dir, 'd.json'), '--random', '2,3,2'])).err).toContain('d.json');
    writeFileSync(join(dir, 'd.json'), JSON.stringify({ base: 'int4', name: 'acc40', accumulator: { bits: 40 } }));
    const r64 = await run(['simulate', '--design', join(dir, 'd.json'), '--a', join(dir, 'A.npy'), '--w', join(dir, 'W.npy'), '--out', join(dir, 'Y64.npy')]);
    expect(r64.code, r64.err).toBe(0);
    const y64 = readNpy(join(dir, 'Y64.npy'));
    expect(y64.dtype).toBe('int64');
    expect(Array.from(y64.data as BigInt64Array, Number)).toEqual(Array.from(want as Int32Array));
  });
  it('bad input exits 2 with a message naming the problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lowbit-sim-'));
    writeNpy(join(dir, 'A.npy'), { data: Int16Array.of(1, 300), shape: [1, 2] });
    writeNpy(join(dir, 'W.npy'), { data: Int8Array.of(1, 2), shape: [2, 1] });
    writeNpy(join(dir, 'W3.npy'), { data: Int8Array.of(1, 2, 3), shape: [3, 1] });
    writeNpy(join(dir, 'F.npy'), { data: Float32Array.of(1, 2), shape: [1, 2] });
    const cases: [string[], string][] = [
      [['--a', join(dir, 'A.npy'), '--w', join(dir, 'W.npy')], 'A.npy: value 300 at [0, 1] is outside the design\'s activation format int8 (-128..127)'],
      [['--a', join(dir, 'F.npy'), '--w', join(dir, 'W.npy')], 'F.npy: expected integer activations, got float32'],
      [['--a', join(dir, 'W.npy'), '--w', join(dir, 'W3.npy')], "A's columns must equal W's rows"],
      [['--a', join(dir, 'A.npy')], 'give --a A.npy and --w W.npy, or --random M,K,N'],
      [['--random', '1,2,3', '--a', join(dir, 'A.npy')], 'give either --random or --a/--w'],
      [['--random', '1,2'], 'random: got "1,2"; allowed: M,K,N'],
      [['--random', '1,0,3'], 'random K: got 0'],
      [['--random', '100000,100000,1'], 'allowed: at most 2^33 on the functional path'],
      [['--random', '16384,16384,16384'], 'allowed: at most 2^33'],
      [['--random', '512,512,512', '--cycle-accurate'], 'allowed: at most 2^25 on the cycle-accurate path'],
      [['--random', '8192,8192,1', '--max-memory', '64M'], 'needs 512.1 MiB; the memory budget is 64.0 MiB (raise it with --max-memory'],
      [['--random', '1,2,3', '--max-memory', 'lots'], '--max-memory: got "lots"'],
      [['--random', '1,2,3', '--design', 'int88'], 'did you mean'],
      [['--random', '1,2,3', '--dataflow', 'wss'], '--dataflow: got "wss"; allowed: one of os, ws, is (did you mean ws?)'],
      [['--random', '1,2,3', '--seed', 'abc'], '--seed: got "abc"; allowed: a number'],
      [['--random', '1,2,3', '--design', 'int7'], 'design: got "int7"'],
      [['--random', '1,2,3', '--out', join(dir, 'Y.csv')], `--out ${join(dir, 'Y.csv')}: lowbit writes NumPy .npy files; give a name ending in .npy (e.g. ${join(dir, 'Y.npy')})`],
      [['--a', join(dir, 'A.npy'), '--w', join(dir, 'W.npy'), '--out', join(dir, 'W.npy'), '--force'], `--out ${join(dir, 'W.npy')}: is the -w file; writing there would replace your input`],
      [['--random', '1,2,3', '--array', '3by3'], 'array: got "3by3"'],
      [['--a', join(dir, 'nope.npy'), '--w', join(dir, 'W.npy')], 'nope.npy: does not exist'],
    ];
    for (const [args, msg] of cases) {
      const r = await run(['simulate', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toContain(msg);
      expect(r.out).toBe('');
    }
    const b = await run(['simulate', '--design', 'binary', '--a', join(dir, 'W.npy'), '--w', join(dir, 'W3.npy')]);
    expect(b.err).toContain("outside the design's activation format bipolar (-1 or +1)");
  });
});

describe('lowbit estimate', () => {
  it('--gemm --json carries the cost model, SCALE-Sim formula and energy; --scalesim-dir writes files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lowbit-est-'));
    const r = await run(['estimate', '--design', 'int8', '--array', '32x32', '--dataflow', 'ws', '--gemm', '256,784,256', '--json', '--scalesim-dir', dir]);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    const d = loadDesign('int8', { array: '32x32', dataflow: 'ws' });
    expect(j.cost).toEqual(JSON.parse(JSON.stringify(estimateGemm(d, 256, 784, 256))));
    expect(j.scaleSim.cycles).toBe(Math.ceil(784 / 32) * 8 * (64 + 32 + 256 - 2));
    expect(j.energy.totalPJ).toBeCloseTo(j.energy.computePJ + j.energy.sramPJ + j.energy.dramPJ, 6);
    expect(j.accumulator.bitsNeeded).toBe(25);
    expect(existsSync(j.scaleSimFiles.cfg)).toBe(true);
    expect(readFileSync(j.scaleSimFiles.topology, 'utf8')).toBe('Layer, M, N, K,\ngemm, 256, 256, 784,\n');
  });
  it('human output and errors', async () => {
    const r = await run(['estimate', '--design', 'binary', '--gemm', '1,784,1024']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/cycles +\d+ in \d+ folds/);
    expect(r.out).toContain('bipolar x bipolar');
    const e = await run(['estimate', '--design', 'int8']);
    expect(e.code).toBe(2);
    expect(e.err).toContain('lowbit: estimate: name a workload: --gemm M,K,N');
    expect((await run(['estimate', '--gemm', '1,2,x'])).code).toBe(2);
  });
});
