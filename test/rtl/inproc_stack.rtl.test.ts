import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KOFFI_ASYNC_STACK, koffi } from '../../src/rtl/inproc.js';

/**
 * The in-process accelerator runs (src/rtl/accel_tx.ts) call the Verilated model through koffi's
 * asynchronous calls, which run on a C stack koffi allocates (128 KiB by default). A Verilated accel_top's
 * evaluation had a 175 KB frame, so node died with SIGSEGV. `koffi()` sets the asynchronous stack to
 * KOFFI_ASYNC_STACK before the first library loads; this calls, asynchronously, a C function whose frame
 * is 1 MiB (it crashes the test process with koffi's default).
 */
const tmp = mkdtempSync(join(tmpdir(), 'lowbit-koffi-stack-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('koffi asynchronous calls', () => {
  it('run on a stack that holds a 1 MiB frame', async () => {
    expect(KOFFI_ASYNC_STACK).toBeGreaterThanOrEqual(2 << 20);
    const src = join(tmp, 'deep.c');
    const so = join(tmp, 'libdeep.so');
    // one byte per 4 KiB page of a 1 MiB local array: page p holds p mod 256; the sum of the 256 pages'
    // bytes is 0 + 1 + ... + 255 = 32,640
    writeFileSync(src, `#include <stdint.h>
uint32_t lb_deep(uint32_t n) {
  volatile uint8_t buf[1 << 20];
  for (uint32_t i = 0; i < sizeof buf; i += 4096) buf[i] = (uint8_t)(i >> 12);
  uint32_t s = n;
  for (uint32_t i = 0; i < sizeof buf; i += 4096) s += buf[i];
  return s;
}
`);
    execFileSync(process.env.CC || 'cc', ['-O1', '-shared', '-fPIC', '-o', so, src]);
    const k = koffi();
    expect(k.config().async_stack_size).toBe(KOFFI_ASYNC_STACK);
    const deep = k.load(so).func('uint32_t lb_deep(uint32_t n)');
    const r = await new Promise<number>((resolve, reject) => {
      deep.async(7, (err: unknown, v: number) => (err ? reject(err) : resolve(v)));
    });
    expect(r).toBe(32_640 + 7);
  });
});
