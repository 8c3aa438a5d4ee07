/**
 * Property-based fuzzing of every CLI command's options (issue 17 item 6): a command given a malformed
 * value for one of its options, among otherwise valid ones, must exit 2 with one line on stderr naming the
 * problem, print nothing on stdout, show no stack trace, and leave the folder it runs in unchanged (nothing
 * half-written, nothing of the user's touched). The run count is bounded (LOWBIT_FUZZ_RUNS raises it).
 */
import { describe, expect, it, afterEach, vi } from 'vitest';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { runCli } from './helpers/cli.js';
import { saveQuantizedModel } from '../../src/model/format.js';
import { saveCheckpoint } from '../../src/model/checkpoint.js';
import { writeNpy } from '../../src/util/npy.js';
import { importOnnx } from '../../src/model/onnx/import.js';
import { qdqMlp, toQdq } from './fixtures/model/qdq.js';
import { Rng } from '../../src/util/rng.js';

const RUNS = Number(process.env.LOWBIT_FUZZ_RUNS ?? 40);

/** Every file under `dir` with a hash of its content: the "nothing changed" fingerprint. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) {
        out.push(`${p}/`);
        walk(p);
      } else out.push(`${p} ${createHash('sha1').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(dir);
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'lowbit-fuzzcli-'));
const model = join(dir, 'model');
saveQuantizedModel(importOnnx(toQdq(qdqMlp(new Rng(2), [784, 16, 10], { type: 'int', bits: 8, signed: true }, false), { gemm: true }), { name: 'fz' }), model);
const ckpt = join(dir, 'ckpt');
saveCheckpoint(ckpt, {
  format: 'lowbit-fp32', version: 1, arch: 'fz', inputShape: [784],
  layers: [{ kind: 'dense', in: 784, out: 10, weight: new Float32Array(7840).fill(0.01), bias: null }],
});
const space = join(dir, 'space.json');
writeFileSync(space, JSON.stringify({ base: 'int8', schemes: { a: { model, design: {} } }, axes: { scheme: ['a'], array: ['4x4'] } }));
writeNpy(join(dir, 'A.npy'), { data: Int8Array.of(1, 2, 3, 4), shape: [2, 2] });
writeNpy(join(dir, 'W.npy'), { data: Int8Array.of(1, 2, 3, 4), shape: [2, 2] });
writeNpy(join(dir, 'x.npy'), { data: new Float32Array(784), shape: [1, 784] });
writeNpy(join(dir, 'L.npy'), { data: Int32Array.of(0), shape: [1] });
writeFileSync(join(dir, 'a.v'), 'module t(input wire clk_i); endmodule\n');
mkdirSync(join(dir, 'user'));
writeFileSync(join(dir, 'user', 'thesis.tex'), 'precious');
writeFileSync(join(dir, 'notes.txt'), 'precious');
const out = join(dir, 'out');

const NUM_GARBAGE = ['abc', 'NaN', '1e999', '-1e999', 'Infinity', '0x1g'];

/** [command and valid options, option, malformed values beyond the numeric garbage (null: a string option)] */
const CASES: [string[], string, string[] | null][] = [
  [['simulate', '--random', '2,2,2'], '--seed', ['-1', '1.5', '4294967296']],
  [['simulate', '--a', join(dir, 'A.npy'), '--w', join(dir, 'W.npy')], '--out', null],
  [['simulate', '--seed', '1'], '--random', ['0,1,1', '1,1', '1e9,1e9,1e9', '-1,2,3', '1.5,2,3']],
  [['simulate', '--random', '2,2,2'], '--array', ['0x4', '4x', 'x', '100000x1', '4X4']],
  [['simulate', '--random', '2,2,2'], '--design', ['int88', '', '/nonexistent.json', dir]],
  [['simulate', '--random', '2,2,2'], '--max-memory', ['0', '-5M', 'lots', '1Q']],
  [['estimate', '--gemm', '4,4,4'], '--array', ['0x0', '3by3']],
  [['estimate', '--design', 'int8'], '--gemm', ['0,0,0', 'a,b,c', '1,2']],
  [['estimate', '--model', model, '--no-area'], '--batch', ['0', '-1', '1.5']],
  [['estimate', '--gemm', '4,4,4'], '--batch', ['2']],
  [['estimate', '--model', model, '--no-area'], '--pe', ['adder', 'AUTO']],
  [['quantize', '--checkpoint', ckpt, '--out', out], '--calib-images', ['0', '-1', '1.5', '60001']],
  [['quantize', '--checkpoint', ckpt, '--out', out], '--images', ['-1', '2.5']],
  [['quantize', '--checkpoint', ckpt, '--images', '0'], '--out', [join(dir, 'user'), join(dir, 'notes.txt')]],
  [['quantize', '--checkpoint', ckpt, '--out', out, '--images', '0'], '--scheme', ['w0a8', 'w99a99', 'x', '']],
  [['quantize', '--checkpoint', ckpt, '--out', out, '--images', '0'], '--calib', ['percentile:101', 'kll', '']],
  [['quantize', '--checkpoint', ckpt, '--out', out, '--images', '0'], '--variant', ['doubel', 'x']],
  [['compress', '--checkpoint', ckpt, '--out', out], '--prune', ['1', '-0.1', '2']],
  [['compress', '--checkpoint', ckpt, '--out', out], '--clusters', ['-1', '1.5', '65537']],
  [['compress', '--checkpoint', ckpt, '--images', '0'], '--out', [join(dir, 'user'), join(dir, 'notes.txt')]],
  [['train', '--arch', 'tfc', '--out', out], '--epochs', ['0', '-1', '1.5']],
  [['train', '--arch', 'tfc', '--out', out], '--lr', ['0', '-1', '11']],
  [['train', '--arch', 'tfc', '--out', out], '--hidden', ['0', '-1', '1.5', '100000,100000', ',', '']],
  [['train', '--arch', 'tfc', '--out', out], '--dropout', ['1', '-0.1']],
  [['train', '--arch', 'tfc', '--out', out], '--train-images', ['0', '-5']],
  [['train', '--arch', 'tfc', '--out', out], '--val-images', ['-1', '60000']],
  [['train', '--arch', 'tfc', '--out', out], '--shift', ['9', '-1']],
  [['train', '--arch', 'tfc', '--out', out], '--method', ['bnn', 'pact']],
  [['train', '--arch', 'tfc', '--wbits', '2', '--abits', '2', '--out', out], '--method', ['bnnn', 'x']],
  [['train', '--arch', 'tfc'], '--out', [join(dir, 'user'), join(dir, 'notes.txt')]],
  [['sweep', '--space', space, '--out', join(dir, 'r.jsonl')], '--jobs', ['0', '-1', '257', '1.5']],
  [['sweep', '--space', space, '--out', join(dir, 'r.jsonl')], '--shard', ['0/1', '2/1', '1/0', 'a/b', '1']],
  [['sweep', '--space', space, '--no-area'], '--out', [join(dir, 'notes.txt'), join(dir, 'user')]],
  [['sweep', '--out', join(dir, 'r.jsonl')], '--space', [join(dir, 'notes.txt'), dir, join(dir, 'nope.json')]],
  [['report', '--out', out], '--input', [join(dir, 'nope.jsonl'), dir, join(dir, 'notes.txt'), '/dev/zero']],
  [['report', '--input', join(dir, 'nope.jsonl')], '--out', [join(dir, 'user')]],
  [['infer', '--model', model, '--input', join(dir, 'x.npy')], '--out', [join(dir, 'notes.txt'), join(dir, 'user')]],
  [['infer', '--model', model, '--input', join(dir, 'x.npy')], '--requant', ['fixd', '']],
  [['infer', '--model', model], '--input', [join(dir, 'notes.txt'), dir, '/dev/zero', join(dir, 'A.npy')]],
  [['run', '--model', model, '--design', 'int8'], '--images', ['0', '-1', '10001', '1.5']],
  [['run', '--model', model, '--design', 'int8'], '--rtl-images', ['0', '3']],
  [['run', '--model', model, '--design', 'int8', '--images', '1'], '--out', [join(dir, 'user'), join(dir, 'notes.txt')]],
  [['verify', '--unit', 'mac_pe'], '--cases', ['0', '-1', '1.5', '10000001']],
  [['verify', '--unit', 'mac_pe'], '--seed', ['-1', '4294967296']],
  [['verify', '--unit', 'mac_pe'], '--jobs', ['0', '257']],
  [['demo', '--images', '1'], '--out', [join(dir, 'user'), join(dir, 'notes.txt')]],
  [['demo', '--out', out], '--images', ['0', '10001']],
  [['export', '--model', model], '--out', [join(dir, 'notes.txt'), join(dir, 'user')]],
  [['export', '--model', model, '--out', join(dir, 'm.onnx')], '--format', ['onx', 'qdq', '']],
  [['export', '--out', join(dir, 'm.onnx')], '--model', [join(dir, 'nope'), join(dir, 'notes.txt'), join(dir, 'user'), 'sfc-w1a']],
  [['verify', '--rtl', join(dir, 'a.v'), '--top', 't', '--design', 'int8'], '--bind', [join(dir, 'nope.json'), join(dir, 'notes.txt'), join(dir, 'user'), '/dev/zero']],
  [['verify', '--unit', 'mac_pe'], '--top', ['t']],
  [['verify', '--unit', 'mac_pe'], '--bind', [join(dir, 'b.json')]],
  [['verify', '--rtl', join(dir, 'a.v'), '--top', 't', '--design', 'int8', '--bind', join(dir, 'b.json')], '--jobs', ['2']],
  [['verify'], '--unit', ['mac_p', '', join(dir, 'notes.txt')]],
  [['run', '--model', model, '--design', 'int8', '--images', '1'], '--batch', ['0', '-1', '1.5', '99999']],
  [['run', '--model', model, '--design', 'int8', '--images', '1'], '--jobs', ['2']],
  [['run', '--model', model, '--design', 'int8', '--images', '1'], '--rtl-seconds', ['5']],
  [['run', '--model', model, '--design', 'int8', '--images', '1', '--rtl'], '--rtl-seconds', ['0', '-1', '1.5', '86401']],
  [['run', '--model', model, '--design', 'int8', '--images', '1', '--rtl'], '--jobs', ['0', '257', '1.5']],
  [['run', '--model', model, '--design', 'int8', '--images', '1', '--labels', join(dir, 'L.npy')], '--input', [join(dir, 'notes.txt'), join(dir, 'user'), join(dir, 'A.npy'), '/dev/zero']],
  [['run', '--model', model, '--design', 'int8', '--images', '1', '--input', join(dir, 'x.npy')], '--labels', [join(dir, 'notes.txt'), join(dir, 'A.npy'), join(dir, 'x.npy')]],
  [['run', '--model', model, '--images', '1'], '--design', ['int88', join(dir, 'notes.txt'), join(dir, 'user')]],
  [['sweep', '--space', space, '--out', join(dir, 'r.jsonl')], '--batch', ['0', '-1', '1.5']],
  [['estimate', '--model', model, '--no-area'], '--energy', [join(dir, 'nope.json'), join(dir, 'notes.txt'), join(dir, 'user')]],
  [['estimate', '--model', model, '--no-area', '--accuracy'], '--images', ['0', '-1', '10001']],
  [['quantize', '--checkpoint', ckpt, '--out', out, '--images', '0'], '--calib-data', [join(dir, 'notes.txt'), join(dir, 'user'), join(dir, 'A.npy'), '/dev/zero', join(dir, 'nope.npy')]],
  [['quantize', '--checkpoint', ckpt, '--out', out, '--images', '0'], '--override', ['frist=w8a8', 'first=w0a8', '=', '99=w8a8']],
  [['infer', '--model', model, '--input', join(dir, 'x.npy')], '--labels', [join(dir, 'notes.txt'), join(dir, 'A.npy'), join(dir, 'user')]],
  [['train', '--arch', 'tfc', '--out', out], '--batch-size', ['0', '-1', '1.5', '60001']],
  [['train', '--arch', 'tfc', '--out', out], '--wbits', ['0', '33', '1.5']],
  [['train', '--arch', 'tfc', '--wbits', '2', '--abits', '2', '--out', out], '--grad-bits', ['0', '17', '1.5']],
  [['train', '--arch', 'tfc', '--wbits', '2', '--abits', '2', '--out', out], '--first-bits', ['0', '17']],
  [['train', '--arch', 'tfc', '--out', out], '--input-dropout', ['1', '-0.1']],
  [['train', '--arch', 'tfc', '--epochs', '2', '--state', join(dir, 'st'), '--out', out], '--stop-after', ['0', '-1', '3']],
  [['train', '--arch', 'tfc', '--out', out], '--precision', ['fp9', 'FP16', '']],
  [['compress', '--checkpoint', ckpt, '--out', out], '--seed', ['-1', '1.5']],
  [['compress', '--checkpoint', ckpt, '--out', out], '--images', ['-1', '1.5']],
];

