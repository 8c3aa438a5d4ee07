import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, testSeed } from '../../src/util/rng.js';
import { InputError } from '../../src/util/errors.js';
import { loadQuantizedModel, saveQuantizedModel, validateModel, type QuantizedModel } from '../../src/model/index.js';
import { BINARY, int, randomCnn, randomMlp } from './fixtures/model/random_models.js';

const seed = testSeed(5101);
const tmp = () => mkdtempSync(join(tmpdir(), 'lowbit-qmodel-'));

function models(rng: Rng): QuantizedModel[] {
  return [
    randomMlp(rng, [20, 16, 7], int(8, true), int(8, false), 'multiplier-double'),
    randomMlp(rng, [33, 9, 4], int(4, true), int(4, false), 'shift'),
    randomMlp(rng, [40, 35, 3], int(3, false), int(2, true), 'threshold'),
    randomMlp(rng, [70, 33, 5], BINARY, BINARY, 'bipolar'),
    randomMlp(rng, [12, 6, 2], int(16, true), int(12, true), 'onnx'),
    randomCnn(rng, 2, 8, 9, int(8, true), int(8, true), 'multiplier-single'),
  ];
}

/** Round-trips through JSON semantics: typed arrays compared element by element. */
function expectSameModel(a: QuantizedModel, b: QuantizedModel): void {
  expect(JSON.stringify(b, replacer)).toBe(JSON.stringify(a, replacer));
}
function replacer(_k: string, v: unknown): unknown {
  return v instanceof Int32Array ? { i32: Array.from(v) } : v;
}

