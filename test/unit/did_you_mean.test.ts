/**
 * "Did you mean" for every value a user types from a list or a grammar (issue 17, options): one
 * implementation (`didYouMean` over `closest`, src/util/errors.ts and suggest.ts) behind option choices,
 * schemes, calibrations, overrides, presets, units, shipped models, formats and sweep-space names. Each case
 * is a near miss that must be refused with exit 2 and one line naming the value and the suggestion; a far
 * miss gets no suggestion.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { closest } from '../../src/util/suggest.js';
import { didYouMean } from '../../src/util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'lowbit-dym-'));
const space = (o: object): string => {
  const p = join(dir, `space${readdirSync(dir).length}.json`);
  writeFileSync(p, JSON.stringify(o));
  return p;
};
const scheme = { a8: { model: 'sfc-w4a4', design: {} } };

/** [command line, the suggestion the one-line error must end with] */
const NEAR: [string[], string][] = [
  [['quantize', '--checkpoint', 'nope', '--scheme', 'w8aa'], 'w8a8'],
  [['quantize', '--checkpoint', 'nope', '--scheme', 'ternery'], 'ternary'],
  [['quantize', '--checkpoint', 'nope', '--calib', 'minmx'], 'minmax'],
  [['quantize', '--checkpoint', 'nope', '--calib', 'percentil:99'], 'percentile:99'],
  [['quantize', '--checkpoint', 'nope', '--override', 'frist=w4a4'], 'first=w4a4'],
  [['quantize', '--checkpoint', 'nope', '--override', 'last=w4a'], 'w4a4'],
  [['quantize', '--checkpoint', 'nope', '--variant', 'singel'], 'single'],
  [['train', '--arch', 'sfcc'], 'sfc'],
  [['train', '--arch', 'tfc', '--wbits', '2', '--abits', '2', '--method', 'dorefaa'], 'dorefa'],
  [['train', '--arch', 'tfc', '--precision', 'bf61'], 'bf16'],
  [['train', '--arch', 'tfc', '--optimizer', 'adma'], 'adam'],
  [['simulate', '--random', '2,2,2', '--design', 'binery'], 'binary'],
  [['simulate', '--random', '2,2,2', '--dataflow', 'wss'], 'ws'],
  [['estimate', '--gemm', '4,4,4', '--design', 'int4x'], 'int4'],
  [['verify', '--unit', 'mac_arry'], 'mac_array'],
  [['infer', '--model', 'sfc-w1a', '--input', 'x.npy'], 'sfc-w1a1'],
  [['estimate', '--model', 'cnn-w4a', '--no-area'], 'cnn-w4a4'],
  [['infer', '--model', 'sfc-w1a1', '--input', 'x.npy', '--requant', 'onnxruntim'], 'onnxruntime'],
  [['export', '--model', 'sfc-w4a4', '--out', join(dir, 'm.onnx'), '--format', 'onx'], 'onnx'],
  [['sweep', '--no-area', '--out', join(dir, 'r.jsonl'), '--space', space({ base: 'int8', schemes: scheme, axes: { schem: ['a8'] } })], 'scheme'],
  [['sweep', '--no-area', '--out', join(dir, 'r.jsonl'), '--space', space({ base: 'int8', schemes: scheme, axes: { scheme: ['a8'], 'requant.mod': ['single'] } })], 'requant.mode'],
  [['sweep', '--no-area', '--out', join(dir, 'r.jsonl'), '--space', space({ base: 'int8', schemes: scheme, axes: { scheme: ['a9'] } })], 'a8'],
  [['sweep', '--no-area', '--out', join(dir, 'r.jsonl'), '--space', space({ base: 'inT4', schemes: scheme, axes: { scheme: ['a8'] } })], 'int4'],
  [['sweep', '--no-area', '--out', join(dir, 'r.jsonl'), '--space', space({ base: 'int8', schemes: scheme, axis: { scheme: ['a8'] } })], 'axes'],
];

describe('did you mean', () => {
  it.each(NEAR)('lowbit %j suggests %s', async (args, near) => {
    const r = await runCli(args);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/^lowbit: [^\n]+\n$/);
    expect(r.err).toContain(`(did you mean ${near}?)`);
    expect(r.out).toBe('');
  });

  it('a far miss gets the allowed values but no suggestion', async () => {
    for (const args of [
      ['quantize', '--checkpoint', 'nope', '--scheme', 'w32a32'],
      ['quantize', '--checkpoint', 'nope', '--calib', 'percentile:abc'],
      ['simulate', '--random', '2,2,2', '--design', 'systolic-float'],
    ]) {
      const r = await runCli(args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/allowed: /);
      expect(r.err).not.toContain('did you mean');
    }
  });

  it('closest: within max(2, len/3) edits, case-insensitive, never a complete replacement', () => {
    expect(closest('OS', ['os', 'ws'])).toBe('os');
    expect(closest('tf', ['tfc', 'sfc'])).toBe('tfc');
    expect(closest('b', ['a'])).toBeUndefined();
    expect(closest('xy', ['ab'])).toBeUndefined();
    expect(closest('percentil', ['minmax', 'percentile'])).toBe('percentile');
    expect(closest('lsqq', [])).toBeUndefined();
    expect(didYouMean(7, ['7'])).toBe('');
    expect(didYouMean('lastt', ['first', 'last'], (n) => `${n}=w8a8`)).toBe(' (did you mean last=w8a8?)');
  });
});
