/**
 * Publishes the latest saved state of a (possibly interrupted) run: the network as of its last completed
 * epoch, exported and evaluated exactly as at the end of a run.
 *   node --import tsx scripts/publish-state.ts <stateDir> <outDir>
 */
import { loadMnist } from '../src/data/mnist.js';
import { loadState } from '../src/train/state.js';
import { outName, publish, runInfo, type RunOptions } from '../src/train/run.js';
import type { EpochLog } from '../src/train/trainer.js';

const [stateDir, outDir] = process.argv.slice(2);
const { net, state, checkpoint } = loadState(stateDir!);
const o = state.meta.options as RunOptions;
// states saved before checkpoints existed kept the log in meta
const log = checkpoint?.log ?? (state.meta.log as EpochLog[]);
const secs = log.reduce((a, e) => a + e.seconds, 0);
const info = runInfo(o, outName(outDir!), { seconds: secs, samplesPerSec: log.reduce((a, e) => a + e.samplesPerSec * e.seconds, 0) / secs, log });
const s = publish(net, state.spec, info, outDir!, loadMnist('test'));
process.stderr.write(`published ${outDir} from ${stateDir} (${log.length} of ${o.epochs} epochs): MNIST test ${(s.testAccuracy * 100).toFixed(2)}%\n`);
process.stdout.write(JSON.stringify({ ...s, log: undefined }) + '\n');
