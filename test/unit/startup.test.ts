import { describe, it, expect, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import yargs from 'yargs';
import { COMMAND_LOADERS } from '../../src/cli/commands/list.js';
import { runCli } from './helpers/cli.js';
import { wantsHelp } from '../../src/cli/yargs_lean.js';
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

  it('wantsHelp: --help, --help=..., -h and short-flag clusters with h; nothing else', () => {
    for (const a of [['--help'], ['run', '--help'], ['--help=true'], ['-h'], ['x', '-vh']]) expect(wantsHelp(a), a.join(' ')).toBe(true);
    for (const a of [[], ['run'], ['--helpful'], ['--hidden'], ['run', '--model', 'models/sfc-w1a1']]) expect(wantsHelp(a), a.join(' ')).toBe(false);
  });

  it('every help text, and the errors, are the same as with plain yargs', async () => {
    const argvs = [['--help'], ['--version'], [], ['simulat'], ['run', '--desing', 'x'], ['train', '--seed', 'abc', '--arch', 'tfc'], ...COMMAND_LOADERS.map((c) => [c.name, '--help'])];
    const lean = [];
    for (const a of argvs) lean.push(await runCli(a));
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
    expect(lean[0]!.out).toMatch(/lowbit <command> \[options\]/);
  }, 120_000);
});
