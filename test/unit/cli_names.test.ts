import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { RENAMED } from '../../src/cli/names.js';

describe('one name per concept across the commands', () => {
  for (const [command, table] of Object.entries(RENAMED)) {
    for (const [old, now] of Object.entries(table)) {
      it(`${command} --${old} exits 2 naming --${now}; the help lists --${now} and not --${old}`, async () => {
        for (const spelling of [`--${old}`, `--${old}=x`, `--${old.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())}`]) {
          const r = await runCli([command, spelling, 'x']);
          expect(r.code).toBe(2);
          expect(r.err).toBe(`lowbit: ${command} --${old} is now --${now} (one name per option across lowbit's commands; see ${command} --help)\n`);
          expect(r.out).toBe('');
        }
        const help = await runCli([command, '--help']);
        expect(help.code).toBe(0);
        expect(help.out).toMatch(new RegExp(`--${now}\\b`));
        expect(help.out).not.toMatch(new RegExp(`--${old}(?![\\w-])`));
      });
    }
  }

  it('quantize --model takes a quantized .onnx file; a checkpoint folder is --checkpoint', async () => {
    const r = await runCli(['quantize', '--model', 'ckpt/sfc']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('lowbit: quantize --model ckpt/sfc: give a quantized .onnx file to import; an FP32 checkpoint folder is --checkpoint\n');
  });

  it('--jobs defaults to the machine parallelism in every command that has it', async () => {
    for (const c of ['verify', 'sweep']) {
      const help = await runCli([c, '--help']);
      expect(help.out).toMatch(/--jobs +[^\n]*default: the machine parallelism/);
    }
  });

  it('--version prints lowbit\'s own version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(pkg.version);
  });
});
