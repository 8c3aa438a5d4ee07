import { describe, it, expect, vi, afterEach } from 'vitest';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { saveCheckpoint, type Checkpoint } from '../../src/model/checkpoint.js';
import { loadQuantizedModel } from '../../src/model/format.js';
import { exportOnnx } from '../../src/model/onnx/index.js';
import { writeFileSync } from 'node:fs';
import { Rng } from '../../src/util/rng.js';
import { writeNpy } from '../../src/util/npy.js';
import { loadMnist } from '../../src/data/mnist.js';

function capture(): { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err += String(s); return true; });
  return { out: () => out, err: () => err };
}

function tinyCheckpoint(dir: string): string {
  const rng = new Rng(3);
  const f = (n: number, s: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal() * s);
  const c: Checkpoint = {
    format: 'lowbit-fp32', version: 1, arch: 'tiny', inputShape: [784],
    layers: [
      { kind: 'dense', in: 784, out: 32, weight: f(784 * 32, 0.05), bias: f(32, 0.1) }, { kind: 'relu' },
      { kind: 'dense', in: 32, out: 10, weight: f(320, 0.3), bias: null },
    ],
  };
  const p = join(dir, 'ckpt');
  saveCheckpoint(p, c);
  return p;
}

afterEach(() => vi.restoreAllMocks());

describe('lowbit quantize / compress', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lowbit-qcli-'));
  const ckpt = tinyCheckpoint(dir);

  it('quantizes a checkpoint, writes the model and reports accuracy and size as JSON', async () => {
    const out = join(dir, 'models', 'tiny-w8a8');
    const io = capture();
    const code = await main(['quantize', '--checkpoint', ckpt, '--scheme', 'w8a8', '--calib', 'percentile:99.9', '--calib-images', '100', '--images', '200', '--out', out, '--json']);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    const r = JSON.parse(io.out());
    expect(r.scheme).toBe('w8a8');
    expect(r.calib).toBe('percentile:99.9');
    expect(r.accuracy.testImages).toBe(200);
    expect(Math.abs(r.accuracy.fp32 - r.accuracy.integer)).toBeLessThanOrEqual(0.02);
    // parameters: 784*32 + 32*10 int8 weights, 32 int32 biases, 32 multipliers (per-tensor here: 1) ...
    expect(r.size.savingVsFp32).toBeGreaterThan(3.5);
    expect(r.layers).toHaveLength(3);
    const m = loadQuantizedModel(out);
    expect(m.provenance.accuracy[0]).toEqual({ dataset: 'mnist-test', metric: 'top1', value: r.accuracy.integer, samples: 200 });
    expect(m.provenance.notes).toMatch(/PTQ scheme w8a8, calibration percentile:99.9 over 100 samples/);
  });

  it('--calib-data X.npy (NumPy float64 x / 255) calibrates exactly as the same MNIST images do', async () => {
    const train = loadMnist('train');
    const x = Float64Array.from(train.images.subarray(0, 100 * 784), (p) => p / 255);
    writeNpy(join(dir, 'calib.npy'), { data: x, shape: [100, 1, 28, 28] });
    const io = capture();
    const code = await main(['quantize', '--checkpoint', ckpt, '--scheme', 'w8a8', '--calib', 'percentile:99.9', '--calib-images', '100', '--images', '0',
      '--calib-data', join(dir, 'calib.npy'), '--out', join(dir, 'models', 'tiny-npy')]);
    vi.restoreAllMocks();
    expect(code, io.err()).toBe(0);
    const a = loadQuantizedModel(join(dir, 'models', 'tiny-w8a8'));
    const b = loadQuantizedModel(join(dir, 'models', 'tiny-npy'));
    expect(b.layers).toEqual(a.layers);
  });

  it('--model file.onnx imports a quantized ONNX model through the model importer and measures it the same way', async () => {
    const src = loadQuantizedModel(join(dir, 'models', 'tiny-w8a8'));
    const file = join(dir, 'tiny.onnx');
    writeFileSync(file, exportOnnx(src));
    const io = capture();
    const code = await main(['quantize', '--model', file, '--images', '200', '--out', join(dir, 'models', 'tiny-onnx'), '--json']);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    const r = JSON.parse(io.out());
    expect(r.scheme).toBe('onnx');
    expect(r.accuracy.integer).toBe(src.provenance.accuracy[0].value);
    expect(loadQuantizedModel(join(dir, 'models', 'tiny-onnx')).layers.map((l) => l.kind)).toEqual(src.layers.map((l) => l.kind));
  });

  it('prints a human-readable summary with overrides', async () => {
    const io = capture();
    const code = await main(['quantize', '--checkpoint', ckpt, '--scheme', 'w4a4', '--per-channel', '--override', 'last=w8a8', '--calib-images', '50', '--images', '100']);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    expect(io.out()).toMatch(/dense0: dense 784->32, weights int4 \(32 scales\), threshold to uint4/);
    expect(io.out()).toMatch(/dense1: dense 32->10, weights int8 \(1 scale\), int32 accumulator/);
    expect(io.out()).toMatch(/not written: no --out/);
  });

  it('bad input exits 2 with a message naming the option', async () => {
    let io = capture();
    expect(await main(['quantize', '--checkpoint', ckpt, '--scheme', 'w9b9', '--images', '0'])).toBe(2);
    vi.restoreAllMocks();
    expect(io.err()).toMatch(/--scheme: got "w9b9"; allowed: wXaY/);
    io = capture();
    expect(await main(['quantize', '--scheme', 'w8a8'])).toBe(2);
    vi.restoreAllMocks();
    expect(io.err()).toMatch(/give exactly one of --checkpoint/);
    io = capture();
    expect(await main(['quantize', '--checkpoint', join(dir, 'missing'), '--images', '0'])).toBe(2);
    vi.restoreAllMocks();
    expect(io.err()).toMatch(/checkpoint\.json: not found/);
    expect(existsSync(join(dir, 'missing'))).toBe(false);
  });

  it('compress reports stored bits, ratio and accuracy per stage', async () => {
    const io = capture();
    const out = join(dir, 'ckpt-compressed');
    const code = await main(['compress', '--checkpoint', ckpt, '--prune', '0.5', '--clusters', '8', '--huffman', '--images', '100', '--out', out, '--json']);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    const r = JSON.parse(io.out());
    expect(r.stages.map((s: { stage: string }) => s.stage)).toEqual(['fp32', 'pruned 0.5', 'shared k=8', 'huffman']);
    expect(r.stages[0].bits).toBe(32 * (784 * 32 + 32 + 320));
    for (let i = 1; i < 4; i++) expect(r.stages[i].bits).toBeLessThan(r.stages[i - 1].bits);
    expect(r.stages[3].accuracy).toBe(r.stages[2].accuracy);
    expect(existsSync(join(out, 'checkpoint.json'))).toBe(true);
  });
});
