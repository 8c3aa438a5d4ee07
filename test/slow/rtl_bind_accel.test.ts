import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cacheRoot } from '../../src/rtl/build.js';
import { runCli } from '../unit/helpers/cli.js';
import { loadMutations, runBoundMutant } from '../../src/rtl/bind/mutate.js';
import type { BoundJob } from '../../src/rtl/bind/verify.js';
import { testSeed } from '../../src/util/rng.js';

/**
 * Slow tier: every injected bug of the user accelerator examples/rtl/bnn_mlp (a threshold tie taken the
 * wrong way, activation buffers not swapped, parameter words stored one address off, a logit dropped under
 * backpressure, thresholds read from the wrong half-word, pixels taken as signed, a hang) is reported as a mismatch
 * naming its first bad image and output transaction, and the reproducer written with it replays the same
 * first mismatch. One Verilator build per mutant; sfc-w1a1 over 40 images each.
 */
const seed = testSeed(3);
const DIR = resolve('examples/rtl/bnn_mlp');
const job: BoundJob = { files: [join(DIR, 'bnn_mlp.sv')], top: 'bnn_mlp', includeDirs: [], defines: [], params: {}, bind: join(DIR, 'bind.json'), model: 'sfc-w1a1', seed, cases: 40 };

describe('mutations of the user accelerator (slow tier)', () => {
  it(`bnn_mlp on sfc-w1a1: every mutant is caught at a named image (seed ${seed})`, async () => {
    for (const m of loadMutations(join(DIR, 'mutations.json'))) {
      const r = await runBoundMutant(job, m);
      expect(r.how, `mutant ${m.id}`).toBe('mismatch');
      // a wrong value names the image; a hang ends at the no-handshake limit with the next image's beat never taken
      expect(r.outcome!.first, m.id).toMatch(/^((value|missing|unexpected) image \d+, output|stalled input) transaction \d+, cycle \d+$/);
      const report = r.outcome!.report!;
      expect(report).toMatch(/\n  first mismatch: (image \d+, output transaction \d+ on outputs\[0\]|input transaction \d+ on inputs\[0\] was never accepted)/);
      expect(report).toMatch(/\n  parameter image: 6184 words of 64 bits, the last taken in cycle \d+/);
      expect(report).toMatch(/\n  reproduce: lowbit verify --rtl .* --model sfc-w1a1 --seed \d+ --vectors .*\.inputs\.json --keep-vcd/);
      const sh = /\n  reproduce: (.*)/.exec(report)![1].match(/--vectors (\S+)\.inputs\.json/)![1];
      expect(existsSync(`${sh}.reproduce.sh`)).toBe(true);
      expect(readFileSync(`${sh}.reproduce.sh`, 'utf8')).toContain('--model sfc-w1a1');
    }
  });

  it('the bug in a user\'s own folder: the printed reproduce line, run through a shell, gives the same first mismatch', async () => {
    const [m] = loadMutations(join(DIR, 'mutations.json')).filter((x) => x.id === 'bnn-load-off-by-one');
    const dir = mkdtempSync(join(tmpdir(), 'lowbit-bnn-bug-'));
    writeFileSync(join(dir, 'bnn_mlp.sv'), readFileSync(join(DIR, 'bnn_mlp.sv'), 'utf8').replace(m.find, m.replace));
    const vcdDir = join(dir, 'vcd');
    const r = await runCli(['verify', '--rtl', join(dir, 'bnn_mlp.sv'), '--top', 'bnn_mlp', '--bind', join(DIR, 'bind.json'), '--model', 'sfc-w1a1', '--cases', '30', '--seed', String(seed), '--vcd-dir', vcdDir]);
    expect(r.code).toBe(1);
    const first = /\n  first mismatch: (image 0, output transaction 0 on outputs\[0\], cycle \d+: field y \(port y_data, lane 0 of 1\))\n/.exec(r.out)![1];
    const cmd = /\n  reproduce: (.+)/.exec(r.out)![1];
    expect(cmd).toBe(`lowbit verify --rtl ${join(dir, 'bnn_mlp.sv')} --top bnn_mlp --bind ${join(DIR, 'bind.json')} --model sfc-w1a1 --seed ${seed} --vectors ${join(vcdDir, `bnn_mlp-sfc-w1a1-seed${seed}.inputs.json`)} --keep-vcd`);
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'lowbit'), `#!/bin/sh\nexec node --import ${pathToFileURL(createRequire(resolve('package.json')).resolve('tsx')).href} ${resolve('src/cli/main.ts')} "$@"\n`);
    chmodSync(join(bin, 'lowbit'), 0o755);
    const again = spawnSync('sh', ['-c', cmd], { cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, LOWBIT_CACHE: cacheRoot() } });
    expect(again.status).toBe(1);
    expect(again.stdout).toContain(`first mismatch: ${first}`);
  });
});
