/**
 * A long training run (used by scripts/train-models.sh): trains with `lowbit train`'s options, saves the
 * full training state after every epoch into <stateDir> (so an interrupted run can still be published with
 * scripts/publish-state.ts), then publishes the model to <outDir> (QuantizedModel + train-log.json).
 *   node --import tsx scripts/train-run.ts <stateDir> <outDir> '<json RunOptions>'
 */
import { loadMnist } from '../src/data/mnist.js';
import { train } from '../src/train/trainer.js';
import { saveState } from '../src/train/state.js';
import { outName, publish, runInfo, trainConfigFor, type RunOptions } from '../src/train/run.js';

const [stateDir, outDir, json] = process.argv.slice(2);
const o = JSON.parse(json!) as RunOptions;
const cfg = trainConfigFor(o);
const data = loadMnist('train');
const test = loadMnist('test');
const t0 = Date.now();
const log: unknown[] = [];
cfg.onEpoch = (net, e) => {
  log.push(e);
  saveState(stateDir!, net, { spec: cfg.net, seed: cfg.seed, meta: { options: o, log, seconds: (Date.now() - t0) / 1000 } });
};
const r = train(cfg, data);
const s = publish(r.net, cfg.net, runInfo(o, outName(outDir!), { ...r, epochs: o.epochs }), outDir!, test);
process.stderr.write(`published ${outDir}: MNIST test ${(s.testAccuracy * 100).toFixed(2)}% (integer model), ${r.seconds.toFixed(0)} s, ${r.samplesPerSec.toFixed(0)} samples/s\n`);
process.stdout.write(JSON.stringify({ ...s, log: undefined }) + '\n');
