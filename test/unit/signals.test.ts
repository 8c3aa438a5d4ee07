/**
 * Ctrl-C / SIGTERM (issue 17): a long synchronous run stops at once. A JavaScript signal listener cannot run
 * while a synchronous loop (a training epoch) holds the event loop, so the CLI listens only while a
 * temporary, a lock or an external tool is registered (short, or asynchronous); the rest of the time the
 * signal's default action ends the process immediately. A `train --arch cnv` once ran on for 10 minutes
 * after SIGTERM, when the listener was installed for the whole run. Also: a half-built Verilator folder is
 * removed by Ctrl-C or, after a kill, by the next build. test/slow/signals_train.test.ts stops a real `train`.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installSignalCleanup, onInterrupt, registerTemp } from '../../src/util/fsafe.js';
import { removeDeadBuilds } from '../../src/rtl/build.js';

describe('signals', () => {
  it('no SIGINT/SIGTERM listener unless a temporary, lock or tool is registered', () => {
    const base = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    installSignalCleanup();
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(base);
    const drop = registerTemp(join(tmpdir(), 'lowbit-never-created'));
    const unhook = onInterrupt(() => {});
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual([base[0]! + 1, base[1]! + 1]);
    drop();
    expect(process.listenerCount('SIGTERM')).toBe(base[1]! + 1);
    unhook();
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(base);
  });

  it('the next build removes the half-built folders of killed builds, not those of live processes', () => {
    const root = mkdtempSync(join(tmpdir(), 'lowbit-build-'));
    const dead = 2 ** 22 + 12345; // above the kernel's pid_max default (2^22): no such process
    for (const d of [`.tmp-mac_pe-${dead}-abc123`, `rt-xyz.tmp-${dead}-def456`, `.tmp-bind-unit-${process.pid}-ghi789`, `.tmp-mac_pe-1-jkl012`, 'mac_pe-0123456789abcdef']) {
      mkdirSync(join(root, d, 'obj'), { recursive: true });
    }
    removeDeadBuilds(root);
    expect(readdirSync(root).sort()).toEqual([`.tmp-bind-unit-${process.pid}-ghi789`, '.tmp-mac_pe-1-jkl012', 'mac_pe-0123456789abcdef']);
    expect(existsSync(join(root, 'mac_pe-0123456789abcdef', 'obj'))).toBe(true);
  });
});
