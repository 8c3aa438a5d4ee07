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
    const all = 'verify, simulate, estimate, quantize, compress, train, infer, export, sweep, report, run, autoquant, demo';
    const cmd = await runCli(['simulat']);
    expect(cmd.code).toBe(2);
    expect(cmd.err).toBe(`lowbit: command: got "simulat"; allowed: one of ${all} (did you mean simulate?); see lowbit --help\n`);
    // a word near no command: the list, no guess (yargs' own guess was "Did you mean demo?" for foo)
    const foo = await runCli(['foo', '--images', '3']);
    expect(foo.code).toBe(2);
    expect(foo.err).toBe(`lowbit: command: got "foo"; allowed: one of ${all}; see lowbit --help\n`);
    const opt = await runCli(['run', '--model', 'models/sfc-w1a1', '--desing', 'int8']);
    expect(opt.code).toBe(2);
    expect(opt.err).toBe('lowbit: Unknown argument: desing (--desing: did you mean --design?); see --help\n');
    // global options before the command, with their values
    const before = await runCli(['--threads', '1', '--max-memory', '1G', 'simulate', '--random', '2,3,2', '--json']);
    expect(before.code, before.err).toBe(0);
    expect(JSON.parse(before.out).design).toBe('int8');
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/name a command/);
  });

  it('a missing required option names the option and the command\'s help', async () => {
    const one = await runCli(['run']);
    expect([one.code, one.err]).toEqual([2, 'lowbit: missing --model (required); see lowbit run --help\n']);
    const two = await runCli(['infer']);
    expect([two.code, two.err]).toEqual([2, 'lowbit: missing --model and --input (required); see lowbit infer --help\n']);
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
