import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMnist } from '../../src/data/mnist.js';
import { train, type TrainCheckpoint, type TrainConfig } from '../../src/train/trainer.js';
import { saveState, loadState, stateTensors } from '../../src/train/state.js';
import { mixedPrecisionHooks } from '../../src/train/mixed.js';
import { runTraining, type RunOptions } from '../../src/train/run.js';
import type { Network } from '../../src/train/network.js';
import { Rng, testSeed } from '../../src/util/rng.js';
import { InputError } from '../../src/util/errors.js';
import { main } from '../../src/cli/main.js';
import { mnistSubset } from './helpers/mnist_subset.js';

const seed = testSeed(11);
const data = loadMnist('train');

/** Every float a network holds (parameters, then batch-norm statistics) as one byte string. */
function bytes(net: Network): Buffer {
  return Buffer.concat(stateTensors(net).map((t) => Buffer.from(t.buffer, t.byteOffset, t.byteLength)));
}

/** Three short epochs; each configuration uses every kind of generator and optimizer state. */
const base = { epochs: 3, batchSize: 50, schedule: { name: 'cosine' as const, epochs: 3 }, seed, valCount: 200, maxTrain: 400 };
const CONFIGS: Record<string, TrainConfig> = {
  // BinaryNet: Adam moments, dropout masks (network generator), shift augmentation, data order
  'bnn + adam + dropout + shift': {
    ...base, net: { arch: 'tfc', hidden: [32, 32], weights: { method: 'binary', bits: 1 }, act: { method: 'sign', bits: 1 }, dropout: 0.2 },
    optimizer: { name: 'adam', lr: 0.01 }, shift: 2,
  },
  // LSQ (data-dependent step initialization), SGD momentum, Gupta stochastic rounding of the weights
  'lsq + sgd + stochastic weight rounding': {
    ...base, net: { arch: 'tfc', hidden: [24], weights: { method: 'lsq', bits: 2 }, act: { method: 'lsq', bits: 2 } },
    optimizer: { name: 'sgd', lr: 0.02, momentum: 0.9, weightFormat: { bits: 12, intBits: 2, signed: true } },
  },
  // simulated FP16 with stochastic rounding and dynamic loss scaling (fp16 underflows: the scale matters)
  'fp32 net in fp16, stochastic': {
    ...base, net: { arch: 'tfc', hidden: [24], weights: { method: 'none', bits: 32 }, act: { method: 'relu', bits: 32 } },
    optimizer: { name: 'adam', lr: 0.003 }, mixed: mixedPrecisionHooks({ format: 'fp16', rounding: 'STOCHASTIC', growthInterval: 5 }),
  },
};

/** Runs `cfg` uninterrupted, saving the state after epoch `at`; returns the final network and the state folder. */
function runSavingAt(cfg: TrainConfig, at: number): { net: Network; log: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'resume-'));
  const r = train({ ...cfg, onEpoch: (net, e, ck) => e.epoch === at && saveState(dir, net, { spec: cfg.net, seed: cfg.seed, meta: {} }, ck) }, data);
  return { net: r.net, log: JSON.stringify(r.log.map((e) => [e.loss, e.trainAcc, e.valAcc, e.lr])), dir };
}

