import { describe, it, expect } from 'vitest';
import { runCli } from './helpers/cli.js';
import { closest } from '../../src/util/suggest.js';

describe('lowbit command line', () => {
  it('--help lists every command', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['train', 'quantize', 'compress', 'infer', 'simulate', 'estimate', 'verify', 'run', 'sweep', 'report', 'demo']) {
      expect(r.out).toMatch(new RegExp(`lowbit ${c} `));
    }
  });

  it('a mistyped command or option exits 2 with "did you mean"', async () => {
    const cmd = await runCli(['simulat']);
    expect(cmd.code).toBe(2);
    expect(cmd.err).toMatch(/Did you mean simulate\?/);
    const opt = await runCli(['run', '--model', 'models/sfc-w1a1', '--desing', 'int8']);
    expect(opt.code).toBe(2);
    expect(opt.err).toBe('lowbit: Unknown argument: desing (--desing: did you mean --design?); see --help\n');
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/name a command/);
  });

  it('an option given twice exits 2 unless it is declared as a list', async () => {
    const twice = await runCli(['train', '--arch', 'tfc', '--seed', '1', '--seed', '2']);
    expect(twice.code).toBe(2);
    expect(twice.err).toBe('lowbit: --seed given 2 times (1, 2): give it once\n');
    // --input takes several files, also as repeated options: the files are read (and here missing)
    const list = await runCli(['report', '--input', '/nonexistent/a.jsonl', '--input', '/nonexistent/b.jsonl', '--out', '/tmp/lowbit-never']);
    expect(list.err).not.toMatch(/given 2 times/);
    expect(list.err).toMatch(/nonexistent\/a\.jsonl/);
  });

  it('closest: the nearest allowed name within a third of its length', () => {
    expect(closest('rwos', ['rows', 'cols', 'dataflow'])).toBe('rows');
    expect(closest('xyzzy', ['rows', 'cols'])).toBeUndefined();
  });
});
