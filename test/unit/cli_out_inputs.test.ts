import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { saveCheckpoint } from '../../src/model/checkpoint.js';
import { Rng } from '../../src/util/rng.js';
import { runCli } from './helpers/cli.js';
import { tinyMlpCheckpoint } from './helpers/tiny_checkpoint.js';

/**
 * An output folder is never one of the command's inputs nor a folder holding one, even with --force: the
 * folder swap would delete the input (`compress --checkpoint ck --out ck` replaced the FP32 checkpoint).
 * One line, exit 2, the input byte for byte as before.
 */
describe('--out never replaces an input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lowbit-out-inputs-'));
  const ck = join(dir, 'ck');
  saveCheckpoint(ck, tinyMlpCheckpoint(new Rng(77)));
  const snapshot = (d: string) => Object.fromEntries(readdirSync(d).sort().map((f) => [f, readFileSync(join(d, f)).toString('hex')]));

  it('compress, quantize, run, report: refused naming the input; the input kept', async () => {
    const before = snapshot(ck);
    const q = join(dir, 'q');
    const made = await runCli(['quantize', '--checkpoint', ck, '--images', '0', '--calib-images', '10', '--out', q]);
    expect(made.code, made.err).toBe(0);
    const rep = join(dir, 'rep');
    mkdirSync(rep);
    writeFileSync(join(rep, 'estimate.json'), '{}');
    const cases: [string[], string][] = [
      [['compress', '--checkpoint', ck, '--clusters', '4', '--images', '0', '--out', ck], `--out ${ck}: is the --checkpoint folder or file; writing there would replace your input; choose another path`],
      [['compress', '--checkpoint', ck, '--clusters', '4', '--images', '0', '--out', dir, '--force'], `--out ${dir}: holds the --checkpoint ${ck}; replacing the folder would delete your input; choose another path`],
      [['quantize', '--checkpoint', ck, '--images', '0', '--out', ck, '--force'], 'is the --checkpoint folder or file'],
      [['run', '--model', q, '--images', '1', '--out', q, '--force'], `--out ${q}: is the --model folder or file`],
      [['report', '--input', join(rep, 'estimate.json'), '--out', rep, '--force'], `--out ${rep}: holds the --input ${join(rep, 'estimate.json')}`],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect(r.err, args.join(' ')).toContain(message);
      expect(r.err).toMatch(/^lowbit: [^\n]*\n$/);
      expect(r.code).toBe(2);
    }
    expect(snapshot(ck)).toEqual(before);
    expect(readFileSync(join(rep, 'estimate.json'), 'utf8')).toBe('{}');
    // another folder is fine
    const ok = await runCli(['compress', '--checkpoint', ck, '--clusters', '4', '--images', '0', '--out', join(dir, 'ck4')]);
    expect(ok.code, ok.err).toBe(0);
  });
});
