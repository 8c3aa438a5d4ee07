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

  it('closest: the nearest allowed name within a third of its length', () => {
    expect(closest('rwos', ['rows', 'cols', 'dataflow'])).toBe('rows');
    expect(closest('xyzzy', ['rows', 'cols'])).toBeUndefined();
  });
});
