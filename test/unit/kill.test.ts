import { describe, it } from 'vitest';
import { killTest } from './helpers/kill.js';

// A bounded run of the kill test (test/unit/helpers/kill.ts); test/slow/kill.test.ts runs it long.
describe('interrupting quantize, compress, report and sweep (built CLI)', () => {
  it('leaves complete outputs or none, each sweep point once, the user\'s files untouched', async () => {
    await killTest(1, 2500, Number(process.env.LOWBIT_SEED ?? 17));
  }, 240_000);
});