/** Options given where they do not apply or together with one they conflict with: refused, not ignored. */
const NOT_APPLICABLE: [string[], string][] = [
  [['infer', '--model', model, '--input', join(dir, 'x.npy'), '--dequantize'], '--dequantize'],
  [['run', '--model', model, '--design', 'int8', '--images', '1', '--jobs', '2'], '--jobs'],
  [['run', '--model', model, '--design', 'int8', '--images', '1', '--rtl-images', '3'], '--rtl-images'],
  [['run', '--model', model, '--design', 'int8', '--images', '1', '--input', join(dir, 'x.npy'), '--labels', join(dir, 'L.npy'), '--data', dir], '--data'],
  [['verify', '--rtl', join(dir, 'a.v'), '--top', 't', '--design', 'int8', '--bind', join(dir, 'b.json'), '--in-process'], '--in-process'],
  [['verify', '--rtl', join(dir, 'a.v'), '--top', 't', '--design', 'int8', '--bind', join(dir, 'b.json'), '--unit', 'mac_pe'], '--unit'],
  [['estimate', '--gemm', '4,4,4', '--batch', '2'], '--batch'],
  [['estimate', '--gemm', '4,4,4', '--pe', 'auto'], '--pe'],
  [['estimate', '--model', model, '--no-area', '--images', '5'], '--images'],
  [['train', '--arch', 'tfc', '--method', 'bnn'], '--method'],
  [['train', '--arch', 'tfc', '--epochs', '2', '--stop-after', '1'], '--stop-after'],
  [['train', '--arch', 'tfc', '--rounding', 'stochastic'], '--rounding'],
  [['compress', '--checkpoint', ckpt, '--huffman'], '--huffman'],
  [['quantize', '--model', join(dir, 'm.onnx'), '--calib-data', join(dir, 'x.npy')], '--calib-data'],
  [['quantize', '--model', join(dir, 'm.onnx'), '--scheme', 'w4a4'], '--scheme'],
];

