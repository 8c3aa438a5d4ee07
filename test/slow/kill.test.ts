import { describe, it } from 'vitest';
import { killTest } from '../unit/helpers/kill.js';

// The long kill test: 25 interruptions of each command at random moments (see test/unit/helpers/kill.ts).
describe('interrupting quantize, compress, report and sweep (built CLI), long', () => {
  it('leaves complete outputs or none, each sweep point once, the user\'s files untouched', async () => {
    await killTest(25, 6000, Number(process.env.LOWBIT_SEED ?? 1));
  }, 3_600_000);
});
