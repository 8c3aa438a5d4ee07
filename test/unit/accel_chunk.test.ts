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
  it('gives the 10,000-image run on 2 cores 40 chunks of 250 (20 per simulator)', () => {
    expect(defaultChunk(10000, 2)).toBe(250);
    expect(defaultChunk(2000, 2)).toBe(250);
    expect(defaultChunk(7, 2)).toBe(4);
    expect(defaultChunk(600, 1)).toBe(200);
  });
});
