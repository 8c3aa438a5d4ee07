import { describe, expect, it, afterEach, vi } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { encodeIdx } from '../../src/data/idx.js';
import { reportFailure } from '../../src/cli/fail.js';
import { OUTPUT_MARKER } from '../../src/util/fsafe.js';

// The examples of issue 17, each through the CLI: what used to destroy data, crash or be accepted now
// exits 2 with one line and leaves the user's files as they were.
afterEach(() => vi.restoreAllMocks());
const results = join(__dirname, '..', '..', 'reports', 'sweep', 'results.jsonl');

function idxFolder(rows: number, label: number): string {
  const d = mkdtempSync(join(tmpdir(), 'lowbit-idx-'));
  for (const [name, n] of [['train', 20], ['t10k', 10]] as const) {
    writeFileSync(join(d, `${name}-images-idx3-ubyte`), encodeIdx({ type: 'uint8', dims: [n, rows, rows], data: new Uint8Array(n * rows * rows) }));
    writeFileSync(join(d, `${name}-labels-idx1-ubyte`), encodeIdx({ type: 'uint8', dims: [n], data: new Uint8Array(n).fill(label) }));
  }
  return d;
}

describe('issue 17 examples through the CLI', () => {
  it("report --out into a user's folder refuses and keeps every file; --force replaces it; a rerun replaces its own", async () => {
    const d = mkdtempSync(join(tmpdir(), 'lowbit-rel-'));
    const mine = join(d, 'mine');
    mkdirSync(mine);
    writeFileSync(join(mine, 'thesis.tex'), 'precious');
    const r = await runCli(['report', '--input', results, '--out', mine]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^lowbit: --out .*mine: is a folder lowbit did not write \(1 entry, e\.g\. thesis\.tex\); not replacing it \(choose another path or pass --force\)\n$/);
    expect(readdirSync(mine)).toEqual(['thesis.tex']);
    expect((await runCli(['report', '--input', results, '--out', join(d, 'r')])).code).toBe(0);
    expect((await runCli(['report', '--input', results, '--out', join(d, 'r')])).code).toBe(0);
    expect(readdirSync(join(d, 'r'))).toContain(OUTPUT_MARKER);
    expect((await runCli(['report', '--input', results, '--out', mine, '--force'])).code).toBe(0);
    expect(readdirSync(d).sort()).toEqual(['mine', 'r']);
  }, 60_000);

  it('sweep --out on a notes file refuses and leaves it byte for byte', async () => {
    const d = mkdtempSync(join(tmpdir(), 'lowbit-rel-'));
    writeFileSync(join(d, 'notes.txt'), 'my notes, no newline');
    const r = await runCli(['sweep', '--space', join(__dirname, '..', '..', 'reports', 'sweep', 'space.json'), '--out', join(d, 'notes.txt')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/notes\.txt: line 1 is not a sweep result/);
    expect(readFileSync(join(d, 'notes.txt'), 'utf8')).toBe('my notes, no newline');
    expect(readdirSync(d)).toEqual(['notes.txt']);
  });

  it('train refuses images that are not 28x28 and labels outside 0..9 before training', async () => {
    for (const [rows, label, msg] of [[14, 1, /images are 14x14; allowed: 28x28/], [28, 255, /label 0 is 255; allowed: 0\.\.9/]] as const) {
      const out = join(mkdtempSync(join(tmpdir(), 'lowbit-rel-')), 'm');
      const r = await runCli(['train', '--arch', 'tfc', '--epochs', '1', '--val-images', '5', '--data', idxFolder(rows, label), '--out', out]);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(msg);
    }
  });

  it('missing files, folders given as files and oversized requests: one line, exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['quantize', '--model', '/nonexistent/m.onnx'], /ONNX model \/nonexistent\/m\.onnx: does not exist/],
      [['report', '--input', tmpdir(), '--out', join(tmpdir(), 'lowbit-never')], /--input .*: is a folder; give a file/],
      [['train', '--arch', 'sfc', '--hidden', '100000,100000'], /needs .* GiB; the memory budget is .*--max-memory/],
      [['simulate', '--random', '16384,16384,16384'], /allowed: at most 2\^33/],
      // the measured estimates (docs/reliability.md): 2x(A+W+Y) = 24 MiB; 40 B a parameter = 229.5 MiB
      [['simulate', '--random', '1024,1024,1024', '--max-memory', '20M'], /needs 24\.0 MiB; the memory budget is 20\.0 MiB/],
      [['train', '--arch', 'tfc', '--hidden', '2048,2048', '--epochs', '1', '--train-images', '1', '--max-memory', '200M'], /5820416 parameters .* needs 22\d\.\d MiB; the memory budget is 200\.0 MiB/],
      [['train', '--arch', 'sfc', '--epochs', '0'], /--epochs: got 0; allowed: an integer 1\.\.100000/],
      [['train', '--arch', 'sfc', '--lr', '1e999'], /--lr: got Infinity/],
      [['train', '--arch', 'sfc', '--method', 'bnn'], /--method does not apply here/],
      [['train', '--arch', 'sfc', '--wbits', '2', '--abits', '2', '--method', 'pactt'], /did you mean pact\?/],
      [['estimate', '--gemm', '4,4,4', '--model', 'sfc-w1a1'], /not both/],
      [['simulate', '--random', '2,2,2', '--seed'], /--seed needs a value/],
      [['train', '--arch', 'tfc', '--hidden', '--epochs', '1'], /--hidden needs a value/],
    ];
    for (const [args, msg] of cases) {
      const r = await runCli(args);
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
  });

  it('a bug prints one line without a stack unless LOWBIT_DEBUG=1', () => {
    const bug = new TypeError('x is undefined');
    let s = '';
    expect(reportFailure(bug, (t) => (s += t))).toBe(2);
    expect(s).toBe('lowbit: internal error (a bug in lowbit): TypeError: x is undefined; please report it with the command line (LOWBIT_DEBUG=1 prints the stack)\n');
    process.env.LOWBIT_DEBUG = '1';
    try {
      s = '';
      reportFailure(bug, (t) => (s += t));
      expect(s).toMatch(/internal error: TypeError: x is undefined\n\s+at /);
    } finally {
      delete process.env.LOWBIT_DEBUG;
    }
  });
});
