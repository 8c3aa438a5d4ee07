/**
 * A long training run that saves its state after every epoch (used by scripts/train-models.sh).
 * npx tsx scripts/train-run.ts <outDir> <json TrainConfig without functions>
 */
import { loadMnist } from '../src/data/mnist.js';
import { train, testAccuracy, type TrainConfig } from '../src/train/trainer.js';
import { saveState } from '../src/train/state.js';
import { writeFileAtomic } from '../src/util/fs.js';
import { join } from 'node:path';

const [outDir, json] = process.argv.slice(2);
const cfg = JSON.parse(json!) as TrainConfig;
const data = loadMnist('train');
const test = loadMnist('test');
const logs: unknown[] = [];
const t0 = Date.now();
cfg.onEpoch = (net, e) => {
  const acc = testAccuracy(net, test);
  logs.push({ ...e, testAcc: acc });
  process.stderr.write(`  test ${(acc * 100).toFixed(2)}% after ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  saveState(outDir!, net, { spec: cfg.net, seed: cfg.seed, meta: { config: { ...cfg, onEpoch: undefined }, log: logs } });
  writeFileAtomic(join(outDir!, 'train-log.json'), JSON.stringify(logs, null, 1));
};
const r = train(cfg, data);
process.stderr.write(`done: ${r.steps} steps, ${r.seconds.toFixed(0)} s, ${r.samplesPerSec.toFixed(0)} samples/s\n`);
