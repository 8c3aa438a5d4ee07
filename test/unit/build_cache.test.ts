import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildHash, cacheRoot, formatParam, verilatorVersion, type BuildRequest } from '../../src/rtl/build.js';
import { userCacheDir } from '../../src/util/cache.js';
import { packageRoot } from '../../src/util/package.js';
import { checkPorts, decodeOutputs, encodeStimulus, portsHeader, vectorWords } from '../../src/rtl/harness.js';
import type { PortSpec } from '../../src/rtl/unit.js';
import { Rng, testSeed } from '../../src/util/rng.js';

const dir = mkdtempSync(join(tmpdir(), 'lowbit-build-cache-'));
const rtl = join(dir, 'm.v');
writeFileSync(rtl, 'module m(input wire clk_i, input wire rst_ni, output wire y_o); assign y_o = 1\'b0; endmodule\n');
const ports: PortSpec[] = [
  { name: 'a_i', dir: 'in', width: 1 },
  { name: 'b_i', dir: 'in', width: 33 },
  { name: 'c_i', dir: 'in', width: 80 },
  { name: 'y_o', dir: 'out', width: 64 },
  { name: 'z_o', dir: 'out', width: 7 },
];
const req: BuildRequest = { unit: 'm', top: 'm', files: [rtl], parameters: { Width: 8, Name: 'x' }, ports, trace: true };

