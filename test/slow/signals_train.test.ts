/**
 * SIGTERM / SIGINT stop a long synchronous `train` at once (issue 17; the built CLI, `npm run build` first):
 * the signal is sent mid-epoch, the process must end within 5 s (a `train --arch cnv` once ran on for 10
 * minutes, when the CLI held a JavaScript signal listener for the whole run; see test/unit/signals.test.ts),
 * and the earlier output at --out and the user's files beside it must be intact, with no leftovers.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '../../src/model/checkpoint.js';
import { cli } from '../unit/helpers/kill.js';

describe('signals stop a training run', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s stops `train` mid-epoch within 5 s; the earlier output and the user\'s files are intact', async (sig) => {
    const dir = mkdtempSync(join(tmpdir(), 'lowbit-sig-'));
    const out = join(dir, 'ckpt');
    // an earlier output of `train` at --out (FP32 checkpoint) and a user's file beside it
    saveCheckpoint(out, { format: 'lowbit-fp32', version: 1, arch: 'tfc', inputShape: [784], layers: [{ kind: 'dense', in: 784, out: 10, weight: new Float32Array(7840).fill(0.5), bias: null }] });
    writeFileSync(join(dir, 'notes.txt'), 'precious');
    const before = readdirSync(out).sort();
    const child = spawn(process.execPath, [cli, 'train', '--arch', 'tfc', '--epochs', '50', '--out', out], {
      cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LOWBIT_PROGRESS: '1' },
    });
    let err = '';
    let sentAt = 0;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve) => {
      child.on('exit', (code, signal) => resolve({ code, signal, ms: Date.now() - sentAt }));
    });
    // the first progress line: training has started (a synchronous epoch of 55,000 images)
    await new Promise<void>((resolve) => child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (sentAt === 0 && /train|epoch/i.test(err)) {
        sentAt = Date.now();
        child.kill(sig);
        resolve();
      }
    }));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000); // a run that ignores the signal fails, not hangs
    const r = await exited;
    clearTimeout(timer);
    expect(r.ms, `${sig} took ${r.ms} ms: ${err}`).toBeLessThan(5000);
    expect(r.signal ?? r.code, err).not.toBe(0);
    expect(err).not.toMatch(/internal error|\n\s+at /);
    expect(readdirSync(out).sort()).toEqual(before);
    expect(loadCheckpoint(out).layers).toHaveLength(1);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('precious');
    expect(readdirSync(dir).filter((e) => /lowbit-(tmp|old)/.test(e))).toEqual([]);
  }, 120_000);

});
