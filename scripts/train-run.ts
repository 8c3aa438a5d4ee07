/**
 * A long training run (used by scripts/train-models.sh): trains with `lowbit train`'s options, saves the
 * full training state after every epoch into <stateDir>, then publishes the model to <outDir>
 * (QuantizedModel + train-log.json). Run it again with the same arguments after an interruption and it
 * continues from the last completed epoch, bit-identically; scripts/publish-state.ts publishes the
 * state as it is.
 *   node --import tsx scripts/train-run.ts <stateDir> <outDir> '<json RunOptions>'
 */
import { runTraining, type RunOptions } from '../src/train/run.js';

const [stateDir, outDir, json] = process.argv.slice(2);
if (!stateDir || !outDir || !json) {
  process.stderr.write("usage: node --import tsx scripts/train-run.ts <stateDir> <outDir> '<json RunOptions>'\n");
  process.exit(2);
}
const s = runTraining(JSON.parse(json) as RunOptions, outDir, stateDir);
process.stderr.write(`published ${outDir}: MNIST test ${(s.testAccuracy * 100).toFixed(2)}% (integer model), ${s.trainSeconds.toFixed(0)} s, ${s.samplesPerSec.toFixed(0)} samples/s\n`);
process.stdout.write(JSON.stringify({ ...s, log: undefined }) + '\n');