describe('resumable training', () => {
  for (const [name, cfg] of Object.entries(CONFIGS)) {
    it(`${name}: stopped after epoch 1 and resumed from the saved state, the weights are bit-identical`, () => {
      const full = runSavingAt(cfg, 1);
      const { net, checkpoint } = loadState(full.dir);
      expect(checkpoint!.epoch).toBe(1);
      const resumed = train(cfg, data, { net, checkpoint: checkpoint! });
      expect(resumed.log.length).toBe(3);
      expect(JSON.stringify(resumed.log.map((e) => [e.loss, e.trainAcc, e.valAcc, e.lr]))).toBe(full.log);
      expect(bytes(resumed.net).equals(bytes(full.net))).toBe(true);
    });
  }

  it('the check is sensitive: dropping any one part of the checkpoint changes the weights', () => {
    const fresh = (): number[] => new Rng(1).state();
    const broken: [config: string, part: string, breakIt: (c: TrainCheckpoint) => void][] = [
      ['bnn + adam + dropout + shift', 'data order', (c) => (c.orderRng = fresh())],
      ['bnn + adam + dropout + shift', 'shift augmentation', (c) => (c.augRng = fresh())],
      ['bnn + adam + dropout + shift', 'dropout masks', (c) => (c.net.dropoutRng = fresh())],
      ['bnn + adam + dropout + shift', 'Adam moments', (c) => c.optimizer.m.forEach((m) => m.fill(0))],
      ['bnn + adam + dropout + shift', 'Adam step count', (c) => (c.optimizer.t = 0)],
      ['lsq + sgd + stochastic weight rounding', 'LSQ step initialized', (c) => (c.net.lsqInit = c.net.lsqInit.map(() => false))],
      ['lsq + sgd + stochastic weight rounding', 'stochastic weight rounding', (c) => (c.optimizer.rng = fresh())],
      ['fp32 net in fp16, stochastic', 'minifloat rounding', (c) => (c.precision!.rng = fresh())],
      ['fp32 net in fp16, stochastic', 'loss scale', (c) => (c.precision!.lossScale /= 2)],
    ];
    const full: Record<string, ReturnType<typeof runSavingAt>> = {};
    for (const [name, part, breakIt] of broken) {
      const cfg = CONFIGS[name]!;
      full[name] ??= runSavingAt(cfg, 1);
      const { net, checkpoint } = loadState(full[name].dir);
      breakIt(checkpoint!);
      expect(bytes(train(cfg, data, { net, checkpoint: checkpoint! }).net).equals(bytes(full[name].net)), part).toBe(false);
    }
  });

  it('keeps one epoch\'s files; a changed state file is refused by its hash; a checkpoint of another network is refused', () => {
    const cfg = CONFIGS['lsq + sgd + stochastic weight rounding']!;
    const dir = mkdtempSync(join(tmpdir(), 'resume-'));
    train({ ...cfg, onEpoch: (net, _e, ck) => saveState(dir, net, { spec: cfg.net, seed: cfg.seed, meta: {} }, ck) }, data);
    expect(readdirSync(dir).sort()).toEqual(['resume.3.bin', 'state.3.bin', 'state.json']);
    const p = join(dir, 'resume.3.bin');
    const b = readFileSync(p);
    b[7] ^= 1;
    writeFileSync(p, b);
    expect(() => loadState(dir)).toThrow(/resume\.3\.bin: its sha256 differs/);
    b[7] ^= 1;
    writeFileSync(p, b);
    const { checkpoint } = loadState(dir);
    const other = CONFIGS['bnn + adam + dropout + shift']!;
    expect(() => train(other, data, { net: loadState(runSavingAt(other, 1).dir).net, checkpoint: checkpoint! })).toThrow(InputError);
  });

  it('runTraining with a state folder: --stop-after then the same command again equals one uninterrupted run', async () => {
    const dataDir = mnistSubset(600, 500);
    const o: RunOptions = { arch: 'tfc', hidden: [32], wbits: 1, abits: 1, epochs: 3, seed, valCount: 0, dropout: 0.1, shift: 1, dataDir, label: 'resume-test' };
    const tmp = mkdtempSync(join(tmpdir(), 'resume-run-'));
    const whole = runTraining(o, join(tmp, 'whole'), join(tmp, 'state-whole'));
    const first = runTraining({ ...o, stopAfter: 2 }, join(tmp, 'part'), join(tmp, 'state-split'));
    expect(first.epochs).toBe(2);
    expect(first.command).toMatch(/\(stopped after epoch 2\)$/);
    const rest = runTraining(o, join(tmp, 'split'), join(tmp, 'state-split'));
    expect(rest.epochs).toBe(3);
    expect(rest.command).toBe(whole.command);
    expect(rest.testAccuracy).toBe(whole.testAccuracy);
    // the exported weights, thresholds and memory images are byte-identical, file by file
    const files = (readdirSync(join(tmp, 'whole'), { recursive: true }) as string[]).filter((f) => /^(blobs|mem)\/./.test(f));
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) expect(readFileSync(join(tmp, 'split', f)).equals(readFileSync(join(tmp, 'whole', f))), f).toBe(true);
    // a run with other options does not touch the state
    expect(() => runTraining({ ...o, seed: seed + 1 }, null, join(tmp, 'state-split'))).toThrow(/holds the state of another run .*--seed/);
    const cli = ['train', '--arch', 'tfc', '--hidden', '32', '--wbits', '1', '--abits', '1', '--epochs', '3', '--val-images', '0', '--data', dataDir, '--state', join(tmp, 'state-split')];
    expect(await main([...cli, '--seed', String(seed + 1)])).toBe(2);
    expect(await main([...cli, '--seed', String(seed), '--stop-after', '4'])).toBe(2);
  });
});
