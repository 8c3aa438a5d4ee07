/**
 * `lowbit quantize --scheme wXafp16|wXabf16|wXafp32 [--group G]` and `lowbit infer` on the weight-only model
 * it writes (outputs equal the library's `weightOnlyInference`); run/estimate refuse it with one line.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { saveCheckpoint } from '../../src/model/checkpoint.js';
import { weightOnlyInference } from '../../src/model/weight_only.js';
import { loadWeightOnlyModel } from '../../src/model/weight_only_io.js';
import { readNpy, writeNpy } from '../../src/util/npy.js';
import { Rng } from '../../src/util/rng.js';
import { runCli as run } from './helpers/cli.js';
import { tinyMlpCheckpoint } from './helpers/tiny_checkpoint.js';

describe('weight-only quantization on the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lowbit-wo-cli-'));
  const rng = new Rng(2020);
  const ckpt = tinyMlpCheckpoint(rng);
  saveCheckpoint(join(dir, 'ckpt'), ckpt);

  it('quantize writes the model, infer runs it equal to the library, run refuses the accelerator, export refuses it', async () => {
    const out = join(dir, 'w3bf16');
    const q = await run(['quantize', '--checkpoint', join(dir, 'ckpt'), '--scheme', 'w3abf16', '--group', '32', '--images', '50', '--out', out, '--json']);
    expect(q.code, q.err).toBe(0);
    const r = JSON.parse(q.out);
    expect(r).toMatchObject({ weightBits: 3, group: 32, activation: 'bf16', weights: 784 * 16 + 160, scales: 16 * 25 + 10 });
    const m = loadWeightOnlyModel(out);
    expect(m.layers[0]).toMatchObject({ kind: 'dense', weight: { bits: 3, group: 32 } });
    const x = Float32Array.from({ length: 3 * 784 }, () => rng.float());
    writeNpy(join(dir, 'x.npy'), { data: x, shape: [3, 784] });
    const inf = await run(['infer', '--model', out, '--input', join(dir, 'x.npy'), '--out', join(dir, 'y.npy')]);
    expect(inf.code, inf.err).toBe(0);
    expect(inf.out).toMatch(/weight-only, bf16 activations; 3 samples/);
    expect(Array.from(readNpy(join(dir, 'y.npy')).data as Float32Array)).toEqual(Array.from(weightOnlyInference(m, x, 3)));
    const bad = await run(['run', '--model', out, '--design', 'int8-mnist', '--images', '1']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--design does not apply here: model .* is weight-only \(float activations\)/);
    const exp = await run(['export', '--model', out, '--format', 'onnx', '--out', join(dir, 'm.onnx')]);
    expect(exp.code).toBe(2);
    expect(exp.err).toMatch(/is a weight-only model .* `lowbit infer`, `run` and `estimate` take it/);
    const req = await run(['infer', '--model', out, '--input', join(dir, 'x.npy'), '--requant', 'onnxruntime']);
    expect(req.code).toBe(2);
    expect(req.err).toMatch(/--requant does not apply here/);
    // estimate: --no-area (the skip spelling) is harmless, --area is refused
    const est = await run(['estimate', '--model', out, '--json']);
    expect(est.code, est.err).toBe(0);
    expect((await run(['estimate', '--model', out, '--json', '--no-area'])).out).toBe(est.out);
    const area = await run(['estimate', '--model', out, '--area']);
    expect(area.code).toBe(2);
    expect(area.err).toMatch(/--area does not apply here: model .* is weight-only/);
  });

  it('bad schemes and options exit 2 naming them', async () => {
    const b1 = await run(['quantize', '--checkpoint', join(dir, 'ckpt'), '--scheme', 'w9afp16', '--images', '0']);
    expect(b1.code).toBe(2);
    expect(b1.err).toMatch(/--scheme: got "w9afp16"; allowed: a weight-only scheme with 2\.\.8 weight bits/);
    const b2 = await run(['quantize', '--checkpoint', join(dir, 'ckpt'), '--scheme', 'w4afp16', '--calib', 'kl', '--images', '0']);
    expect(b2.code).toBe(2);
    expect(b2.err).toMatch(/--calib does not apply here/);
  });
});