describe(`QuantizedModel save/load (seed ${seed})`, () => {
  it('round-trips every format and output stage identically', () => {
    const rng = new Rng(seed);
    for (const m of models(rng)) {
      const dir = join(tmp(), m.name);
      saveQuantizedModel(m, dir);
      const back = loadQuantizedModel(dir);
      expectSameModel(m, back);
      // saving the loaded model again writes byte-identical files
      const dir2 = join(tmp(), m.name);
      saveQuantizedModel(back, dir2);
      for (const sub of ['blobs', 'mem']) {
        for (const f of readdirSync(join(dir, sub))) expect(readFileSync(join(dir2, sub, f))).toEqual(readFileSync(join(dir, sub, f)));
      }
      expect(readFileSync(join(dir2, 'model.json'), 'utf8')).toBe(readFileSync(join(dir, 'model.json'), 'utf8'));
    }
  });

  it('writes the documented files: manifest, blobs, memory images', () => {
    const m = randomMlp(new Rng(seed), [64, 8, 3], int(4, true), int(4, false), 'multiplier-double');
    const dir = join(tmp(), 'm');
    saveQuantizedModel(m, dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(manifest.format).toBe('lowbit-quantized-model');
    expect(manifest.schemaVersion).toBe(1);
    expect(manifest.layers[1].weight.data).toEqual({ file: 'blobs/1_fc0.weight.bin', dtype: 'int8', count: 512 });
    expect(readFileSync(join(dir, 'blobs/1_fc0.weight.bin')).length).toBe(512);
    // 64 int4 weights per row = 8 words per row, 8 rows
    const hex = readFileSync(join(dir, 'mem/1_fc0.weight.hex'), 'utf8').trim().split('\n');
    expect(hex.length).toBe(64);
    expect(hex.every((l) => /^[0-9a-f]{8}$/.test(l))).toBe(true);
    expect(manifest.memoryImages[0]).toEqual({ layer: 'fc0', tensor: 'weight', file: 'mem/1_fc0.weight.hex', wordBits: 32, words: 64 });
  });

  it('a failed save leaves the old folder untouched', () => {
    const m = randomMlp(new Rng(seed), [8, 4, 2], int(8, true), int(8, false), 'multiplier-double');
    const dir = join(tmp(), 'keep');
    saveQuantizedModel(m, dir);
    const before = readFileSync(join(dir, 'model.json'), 'utf8');
    const bad = structuredClone(m);
    (bad.layers[1] as { weight: { data: Int32Array } }).weight.data[0] = 1000;
    expect(() => saveQuantizedModel(bad, dir)).toThrow(/weight\.data\[0\]: got 1000; allowed: an integer -128\.\.127/);
    expect(readFileSync(join(dir, 'model.json'), 'utf8')).toBe(before);
  });
});

describe('loader rejects bad models with the file and the field', () => {
  const base = () => {
    const m = randomMlp(new Rng(seed + 1), [16, 8, 3], int(4, true), int(4, false), 'threshold');
    const dir = join(tmp(), 'bad');
    saveQuantizedModel(m, dir);
    return dir;
  };
  const edit = (dir: string, f: (j: any) => void) => {
    const p = join(dir, 'model.json');
    const j = JSON.parse(readFileSync(p, 'utf8'));
    f(j);
    writeFileSync(p, JSON.stringify(j));
  };
  const expectErr = (dir: string, re: RegExp) => {
    let err: unknown;
    try {
      loadQuantizedModel(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(re);
  };

  it('truncated blob', () => {
    const dir = base();
    const p = join(dir, 'blobs/1_fc0.weight.bin');
    writeFileSync(p, readFileSync(p).subarray(0, 100));
    expectErr(dir, /1_fc0\.weight\.bin: got 100 bytes; allowed: exactly 128 bytes .*truncated/);
  });
  it('missing manifest and missing blob', () => {
    expectErr(join(tmp(), 'nothing'), /model\.json: not found/);
    const dir = base();
    edit(dir, (j) => (j.layers[1].bias = { file: 'blobs/nope.bin', dtype: 'int32', count: 8 }));
    expectErr(dir, /nope\.bin: not found/);
  });
  it('schema version, unknown kind, unknown format', () => {
    let dir = base();
    edit(dir, (j) => (j.schemaVersion = 2));
    expectErr(dir, /model\.json: schemaVersion: got 2; allowed: 1/);
    dir = base();
    edit(dir, (j) => (j.layers[2].kind = 'softmax'));
    expectErr(dir, /layers\[2\]\.kind: got "softmax"; allowed: one of quantize, dense/);
    dir = base();
    edit(dir, (j) => (j.layers[1].input.format = { type: 'float' }));
    expectErr(dir, /layers\[1\]\.input\.format\.type: got "float"/);
  });
  it('wrong shape', () => {
    const dir = base();
    edit(dir, (j) => (j.inputShape = [17]));
    expectErr(dir, /inFeatures: got 16; the input has 17 features/);
  });
  it('weight that does not fit its bits', () => {
    const dir = base();
    const p = join(dir, 'blobs/1_fc0.weight.bin');
    const b = readFileSync(p);
    b[5] = 9; // int4 allows -8..7
    writeFileSync(p, b);
    expectErr(dir, /layers\[1\]\.weight\.data\[5\]: got 9; allowed: an integer -8\.\.7 \(int4\)/);
  });
  it('unsorted thresholds, shift out of range, zero point out of range, clamp', () => {
    let dir = base();
    const p = join(dir, 'blobs/1_fc0.thresholds.bin');
    const b = Buffer.from(readFileSync(p));
    const steps = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).layers[1].output.steps;
    if (steps > 1) {
      b.writeInt32LE(2 ** 30, 0);
      writeFileSync(p, b);
      expectErr(dir, /output\.thresholds\[0\]\[1\]: got -?\d+; allowed: a value >= thresholds\[0\]\[0\] = 1073741824/);
    }
    const m = randomMlp(new Rng(seed), [8, 4, 2], int(8, true), int(8, false), 'multiplier-double');
    dir = join(tmp(), 'm');
    saveQuantizedModel(m, dir);
    edit(dir, (j) => (j.layers[1].output.scaling.shift[0] = 31));
    expectErr(dir, /layers\[1\]\.output\.scaling\.shift\[0\]: got 31; allowed: an integer -31\.\.30/);
    saveQuantizedModel(m, dir);
    edit(dir, (j) => (j.layers[1].input.zeroPoint = 256));
    expectErr(dir, /layers\[1\]\.input\.zeroPoint: got 256; allowed: an integer 0\.\.255/);
    saveQuantizedModel(m, dir);
    edit(dir, (j) => (j.layers[1].output.clamp.max = 300));
    expectErr(dir, /clamp\.max: got 300; allowed: an integer -?\d+\.\.255/);
  });
  it('stale memory image', () => {
    const dir = base();
    const p = join(dir, 'mem/1_fc0.weight.hex');
    const lines = readFileSync(p, 'utf8').split('\n');
    lines[3] = lines[3] === '00000000' ? '00000001' : '00000000';
    writeFileSync(p, lines.join('\n'));
    expectErr(dir, /1_fc0\.weight\.hex: does not match fc0\.weight .*first difference at word 3/);
  });
  it('input quantization must chain', () => {
    const m = randomMlp(new Rng(seed), [8, 4, 2], int(8, true), int(8, false), 'multiplier-double');
    const bad = structuredClone(m);
    const l2 = bad.layers[2] as { input: { zeroPoint: number } };
    l2.input = { ...l2.input, zeroPoint: l2.input.zeroPoint + 1 }; // a fresh object: the clone shares it with layer 1's output
    expect(() => validateModel(bad, 'x')).toThrow(/x: layers\[2\]\.input: got uint8 zeroPoint \d+ .* previous layer outputs uint8/);
  });
});

describe('loader robustness', () => {
  it('deleting or corrupting any manifest field gives an InputError or a valid model, never a crash', () => {
    const rng = new Rng(seed + 2);
    for (const m of [
      randomMlp(rng, [6, 5, 2], int(4, true), int(4, false), 'threshold'),
      randomCnn(rng, 1, 6, 6, int(8, true), int(8, false), 'multiplier-single'),
    ]) {
      const dir = join(tmp(), 'r');
      saveQuantizedModel(m, dir);
      const p = join(dir, 'model.json');
      const orig = readFileSync(p, 'utf8');
      const paths: (string | number)[][] = [];
      const walk = (v: unknown, path: (string | number)[]) => {
        if (v === null || typeof v !== 'object') return;
        for (const [k, c] of Object.entries(v)) {
          const kk = Array.isArray(v) ? Number(k) : k;
          paths.push([...path, kk]);
          walk(c, [...path, kk]);
        }
      };
      walk(JSON.parse(orig), []);
      let rejected = 0;
      for (const path of paths) {
        for (const bad of [undefined, null, 'x', -1.5]) {
          const j = JSON.parse(orig);
          let o = j;
          for (const k of path.slice(0, -1)) o = o[k];
          const last = path[path.length - 1]!;
          if (bad === undefined) delete o[last];
          else o[last] = bad;
          writeFileSync(p, JSON.stringify(j));
          try {
            loadQuantizedModel(dir);
          } catch (e) {
            if (!(e instanceof InputError)) throw new Error(`${path.join('.')} = ${JSON.stringify(bad)}: ${(e as Error).stack}`);
            rejected++;
          }
        }
      }
      expect(rejected).toBeGreaterThan(paths.length * 2);
    }
  });
});
