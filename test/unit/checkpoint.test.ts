import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveCheckpoint, loadCheckpoint, layerShapes, type Checkpoint } from '../../src/model/checkpoint.js';
import { fp32Inference } from '../../src/model/fp32_infer.js';
import { InputError } from '../../src/util/errors.js';
import { Rng, testSeed } from '../../src/util/rng.js';

function rand(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

function cnn(rng: Rng): Checkpoint {
  return {
    format: 'lowbit-fp32', version: 1, arch: 'tiny-cnn', inputShape: [1, 6, 6],
    layers: [
      { kind: 'conv2d', inC: 1, outC: 2, k: 3, stride: 1, pad: 1, weight: rand(rng, 18), bias: rand(rng, 2) },
      { kind: 'batchnorm', channels: 2, eps: 1e-5, gamma: rand(rng, 2), beta: rand(rng, 2), mean: rand(rng, 2), var: new Float32Array([0.5, 2]) },
      { kind: 'relu' },
      { kind: 'maxpool2d', k: 2 },
      { kind: 'flatten' },
      { kind: 'dense', in: 18, out: 4, weight: rand(rng, 72), bias: null },
      { kind: 'hardtanh' },
      { kind: 'sign' },
    ],
    meta: { note: 'test' },
  };
}

const tmp = (): string => mkdtempSync(join(tmpdir(), 'lowbit-ckpt-'));

describe('checkpoint save/load', () => {
  const seed = testSeed(11);
  it(`round-trips every tensor bit for bit (seed ${seed})`, () => {
    const c = cnn(new Rng(seed));
    const dir = join(tmp(), 'c');
    saveCheckpoint(dir, c);
    const back = loadCheckpoint(dir);
    expect(back).toEqual(c);
    const json = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
    expect(json.format).toBe('lowbit-fp32');
    expect(json.layers[0].weight).toBe('l0_conv2d.weight.f32');
    expect(json.layers[5].bias).toBeNull();
    // blobs are raw little-endian float32
    const blob = readFileSync(join(dir, 'l0_conv2d.weight.f32'));
    expect(blob.readFloatLE(4)).toBe(c.layers[0].kind === 'conv2d' ? c.layers[0].weight[1] : NaN);
  });

  it('names the file and field of a truncated blob', () => {
    const dir = join(tmp(), 'c');
    saveCheckpoint(dir, cnn(new Rng(1)));
    const f = join(dir, 'l5_dense.weight.f32');
    writeFileSync(f, readFileSync(f).subarray(0, 100));
    expect(() => loadCheckpoint(dir)).toThrow(InputError);
    expect(() => loadCheckpoint(dir)).toThrow(/layers\[5\]\.weight: blob .*l5_dense\.weight\.f32 has 100 bytes; expected 288/);
  });

  it('rejects an unknown layer kind, naming it and the allowed kinds', () => {
    const dir = join(tmp(), 'c');
    saveCheckpoint(dir, cnn(new Rng(1)));
    const f = join(dir, 'checkpoint.json');
    const j = JSON.parse(readFileSync(f, 'utf8'));
    j.layers[2].kind = 'gelu';
    writeFileSync(f, JSON.stringify(j));
    expect(() => loadCheckpoint(dir)).toThrow(/checkpoint\.json: layers\[2\]\.kind: got "gelu"; allowed: one of dense, conv2d/);
  });

  it('rejects sizes that do not chain (shape mismatch)', () => {
    const dir = join(tmp(), 'c');
    saveCheckpoint(dir, cnn(new Rng(1)));
    const f = join(dir, 'checkpoint.json');
    const j = JSON.parse(readFileSync(f, 'utf8'));
    j.layers[1].channels = 3;
    writeFileSync(f, JSON.stringify(j));
    // blob sizes are checked first (3 channels -> 12 bytes expected)
    expect(() => loadCheckpoint(dir)).toThrow(/layers\[1\]\.gamma: blob .* has 8 bytes; expected 12/);
    const c = cnn(new Rng(1));
    Object.assign(c.layers[5], { in: 20, weight: new Float32Array(80) });
    expect(() => saveCheckpoint(join(tmp(), 'x'), c)).toThrow(/layers\[5\] \(dense\)\.in: got 20; allowed: 18/);
  });

  it('reports a missing checkpoint.json and a bad version', () => {
    expect(() => loadCheckpoint(join(tmp(), 'nope'))).toThrow(/checkpoint\.json: not found \(the directory does not exist\)/);
    const dir = join(tmp(), 'c');
    saveCheckpoint(dir, cnn(new Rng(1)));
    const f = join(dir, 'checkpoint.json');
    const j = JSON.parse(readFileSync(f, 'utf8'));
    j.version = 2;
    writeFileSync(f, JSON.stringify(j));
    expect(() => loadCheckpoint(dir)).toThrow(/version: got 2; allowed: 1/);
  });

  it('saves atomically: a rejected checkpoint leaves the old directory untouched', () => {
    const dir = join(tmp(), 'c');
    saveCheckpoint(dir, cnn(new Rng(1)));
    const before = readdirSync(dir).sort();
    const bad = cnn(new Rng(2));
    (bad.layers[0] as { weight: Float32Array }).weight = new Float32Array(5);
    expect(() => saveCheckpoint(dir, bad)).toThrow(/layers\[0\]\.weight\.length: got 5; allowed: 18/);
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(loadCheckpoint(dir)).toEqual(cnn(new Rng(1)));
    expect(readdirSync(join(dir, '..')).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(existsSync(dir)).toBe(true);
  });

  it('computes per-layer shapes', () => {
    const c = cnn(new Rng(1));
    expect(layerShapes(c.inputShape, c.layers)).toEqual([
      [1, 6, 6], [2, 6, 6], [2, 6, 6], [2, 6, 6], [2, 3, 3], [18], [4], [4], [4],
    ]);
  });
});

describe('fp32Inference', () => {
  it('computes a hand-checked dense + batchnorm + relu network', () => {
    const c: Checkpoint = {
      format: 'lowbit-fp32', version: 1, arch: 'hand', inputShape: [2],
      layers: [
        { kind: 'dense', in: 2, out: 2, weight: new Float32Array([1, 2, -3, 0.5]), bias: new Float32Array([0.5, 1]) },
        { kind: 'batchnorm', channels: 2, eps: 0, gamma: new Float32Array([2, -1]), beta: new Float32Array([1, 0]), mean: new Float32Array([1, 0]), var: new Float32Array([4, 1]) },
        { kind: 'relu' },
      ],
    };
    // x = [1, 1]: dense -> [3.5, -1.5]; bn -> [2*(2.5)/2+1, -1*(-1.5)/1+0] = [3.5, 1.5]
    // x = [2, -4]: dense -> [-5.5, -7]; bn -> [2*(-6.5)/2+1, 7] = [-5.5, 7] -> relu [0, 7]
    const y = fp32Inference(c, new Float32Array([1, 1, 2, -4]), 2);
    expect(Array.from(y)).toEqual([3.5, 1.5, 0, 7]);
  });

  it('conv2d with padding and stride, maxpool and sign on hand-checked values', () => {
    const c: Checkpoint = {
      format: 'lowbit-fp32', version: 1, arch: 'hand', inputShape: [1, 3, 3],
      layers: [{ kind: 'conv2d', inC: 1, outC: 1, k: 2, stride: 2, pad: 1, weight: new Float32Array([1, 2, 3, 4]), bias: new Float32Array([0.5]) }],
    };
    // input 1..9 padded by 1; windows at (-1,-1),(−1,1),(1,−1),(1,1)
    // (0,0): only x[0][0]=1 at w[1][1]=4 -> 4.5 ; (0,1): x[0][1]=2*w[1][0]=3, x[0][2]=3*w[1][1]=4 -> 6+12+0.5=18.5
    // (1,0): x[1][0]=4*w[0][1]=2, x[2][0]=7*w[1][1]=4 -> 8+28+.5=36.5 ; (1,1): 5*1+6*2+8*3+9*4+.5 = 77.5
    expect(Array.from(fp32Inference(c, Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), 1))).toEqual([4.5, 18.5, 36.5, 77.5]);
    const p: Checkpoint = {
      format: 'lowbit-fp32', version: 1, arch: 'hand', inputShape: [1, 4, 5],
      layers: [{ kind: 'maxpool2d', k: 2 }, { kind: 'flatten' }, { kind: 'sign' }],
    };
    const x = Float32Array.from([-9, -8, 0, -1, 5, -7, -6, -2, -3, 5, -1, -1, -4, -5, 5, -1, -2, -6, -7, 5]);
    // windows: [-9,-8,-7,-6] -> -6 -> -1 ; [0,-1,-2,-3] -> 0 -> +1 ; [-1,-1,-1,-2] -> -1 ; [-4,-5,-6,-7] -> -4
    expect(Array.from(fp32Inference(p, x, 1))).toEqual([-1, 1, -1, -1]);
  });

  it('a full-size conv equals the dense layer with the same weights, and visit sees every layer', () => {
    const rng = new Rng(testSeed(5));
    const w = rand(rng, 3 * 2 * 4 * 4);
    const b = rand(rng, 3);
    const conv: Checkpoint = {
      format: 'lowbit-fp32', version: 1, arch: 'a', inputShape: [2, 4, 4],
      layers: [{ kind: 'conv2d', inC: 2, outC: 3, k: 4, stride: 1, pad: 0, weight: w, bias: b }, { kind: 'flatten' }],
    };
    const dense: Checkpoint = {
      format: 'lowbit-fp32', version: 1, arch: 'b', inputShape: [32],
      layers: [{ kind: 'dense', in: 32, out: 3, weight: w, bias: b }],
    };
    const x = rand(rng, 5 * 32);
    const seen: number[][] = [];
    const out = new Float32Array(15);
    const y = fp32Inference(conv, x, 5, out, (_i, _o, s) => seen.push(s));
    expect(y).toBe(out);
    expect(seen).toEqual([[3, 1, 1], [3]]);
    const z = fp32Inference(dense, x, 5);
    for (let i = 0; i < 15; i++) expect(Math.abs(y[i] - z[i])).toBeLessThan(1e-5);
    expect(() => fp32Inference(dense, x, 4)).toThrow(/x\.length: got 160; allowed: batch \* 32 = 128/);
  });
});
