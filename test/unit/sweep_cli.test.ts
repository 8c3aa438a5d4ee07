import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/util/rng.js';
import { saveQuantizedModel } from '../../src/model/format.js';
import { importOnnx } from '../../src/model/onnx/import.js';
import { integerInference, inputQuant } from '../../src/model/infer.js';
import { quantizeInput } from '../../src/model/stages.js';
import { loadMnist } from '../../src/data/mnist.js';
import { parseSpace, pointAt } from '../../src/explore/space.js';
import { evaluatePoint, pointAccuracy } from '../../src/explore/evaluate.js';
import { readResults } from '../../src/explore/sweep.js';
import { int, randomMlp } from './fixtures/model/random_models.js';
import { runCli as run } from './helpers/cli.js';

// A random 784-12-10 int8 MLP (MNIST-shaped input) and a 12-point space over array size, lanes and clock.
const dir = mkdtempSync(join(tmpdir(), 'lowbit-sweepcli-'));
process.env.LOWBIT_CACHE = join(dir, 'cache');
const modelDir = join(dir, 'mlp');
const model = randomMlp(new Rng(5), [784, 12, 10], int(8, true), int(8, true), 'multiplier-double');
saveQuantizedModel(model, modelDir);
const spaceJson = {
  base: 'tiny',
  schemes: { w8a8: { model: modelDir, design: { 'weight.bits': 8 } } },
  axes: { scheme: ['w8a8'], array: ['2x2', '4x4', '4x8'], 'xnor.bitsPerCycle': [32, 64], clockMHz: [100, 200] },
  seed: 9,
  images: 40,
};
const spaceFile = join(dir, 'space.json');
writeFileSync(spaceFile, JSON.stringify(spaceJson));


