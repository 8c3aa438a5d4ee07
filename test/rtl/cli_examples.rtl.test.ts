import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandModule } from 'yargs';
import { runCli as run } from '../unit/helpers/cli.js';
import { commands } from '../../src/cli/commands/index.js';
import { loadMnist } from '../../src/data/mnist.js';
import { writeNpy } from '../../src/util/npy.js';

/**
 * Every command's help has at least one example, and the first example of each runs as printed (exit 0)
 * from an empty folder, in the order a user would meet them: `train` makes the checkpoint `quantize` and
 * `compress` take, `sweep` the results `sweep merge` and `report` read. Two inputs the examples name are
 * the user's own data, written here: `x.npy` (five MNIST test images, float32 [5, 784]) and `space.json`
 * (a two-point space over a shipped model).
 */

interface Examples {
  path: string;
  examples: string[];
}

/** The examples of a command and its subcommands, collected by running its builder on a recorder. */
function collect(c: CommandModule, path: string, into: Examples[]): Examples[] {
  const examples: string[] = [];
  const subs: CommandModule[] = [];
  const recorder: unknown = new Proxy(() => undefined, {
    get: (_t, key) => {
      if (key === 'example') return (cmd: string) => (examples.push(cmd.replace(/^\$0 /, '')), recorder);
      if (key === 'command') return (m: CommandModule) => (subs.push(m), recorder);
      return () => recorder;
    },
  });
  if (typeof c.builder === 'function') (c.builder as (y: unknown) => unknown)(recorder);
  // a default subcommand ('$0') is the command itself
  const own = subs.filter((s) => String(s.command).startsWith('$0'));
  for (const s of own) collect(s, path, []).forEach((e) => examples.push(...e.examples));
  into.push({ path, examples });
  for (const s of subs.filter((x) => !own.includes(x))) collect(s, `${path} ${String(s.command).split(' ')[0]}`, into);
  return into;
}

const all: Examples[] = [];
for (const c of commands) collect(c as CommandModule, String(c.command).split(' ')[0], all);

const ORDER = ['train', 'autoquant', 'quantize', 'export', 'compress', 'simulate', 'estimate', 'infer', 'run', 'sweep', 'sweep merge', 'report', 'verify', 'demo'];

describe('the examples in every command\'s help', () => {
  const cwd = process.cwd();
  const dir = mkdtempSync(join(tmpdir(), 'lowbit-examples-'));
  beforeAll(() => {
    const t = loadMnist('test');
    const px = t.rows * t.cols;
    const x = new Float32Array(5 * px);
    for (let i = 0; i < x.length; i++) x[i] = t.images[i] / 255;
    writeNpy(join(dir, 'x.npy'), { data: x, shape: [5, px] });
    writeFileSync(join(dir, 'space.json'), JSON.stringify({
      base: { base: 'binary-mnist' },
      schemes: { w1a1: { model: 'sfc-w1a1', design: {} } },
      axes: { array: ['8x8', '16x16'] },
      seed: 1,
      images: 0,
    }));
    process.chdir(dir);
  });
  afterAll(() => process.chdir(cwd));

  it('every command and subcommand has one, and the order below covers them all', () => {
    for (const c of all) expect(c.examples.length, `${c.path} --help has no example`).toBeGreaterThan(0);
    expect(all.map((c) => c.path).sort()).toEqual([...ORDER].sort());
  });

  for (const path of ORDER) {
    it(`lowbit ${path}: the first example runs`, async () => {
      const ex = all.find((c) => c.path === path)!.examples[0];
      const r = await run(ex.split(/\s+/).filter((a) => a !== 'lowbit'));
      expect(r.code, `lowbit ${ex}\n${r.err}`).toBe(0);
      expect(r.out.length).toBeGreaterThan(0);
      const out = /--out (\S+)/.exec(ex)?.[1];
      if (out !== undefined) expect(existsSync(join(dir, out)), `${out} written`).toBe(true);
    });
  }
});
