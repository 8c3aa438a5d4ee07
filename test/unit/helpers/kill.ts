/**
 * The kill test of issue 17 (item 6): runs the built CLI (`dist/cli/main.js`, so `npm run build` first) and
 * interrupts `quantize`, `compress`, `report` and `sweep` at random moments with SIGKILL, SIGINT or SIGTERM,
 * then checks what a user would find: the output folder is absent, or complete and loadable (old or new);
 * the results file holds only whole lines, each point once; no lock is left by SIGINT/SIGTERM; the user's
 * files beside the outputs are untouched; and one more complete run leaves no leftovers at all.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { saveCheckpoint, loadCheckpoint } from '../../../src/model/checkpoint.js';
import { loadQuantizedModel } from '../../../src/model/format.js';
import { readResults } from '../../../src/explore/sweep.js';
import { OUTPUT_MARKER } from '../../../src/util/fsafe.js';
import { Rng } from '../../../src/util/rng.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const cli = join(root, 'dist', 'cli', 'main.js');

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  err: string;
}

/** Runs the CLI; with `killAfterMs`, sends `signal` then (for SIGINT/SIGTERM) waits for the clean exit. */
export function runCli(args: string[], cwd: string, killAfterMs?: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LOWBIT_PROGRESS: '0' } });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const t = killAfterMs !== undefined ? setTimeout(() => child.kill(signal), killAfterMs) : undefined;
    child.on('exit', (code, sig) => {
      if (t) clearTimeout(t);
      resolve({ code, signal: sig, err });
    });
  });
}

export interface KillSetup {
  dir: string;
  commands: { name: string; args: string[]; check: () => void; parent: string; target: string }[];
}

/** The four commands on small inputs in a fresh folder with a user's files beside every output. */
export function killSetup(): KillSetup {
  const dir = mkdtempSync(join(tmpdir(), 'lowbit-kill-'));
  const rng = new Rng(11);
  const f = (n: number, s: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal() * s);
  const ck = join(dir, 'ckpt');
  saveCheckpoint(ck, {
    format: 'lowbit-fp32', version: 1, arch: 'kill', inputShape: [784],
    layers: [{ kind: 'dense', in: 784, out: 64, weight: f(784 * 64, 0.05), bias: f(64, 0.1) }, { kind: 'relu' }, { kind: 'dense', in: 64, out: 10, weight: f(640, 0.3), bias: null }],
  });
  const outs = join(dir, 'outs');
  mkdirSync(outs);
  writeFileSync(join(outs, 'user-notes.txt'), 'precious');
  const model = join(outs, 'q');
  const space = join(dir, 'space.json');
  writeFileSync(space, JSON.stringify({ base: 'int8', schemes: { q: { model, design: {} } }, axes: { scheme: ['q'], array: ['4x4', '8x8', '16x16'], clockMHz: [100, 200, 400] } }));
  const results = join(outs, 'results.jsonl');
  const complete = (d: string, files: string[]): void => {
    if (!existsSync(d)) return; // absent is allowed (killed before the first complete run)
    const have = readdirSync(d);
    for (const f of [OUTPUT_MARKER, ...files]) expect(have, `${d} incomplete: ${have.join(', ')}`).toContain(f);
  };
  return {
    dir,
    commands: [
      {
        name: 'quantize', parent: outs, target: model,
        args: ['quantize', '--checkpoint', ck, '--scheme', 'w8a8', '--calib-images', '200', '--images', '300', '--out', model],
        check: () => {
          complete(model, ['model.json', 'blobs', 'mem']);
          if (existsSync(model)) loadQuantizedModel(model);
        },
      },
      {
        name: 'compress', parent: outs, target: join(outs, 'c'),
        args: ['compress', '--checkpoint', ck, '--prune', '0.5', '--clusters', '8', '--huffman', '--images', '300', '--out', join(outs, 'c')],
        check: () => {
          complete(join(outs, 'c'), ['checkpoint.json']);
          if (existsSync(join(outs, 'c'))) loadCheckpoint(join(outs, 'c'));
        },
      },
      {
        name: 'report', parent: outs, target: join(outs, 'r'),
        args: ['report', '--input', join(root, 'reports', 'sweep', 'results.jsonl'), '--out', join(outs, 'r')],
        check: () => {
          complete(join(outs, 'r'), ['index.md', 'index.html', 'data.json', 'plots']);
          if (existsSync(join(outs, 'r'))) expect(readFileSync(join(outs, 'r', 'index.html'), 'utf8')).toContain('</html>');
        },
      },
      {
        name: 'sweep', parent: outs, target: results,
        args: ['sweep', '--space', space, '--out', results, '--no-area', '--jobs', '1'],
        check: () => {
          if (!existsSync(results)) return;
          const text = readFileSync(results, 'utf8');
          const lines = text.split('\n').filter((l) => l !== '');
          // whole lines only, except at most a torn tail that the next run repairs
          const whole = text.endsWith('\n') ? lines : lines.slice(0, -1);
          const idx = whole.map((l) => (JSON.parse(l) as { index: number }).index);
          expect(new Set(idx).size, `a point written twice: ${idx.join(',')}`).toBe(idx.length);
        },
      },
    ],
  };
}

/** Interrupts each command `kills` times at random moments in [0, maxMs) and checks the outputs each time. */
export async function killTest(kills: number, maxMs: number, seed: number): Promise<void> {
  const s = killSetup();
  const rng = new Rng(seed);
  const signals: NodeJS.Signals[] = ['SIGKILL', 'SIGINT', 'SIGTERM'];
  for (const c of s.commands) {
    // the first complete run (the sweep needs the quantized model; quantize runs first)
    const first = await runCli(c.args, s.dir);
    expect(first.code, `${c.name}: ${first.err}`).toBe(0);
    c.check();
    for (let k = 0; k < kills; k++) {
      const at = Math.floor(rng.float() * maxMs);
      const sig = signals[rng.int(0, 2)]!;
      const r = await runCli(c.args, s.dir, at, sig);
      const why = `${c.name} ${sig} after ${at} ms (exit ${r.code ?? r.signal}): ${r.err}`;
      expect(r.err, why).not.toMatch(/internal error|\n\s+at /);
      c.check();
      expect(readFileSync(join(c.parent, 'user-notes.txt'), 'utf8'), why).toBe('precious');
      if (sig !== 'SIGKILL' && r.code !== 0) {
        // a clean stop removes its temporaries and its lock
        expect(readdirSync(c.parent).filter((e) => e.includes('lowbit-tmp') || e.endsWith('.lock')), why).toEqual([]);
      }
    }
    // one more complete run: everything whole, every sweep point once, no leftovers
    const last = await runCli(c.args, s.dir);
    expect(last.code, `${c.name} after the kills: ${last.err}`).toBe(0);
    c.check();
    expect(readdirSync(c.parent).filter((e) => /lowbit-(tmp|old)|\.lock$/.test(e))).toEqual([]);
  }
  const sweepOut = s.commands[3]!.target;
  expect(readResults(sweepOut).map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  expect(readFileSync(sweepOut, 'utf8').trim().split('\n')).toHaveLength(9);
}
