import { describe, it, expect, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import yargs from 'yargs';
import { COMMAND_LOADERS } from '../../src/cli/commands/list.js';
import { runCli } from './helpers/cli.js';
import { localeIsAscii, wantsHelp } from '../../src/cli/yargs_lean.js';
import * as api from '../../src/index.js';

/**
 * Start-up structure (the timings are in bench/startup.bench.ts): the CLI and the library entry load no
 * heavy module they do not use, and the lean yargs of src/cli/yargs_lean.ts behaves as plain yargs.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HEAVY = ['protobufjs', 'vega', 'vega-lite', 'koffi', 'comlink', 'onnxruntime-node', 'wabt', 'cliui', 'string-width'];

/**
 * The node_modules packages a fresh Node process has loaded (ESM through a load hook, CommonJS through the
 * require cache) after running `script` (ESM, run from the repo root with tsx for the TS sources).
 */
function packagesLoadedBy(script: string): string[] {
  const hook = `export async function load(u, c, n) { if (u.includes('/node_modules/')) process.stderr.write('LOADED ' + u + '\\n'); return n(u, c); }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify('data:text/javascript,' + encodeURIComponent(hook))});`;
  const tail = `\nconst { createRequire } = await import('node:module'); for (const f of Object.keys(createRequire(import.meta.url).cache)) process.stderr.write('LOADED ' + f + '\\n');`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', `data:text/javascript,${encodeURIComponent(register)}`, '--input-type=module', '-e', script + tail], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const pkgs = [...r.stderr.matchAll(/^LOADED (.*)$/gm)].map((m) => /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules)/.exec(m[1])?.[1] ?? '');
  return [...new Set(pkgs)].filter((p) => p !== '' && p !== 'tsx' && p !== 'esbuild' && p !== 'get-tsconfig' && p !== 'resolve-pkg-maps');
}

const srcUrl = (p: string): string => JSON.stringify(pathToFileURL(`${ROOT}src/${p}`).href);

/** The modules of src/ (paths below src/) a fresh Node process has loaded after running `script` (as above). */
function srcModulesLoadedBy(script: string): string[] {
  const hook = `export async function load(u, c, n) { if (u.includes('/src/') && !u.includes('/node_modules/')) process.stderr.write('LOADED ' + u + '\\n'); return n(u, c); }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify('data:text/javascript,' + encodeURIComponent(hook))});`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', `data:text/javascript,${encodeURIComponent(register)}`, '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return [...new Set([...r.stderr.matchAll(/^LOADED .*?\/src\/(.*)$/gm)].map((m) => m[1]!))];
}

describe('start-up', () => {
  it('the CLI parses a command without loading the help layout (cliui, string-width) or any heavy package', () => {
    const script = `const { main } = await import(${srcUrl('cli/main.ts')});
      for (const a of [['--version'], ['simulate', '--bogus'], ['run', '--bogus'], ['verify', '--bogus'], ['estimate', '--bogus']]) await main(a);`;
    const loaded = packagesLoadedBy(script);
    expect(loaded).toContain('yargs');
    expect(loaded.filter((p) => HEAVY.includes(p))).toEqual([]);
  }, 60_000);

  it('a command parses its options from cli/args/ alone; its handler (cli/commands/) loads only when it runs', () => {
    // every command with a bad option (exit 2 before any work), then `export` running (it fails on the missing model)
    const bad = COMMAND_LOADERS.map((c) => `[${JSON.stringify(c.name)}, '--bogus']`).join(', ');
    const script = `const { main } = await import(${srcUrl('cli/main.ts')}); const codes = [];
      for (const a of [${bad}, ['sweep', 'merge', '--bogus']]) codes.push(await main(a));
      if (codes.some((c) => c !== 2)) throw new Error('exit codes ' + codes);
      console.error('PHASE run');
      if (await main(['export', '--model', 'no-such-model-dir', '--out', '/nonexistent-dir/x.onnx']) !== 2) throw new Error('export');`;
    const hook = srcModulesLoadedBy(`${script.replace("console.error('PHASE run');", "process.exit(0);")}`);
    const handlers = hook.filter((p) => p.startsWith('cli/commands/') && p !== 'cli/commands/list.ts');
    expect(handlers).toEqual([]);
    expect(hook.filter((p) => p.startsWith('cli/args/')).length).toBe(COMMAND_LOADERS.length);
    expect(srcModulesLoadedBy(script)).toContain('cli/commands/export.ts');
  }, 60_000);

  it('the library entry loads no heavy package', () => {
    const loaded = packagesLoadedBy(`await import(${srcUrl('index.ts')});`);
    expect(loaded.filter((p) => HEAVY.includes(p))).toEqual([]);
  }, 60_000);

  it('ONNX still reads and writes through protobufjs once it is needed', () => {
    expect(typeof api.importOnnx).toBe('function');
    expect(typeof api.exportOnnx).toBe('function');
    const loaded = packagesLoadedBy(`const p = await import(${srcUrl('model/onnx/proto.ts')});
      const m = p.decodeModel(p.encodeModel({ irVersion: 9, producerName: 'x' }), 'm.onnx');
      if (m.producerName !== 'x' || p.num(m.irVersion) !== 9) throw new Error('round trip');`);
    expect(loaded).toContain('protobufjs');
  }, 60_000);

  it('--help lays out with the ASCII text functions: cliui without string-width, wrap-ansi or their tables', () => {
    const script = `const { main } = await import(${srcUrl('cli/main.ts')});
      for (const a of [['--help'], ['train', '--help'], ['estimate', '--help']]) if (await main(a) !== 0) throw new Error(a.join(' '));`;
    const loaded = packagesLoadedBy(`process.env.LC_ALL = 'en_US.UTF-8'; console.log = () => undefined; ${script}`);
    expect(loaded).toContain('cliui');
    expect(loaded.filter((p) => ['string-width', 'wrap-ansi', 'strip-ansi', 'get-east-asian-width', 'emoji-regex'].includes(p))).toEqual([]);
    // a locale whose text is not ASCII takes yargs' own packages
    expect(packagesLoadedBy(`process.env.LC_ALL = 'ru_RU.UTF-8'; console.log = () => undefined; ${script}`)).toContain('wrap-ansi');
  }, 60_000);

  it('localeIsAscii: English and unknown locales (yargs\' defaults) yes, locales with other letters no', () => {
    for (const l of ['en_US.UTF-8', 'en', 'C', 'POSIX', 'pirate', 'xx_YY']) expect(localeIsAscii({ LC_ALL: l }), l).toBe(true);
    for (const l of ['de_DE.UTF-8', 'ru', 'ja_JP', 'zh_CN']) expect(localeIsAscii({ LC_ALL: l }), l).toBe(false);
    expect(localeIsAscii({ LANG: 'fr_FR.UTF-8' })).toBe(false);
    expect(localeIsAscii({ LC_ALL: 'en_US.UTF-8', LANG: 'fr_FR.UTF-8' })).toBe(true);
  });

  it('wantsHelp: --help, --help=..., -h and short-flag clusters with h; nothing else', () => {
    for (const a of [['--help'], ['run', '--help'], ['--help=true'], ['-h'], ['x', '-vh']]) expect(wantsHelp(a), a.join(' ')).toBe(true);
    for (const a of [[], ['run'], ['--helpful'], ['--hidden'], ['run', '--model', 'models/sfc-w1a1']]) expect(wantsHelp(a), a.join(' ')).toBe(false);
  });

  const HELPS = [['--help'], ...COMMAND_LOADERS.map((c) => [c.name, '--help']), ['sweep', 'merge', '--help']];

  /** Each `argvs` through `runCli` (helpers/cli.ts) on plain yargs, as `runCli` on lowbit's lean yargs gave `lean`. */
  async function expectPlainYargs(argvs: string[][], lean: Awaited<ReturnType<typeof runCli>>[]): Promise<void> {
    vi.resetModules();
    let plainBuilt = 0;
    vi.doMock('../../src/cli/yargs_lean.js', async (orig) => ({ ...(await orig<object>()), leanYargs: async (argv: string[]) => (plainBuilt++, yargs(argv)) }));
    try {
      const plain = await import('./helpers/cli.js');
      for (const [k, a] of argvs.entries()) expect(await plain.runCli(a), a.join(' ')).toEqual(lean[k]);
      expect(plainBuilt).toBe(argvs.length);
    } finally {
      vi.doUnmock('../../src/cli/yargs_lean.js');
      vi.resetModules();
    }
  }

  it('every help text (ASCII, so the fast layout applies), and the errors, are the same as with plain yargs', async () => {
    const argvs = [['--version'], [], ['simulat'], ['run', '--desing', 'x'], ['train', '--seed', 'abc', '--arch', 'tfc'], ...HELPS];
    const lean = [];
    for (const a of argvs) lean.push(await runCli(a));
    for (const [k, a] of argvs.entries()) if (wantsHelp(a)) expect(lean[k]!.out, a.join(' ')).toMatch(/^lowbit[\n\u0020-\u007E]+$/);
    await expectPlainYargs(argvs, lean);
    expect(lean[argvs.length - HELPS.length]!.out).toMatch(/lowbit <command> \[options\]/);
  }, 120_000);

  it('help text the ASCII layout refuses is laid out again by yargs\' packages, as plain yargs; so is a non-ASCII locale', async () => {
    const argvs = [['--help'], ['estimate', '--help'], ['sweep', 'merge', '--help']];
    vi.resetModules();
    vi.doMock('../../src/cli/ascii_layout.js', async (orig) => {
      const real = await orig<typeof import('../../src/cli/ascii_layout.js')>();
      // refuses a text once it has measured a few (so the refusal comes in the middle of a layout)
      let calls = 0;
      return { ...real, asciiWidth: (s: string) => (++calls % 50 === 0 ? real.asciiWidth('\u00b1') : real.asciiWidth(s)) };
    });
    const lean = [];
    try {
      const refusing = await import('./helpers/cli.js');
      for (const a of argvs) lean.push(await refusing.runCli(a));
    } finally {
      vi.doUnmock('../../src/cli/ascii_layout.js');
    }
    await expectPlainYargs(argvs, lean);
    const lc = process.env.LC_ALL;
    process.env.LC_ALL = 'de_DE.UTF-8';
    try {
      const german = [];
      for (const a of argvs) german.push(await runCli(a));
      expect(german[0]!.out).toMatch(/Optionen:/);
      await expectPlainYargs(argvs, german);
    } finally {
      if (lc === undefined) delete process.env.LC_ALL;
      else process.env.LC_ALL = lc;
    }
  }, 120_000);
});
