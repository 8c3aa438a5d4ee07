import { describe, expect, it } from 'vitest';
import { defaultChunk } from '../../src/rtl/accel_tx.js';

/** The transaction-level co-simulation's default chunking (src/rtl/accel_tx.ts `defaultChunk`). */
describe('defaultChunk', () => {
  it('cuts a run into equal chunks of at most 256 images, at least one per job when there are enough images', () => {
    for (const jobs of [1, 2, 3, 8]) {
      for (const batch of [1, 2, 7, 33, 100, 511, 512, 513, 2000, 9999, 10000]) {
        const c = defaultChunk(batch, jobs);
        const where = `${batch} images, ${jobs} jobs`;
        expect(c, where).toBeGreaterThanOrEqual(1);
        expect(c, where).toBeLessThanOrEqual(256);
        // the per-job chunk count k = ceil(batch / (256 jobs)) sets the size: c = ceil(batch / (k jobs))
        expect(c, where).toBe(Math.ceil(batch / (jobs * Math.max(1, Math.ceil(batch / (jobs * 256))))));
        // no job waits on a chunk more than one chunk longer than its own share
        const chunks = Math.ceil(batch / c);
        expect(Math.ceil(chunks / jobs) * c - batch / jobs, where).toBeLessThan(c);
      }
    }
  });
  it('cuts runs of several images (an MLP batch) into chunks of whole runs, at most 256 images when a run fits', () => {
    for (const perRun of [2, 3, 16, 300]) {
      for (const jobs of [1, 2, 8]) {
        for (const batch of [1, 7, 100, 2000, 9999, 10000]) {
          const c = defaultChunk(batch, jobs, perRun);
          const where = `${batch} images, ${jobs} jobs, ${perRun} per run`;
          expect(c % perRun, where).toBe(0);
          expect(c, where).toBeLessThanOrEqual(Math.max(256, perRun));
          // in runs it is the one-image rule with at most floor(256 / perRun) runs per chunk
          const runs = Math.ceil(batch / perRun);
          const maxRuns = Math.max(1, Math.floor(256 / perRun));
          expect(c / perRun, where).toBe(Math.ceil(runs / (jobs * Math.max(1, Math.ceil(runs / (jobs * maxRuns))))));
        }
      }
    }
    expect(defaultChunk(10000, 2, 16)).toBe(256); // 625 runs of 16: 40 chunks of 16 runs (the last 1 run)
    expect(defaultChunk(2000, 2, 16)).toBe(256); // 125 runs: 8 chunks of 16 runs (the last 13)
    expect(defaultChunk(7, 2, 4)).toBe(4);
  });
  it('gives the 10,000-image run on 2 cores 40 chunks of 250 (20 per simulator)', () => {
    expect(defaultChunk(10000, 2)).toBe(250);
    expect(defaultChunk(2000, 2)).toBe(250);
    expect(defaultChunk(7, 2)).toBe(4);
    expect(defaultChunk(600, 1)).toBe(200);
  });
});