afterEach(() => vi.restoreAllMocks());

describe('fuzzing every command\'s options (fast-check)', () => {
  it('every case fails for the reason it names (each option checked once)', async () => {
    const before = snapshot(dir);
    for (const [base, opt, extra] of CASES) {
      const val = (extra ?? [join(dir, 'notes.txt')])[0]!;
      const r = await runCli([...base, opt, val]);
      expect(snapshot(dir), `${base.join(' ')} ${opt} ${val}: ${r.err}`).toEqual(before);
      expect(r.code, `${base.join(' ')} ${opt} ${val}: ${r.err}`).toBe(2);
      const name = opt.replace(/^--/, '');
      expect(r.err, `${base.join(' ')} ${opt} ${val}`).toMatch(new RegExp(`${name}|${val.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'i'));
    }
  }, 120_000);
  it('an option that does not apply is refused (exit 2, one line naming it), not ignored', async () => {
    const before = snapshot(dir);
    for (const [args, opt] of NOT_APPLICABLE) {
      const r = await runCli(args);
      const what = `lowbit ${args.join(' ')} -> ${r.code}: ${r.err}`;
      expect(r.code, what).toBe(2);
      expect(r.err, what).toMatch(/^lowbit: [^\n]+\n$/);
      expect(r.err, what).toContain(opt);
      expect(snapshot(dir), what).toEqual(before);
    }
  }, 120_000);
  it('a malformed option value exits 2 with one line, no stack, nothing written', async () => {
    const before = snapshot(dir);
    const arb = fc.integer({ min: 0, max: CASES.length - 1 }).chain((k) => {
      const [base, opt, extra] = CASES[k]!;
      const vals = extra === null ? [join(dir, 'notes.txt'), join(dir, 'user')] : [...extra, ...(extra.some((v) => /^[\d.-]/.test(v)) || opt === '--seed' ? NUM_GARBAGE : [])];
      return fc.tuple(fc.constant(base), fc.constant(opt), fc.constantFrom(...vals), fc.boolean());
    });
    await fc.assert(fc.asyncProperty(arb, async ([base, opt, val, json]) => {
      const args = [...base, opt, val, ...(json ? ['--json'] : [])];
      const r = await runCli(args);
      const what = `lowbit ${args.join(' ')} -> ${r.code}: ${r.err}`;
      expect(r.code, what).toBe(2);
      expect(r.err, what).toMatch(/^lowbit: [^\n]+\n$/);
      expect(r.err, what).not.toMatch(/internal error|\n\s+at /);
      expect(r.out, what).toBe('');
      expect(snapshot(dir), what).toEqual(before);
    }), { numRuns: RUNS, endOnFailure: true });
  }, 120_000 * Math.max(1, RUNS / 40)); // the bound grows with the run count (test/slow/fuzz_long.test.ts)

});