describe('build cache key', () => {
  it('is stable for the same inputs and changes with every input', () => {
    const h = buildHash(req);
    expect(buildHash({ ...req, parameters: { Name: 'x', Width: 8 } })).toBe(h); // key order does not matter
    expect(buildHash({ ...req, parameters: { Width: 9, Name: 'x' } })).not.toBe(h);
    expect(buildHash({ ...req, trace: false })).not.toBe(h);
    expect(buildHash({ ...req, top: 'm2' })).not.toBe(h);
    expect(buildHash({ ...req, ports: ports.slice(0, 4) })).not.toBe(h);
    writeFileSync(join(dir, 'm2.v'), '// another file\n');
    expect(buildHash({ ...req, files: [rtl, join(dir, 'm2.v')] })).not.toBe(h);
    // an identical copy in another folder (e.g. an unmutated file of a mutant) shares the build ...
    const copyDir = mkdtempSync(join(dir, 'copy-'));
    writeFileSync(join(copyDir, 'm.v'), readFileSync(rtl));
    expect(buildHash({ ...req, files: [join(copyDir, 'm.v')] })).toBe(h);
    // ... and any edit, even a comment, is a new build
    writeFileSync(join(copyDir, 'm.v'), `${readFileSync(rtl, 'utf8')}// edited\n`);
    expect(buildHash({ ...req, files: [join(copyDir, 'm.v')] })).not.toBe(h);
  });

  it('caches in $LOWBIT_CACHE, else $XDG_CACHE_HOME/lowbit, else ~/.cache/lowbit; never in the package', () => {
    expect(userCacheDir({ LOWBIT_CACHE: '/tmp/lowbit-cache-x', XDG_CACHE_HOME: '/xdg' })).toBe('/tmp/lowbit-cache-x');
    expect(userCacheDir({ XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/lowbit');
    expect(userCacheDir({ XDG_CACHE_HOME: 'relative' })).toBe(join(homedir(), '.cache', 'lowbit'));
    expect(userCacheDir({})).toBe(join(homedir(), '.cache', 'lowbit'));
    expect(() => userCacheDir({ LOWBIT_CACHE_DIR: '/old' })).toThrow('LOWBIT_CACHE_DIR is now LOWBIT_CACHE');
    const saved = process.env.LOWBIT_CACHE;
    process.env.LOWBIT_CACHE = '/tmp/lowbit-cache-x';
    try {
      expect(cacheRoot()).toBe('/tmp/lowbit-cache-x');
      expect(cacheRoot('/elsewhere')).toBe('/elsewhere');
    } finally {
      if (saved === undefined) delete process.env.LOWBIT_CACHE;
      else process.env.LOWBIT_CACHE = saved;
    }
    expect(userCacheDir({}).startsWith(packageRoot())).toBe(false);
  });

  it('formats -G parameter values', () => {
    expect(formatParam('u', 'A', 5)).toBe('5');
    expect(formatParam('u', 'A', -3)).toBe('-3');
    expect(formatParam('u', 'A', 2 ** 31)).toBe("64'd2147483648");
    expect(formatParam('u', 'A', (1n << 70n) + 1n)).toBe(`72'd${(1n << 70n) + 1n}`);
    expect(formatParam('u', 'A', 'RND"x')).toBe('"RND\\"x"');
    expect(() => formatParam('u', 'A', 0.5)).toThrow(/u: parameter A: got 0.5/);
  });
});

describe('harness port mapping and encoding', () => {
  it('generates the port header with word offsets (VlWide for > 64 bits)', () => {
    const h = portsHeader(ports);
    expect(h).toContain('#define LB_IN_WORDS 6');
    expect(h).toContain('#define LB_OUT_WORDS 3');
    expect(h).toContain('lb_put(m->a_i, w + 0);');
    expect(h).toContain('lb_put(m->b_i, w + 1);');
    expect(h).toContain('lb_put(m->c_i, w + 3);');
    expect(h).toContain('lb_get(m->z_o, w + 2);');
    expect(vectorWords(ports)).toBe(9);
  });

  it('encodes stimulus words LSW first and rejects values that do not fit', () => {
    const ins = ports.filter((p) => p.dir === 'in');
    const w = encodeStimulus('m', ins, [[1n, (1n << 32n) | 5n, -1n]]);
    expect([...w]).toEqual([1, 5, 1, 0xffffffff, 0xffffffff, 0xffff]);
    expect(() => encodeStimulus('m', ins, [[2n, 0n, 0n]])).toThrow(/m: stimulus cycle 0 port a_i: value 2 does not fit a 1-bit port/);
    expect(() => encodeStimulus('m', ins, [[0n, 0n]])).toThrow(/stimulus cycle 0 has 2 values; expected 3/);
  });

  it('decodes outputs (round trip on seeded random values at word edges)', () => {
    const seed = testSeed(77);
    const rng = new Rng(seed);
    const outs: PortSpec[] = [1, 31, 32, 33, 63, 64, 65, 96, 200].map((width, i) => ({ name: `o${i}_o`, dir: 'out', width }));
    const rows = Array.from({ length: 20 }, () => outs.map((p) => rng.bigBits(p.width)));
    const asIn = outs.map((p) => ({ ...p, dir: 'in' as const }));
    const words = encodeStimulus('m', asIn, rows);
    expect(decodeOutputs(outs, words, rows.length), `seed ${seed}`).toEqual(rows);
  });

  it('validates port lists', () => {
    expect(() => checkPorts('m', [{ name: 'clk_i', dir: 'in', width: 1 }, { name: 'y_o', dir: 'out', width: 1 }])).toThrow(/clk_i is implicit/);
    expect(() => checkPorts('m', [{ name: 'y_o', dir: 'out', width: 0 }])).toThrow(/width 0; allowed: an integer 1..65536/);
    expect(() => checkPorts('m', [{ name: 'a_i', dir: 'in', width: 1 }])).toThrow(/lists no output port/);
    expect(() => checkPorts('m', [{ name: 'y o', dir: 'out', width: 1 }])).toThrow(/not a Verilog identifier/);
  });
});

/**
 * `verilatorVersion` (part of every build key) remembers the version per installation on disk, so that not
 * every command runs the Perl wrapper: the same executable (reached through another name) is not run again;
 * a changed executable (an upgrade) is; a missing one is still reported.
 */
describe('verilator version cache', () => {
  it('runs an installation once, again when it changes, and still reports a missing one', () => {
    const d = mkdtempSync(join(tmpdir(), 'lowbit-vversion-'));
    const exe = join(d, 'fake-verilator');
    const runs = join(d, 'runs');
    const script = (v: string): string => `#!/bin/sh\necho run >> ${runs}\necho "Verilator ${v} fake"\n`;
    writeFileSync(exe, script('9.1'), { mode: 0o755 });
    const saved = { v: process.env.LOWBIT_VERILATOR, c: process.env.LOWBIT_CACHE };
    process.env.LOWBIT_CACHE = join(d, 'cache');
    const count = (): number => readFileSync(runs, 'utf8').split('\n').filter((l) => l === 'run').length;
    try {
      // each name is new to this process's memory: only the disk cache can spare a run
      const as = (name: string): string => {
        const link = join(d, name);
        symlinkSync(exe, link);
        process.env.LOWBIT_VERILATOR = link;
        return verilatorVersion();
      };
      expect(as('a')).toBe('Verilator 9.1 fake');
      expect(count()).toBe(1);
      expect(as('b')).toBe('Verilator 9.1 fake');
      expect(count()).toBe(1);
      writeFileSync(exe, script('9.22'));
      expect(as('c')).toBe('Verilator 9.22 fake');
      expect(count()).toBe(2);
      process.env.LOWBIT_VERILATOR = join(d, 'none');
      expect(() => verilatorVersion()).toThrow(/not found.*apt-get install -y verilator/);
    } finally {
      for (const [k, v] of [['LOWBIT_VERILATOR', saved.v], ['LOWBIT_CACHE', saved.c]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