describe('lowbit sweep', () => {
  it('runs in the worker pool, is deterministic, resumes, and sharded + merged equals unsharded (CLI)', async () => {
    const a = join(dir, 'a.jsonl');
    const r = await run(['sweep', '--space', spaceFile, '--jobs', '2', '--out', a, '--no-area', '--accuracy']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^12 of 12 points/);
    expect(r.out).toContain('Pareto front (');
    const results = readResults(a);
    expect(results.map((x) => x.index)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    // deterministic: every line equals the in-process evaluation of its point (a pure function of the
    // space, the point and the model files)
    const s = parseSpace(spaceJson);
    for (const x of results) {
      expect(x.key).toBe(pointAt(s, x.index).key);
      expect(x.metrics).toEqual(evaluatePoint(s, x.index, { accuracy: true, area: false, batch: 1 }));
    }
    // one accuracy for the whole space (array, lanes and clock do not change values)
    expect(new Set(results.map((x) => x.metrics.accuracy)).size).toBe(1);
    expect(results[0].metrics.accuracyImages).toBe(40);
    // resume: nothing is redone
    const again = await run(['sweep', '--space', spaceFile, '--jobs', '2', '--out', a, '--no-area', '--accuracy']);
    expect(again.out).toContain('resumed: 12');
    // shards 1/2 and 2/2, merged
    const shards: string[] = [];
    for (let i = 1; i <= 2; i++) {
      const f = join(dir, `shard${i}.jsonl`);
      const rs = await run(['sweep', '--space', spaceFile, '--jobs', '1', '--shard', `${i}/2`, '--out', f, '--no-area', '--accuracy']);
      expect(rs.out).toMatch(/^6 of 12 points/);
      shards.push(f);
    }
    const merged = join(dir, 'merged.jsonl');
    const m = await run(['sweep', 'merge', '--space', spaceFile, '--out', merged, ...shards]);
    expect(m.code).toBe(0);
    expect(readResults(merged)).toEqual(results);
    expect(readFileSync(merged, 'utf8')).toBe(results.map((x) => JSON.stringify(x) + '\n').join(''));
    const partial = await run(['sweep', 'merge', '--space', spaceFile, '--out', join(dir, 'm2.jsonl'), shards[0]]);
    expect(partial.code).toBe(2);
    expect(partial.err).toMatch(/6 of 12 points missing \(first: 1, 3, 5, 7, 9\)/);
  }, 120_000);

  it('--accuracy equals the integer reference on the same seeded images, cached across array sizes', () => {
    const s = parseSpace(spaceJson);
    const first = pointAccuracy(s, 0);
    expect(first.images).toBe(40);
    // the reference: integerInference over the same 40 images (seeded shuffle of the test set)
    const set = loadMnist('test');
    const order = new Rng(9).shuffle(Int32Array.from({ length: set.count }, (_, i) => i)).subarray(0, 40);
    const x = new Float32Array(40 * 784);
    for (let b = 0; b < 40; b++) for (let i = 0; i < 784; i++) x[b * 784 + i] = set.images[order[b] * 784 + i] / 255;
    const xq = quantizeInput(inputQuant(model)!, x, new Int32Array(x.length));
    const y = integerInference(model, xq).output;
    let correct = 0;
    for (let b = 0; b < 40; b++) {
      let best = 0;
      for (let j = 1; j < 10; j++) if (y[b * 10 + j] > y[b * 10 + best]) best = j;
      if (best === set.labels[order[b]]) correct++;
    }
    expect(first.accuracy).toBe(correct / 40);
    // point 11 differs in array, lanes and clock only: same cache entry
    expect(pointAccuracy(s, 11)).toEqual({ ...first, cached: true });
  });

  it('a scheme\'s model may be a quantized .onnx file: the same metrics and accuracy as the model saved as a folder', () => {
    const onnx = join(__dirname, 'fixtures', 'ort_static', 'cnn_qdq_pc.onnx');
    const folder = join(dir, 'cnn_qdq_pc');
    saveQuantizedModel(importOnnx(onnx, { name: 'cnn_qdq_pc' }), folder);
    const space = (model: string) => parseSpace({ base: 'int8-u8', schemes: { ort: { model, design: {} } }, axes: { scheme: ['ort'], array: ['4x4', '8x8'] }, seed: 3, images: 16 });
    for (const i of [0, 1]) {
      const [a, b] = [space(onnx), space(folder)].map((sp) => ({ ...evaluatePoint(sp, i, { area: false, accuracy: true, batch: 1 }) }));
      expect(a.error, String(a.error)).toBeUndefined();
      expect(a.model).toBe('cnn_qdq_pc'); // named after the file, as --model names an .onnx file
      expect(a).toEqual(b);
    }
    expect(pointAccuracy(space(onnx), 0).accuracy).toBe(pointAccuracy(space(folder), 0).accuracy);
  });

  it('rejects bad space files with exit 2 and the field named, leaving no results file', async () => {
    const cases: [unknown, RegExp][] = [
      [{ ...spaceJson, axes: { array: ['4by4'] } }, /axes.array: got "4by4"; allowed: RxC/],
      [{ ...spaceJson, axes: { 'array.depth': [1] } }, /axis array.depth/],
      [{ ...spaceJson, axes: { 'array.rows': [0] } }, /array.rows: got 0/],
      [{ ...spaceJson, images: -1 }, /images: got -1/],
      [{ ...spaceJson, bogus: 1 }, /field "bogus"/],
    ];
    for (const [json, msg] of cases) {
      const f = join(dir, 'bad.json');
      writeFileSync(f, JSON.stringify(json));
      const out = join(dir, 'bad.jsonl');
      const r = await run(['sweep', '--space', f, '--out', out, '--no-area']);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(msg);
      expect(existsSync(out)).toBe(false);
    }
    writeFileSync(join(dir, 'notjson.json'), '{');
    const r = await run(['sweep', '--space', join(dir, 'notjson.json'), '--no-area']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not valid JSON/);
  });
});
