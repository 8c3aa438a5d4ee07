import { describe, expect, it } from 'vitest';
import { runModel } from '../../src/flows/run.js';
import { loadDesign } from '../../src/hw/design.js';
import { loadQuantizedModel } from '../../src/model/format.js';
import { resolveRepoPath } from '../../src/rtl/paths.js';
import { runCli } from '../unit/helpers/cli.js';

/**
 * Slow tier (issue 22): `lowbit run --rtl` over 2,000 MNIST test images of sfc-w1a1 on binary-mnist (5.8 M
 * accelerator cycles: 125 runs of 16 images), every image checked against the TS accelerator at the
 * transaction level (outputs, cycle counts, hash of every port every cycle), and memory flat in the number of images: the
 * peak RSS of this process grows by less than 64 MiB from a 300-image run to a 2,000-image run (the old
 * per-cycle stimulus held about 1 KiB per cycle: some 30 GiB for these). bench/accel.bench.ts reports
 * the peak RSS of such a run.
 */
const mib = (): number => process.resourceUsage().maxRSS / 1024;

describe('run --rtl: 2,000 images through the RTL with flat memory (slow tier)', () => {
  it('sfc-w1a1 on binary-mnist: 300 then 2,000 images, all agree, peak RSS flat', async () => {
    const m = loadQuantizedModel(resolveRepoPath('models/sfc-w1a1'));
    const d = loadDesign('binary-mnist');
    // with --rtl an MLP runs 16 images per run (flows/run.ts defaultBatch): 19 runs, 0.9 M cycles; the same -O1 build
    const small = await runModel(m, d, { images: 300, rtl: true, rtlImages: 300 });
    expect(small.rtl?.agree).toBe(300);
    const afterSmall = mib();
    const big = await runModel(m, d, { images: 2000, rtl: true, rtlImages: 2000 });
    const afterBig = mib();
    console.log(`peak RSS after 300 images ${afterSmall.toFixed(0)} MiB, after 2,000 ${afterBig.toFixed(0)} MiB; RTL ${big.seconds.rtl?.toFixed(0)} s (${big.rtl?.jobs} x ${big.rtl?.mode})`);
    expect(big.disagreement).toBeUndefined();
    expect(big.rtl?.stopped).toBeUndefined();
    expect([big.rtl?.images, big.rtl?.agree, big.agreement.acceleratorVsRtl]).toEqual([2000, 2000, 1]);
    expect(big.accuracy.rtl).toBe(big.accuracy.accelerator);
    expect(big.rtlCycles).toBe(big.cyclesPerInference);
    expect(afterBig - afterSmall).toBeLessThan(64);
  });

  it('a run that reaches --rtl-seconds reports the images checked and exits 2 with one line naming the limit', async () => {
    // 300 images: the same -O1 build as above
    const r = await runCli(['run', '--model', resolveRepoPath('models/sfc-w1a1'), '--design', 'binary-mnist', '--images', '300', '--rtl', '--rtl-images', '300', '--rtl-seconds', '1', '--jobs', '1', '--json']);
    expect(r.code).toBe(2);
    const report = JSON.parse(r.out) as { rtl: { images: number; requested: number; agree: number; stopped: string } };
    expect(report.rtl.requested).toBe(300);
    expect(report.rtl.images).toBeLessThan(300);
    expect(report.rtl.agree).toBe(report.rtl.images);
    expect(report.rtl.stopped).toBe('the time limit of 1 s');
    const lines = r.err.split('\n').filter((l) => l.startsWith('lowbit: '));
    expect(lines).toEqual([`lowbit: run: the RTL run stopped at the time limit of 1 s after ${report.rtl.images} of 300 images (${report.rtl.agree} checked, all agree); raise --rtl-seconds or lower --rtl-images`]);
  });
});
