import { describe, it, expect } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/util/rng.js';
import { runModel } from '../../src/flows/run.js';
import { demoReport } from '../../src/flows/demo.js';
import { saveQuantizedModel } from '../../src/model/format.js';
import { PRESETS } from '../../src/hw/presets.js';
import type { Design } from '../../src/hw/design.js';
import { compileModel } from '../../src/hw/accel_compile.js';
import { inferenceCycles } from '../../src/hw/accel_top.js';
import { int, randomMlp } from './fixtures/model/random_models.js';
import { runCli as cli } from './helpers/cli.js';

const model = () => randomMlp(new Rng(11), [784, 16, 10], int(8, true), int(8, true), 'multiplier-double');


describe('lowbit run', () => {
  it('agrees bit-exactly with the integer reference on MNIST images and reports cycles and memory', async () => {
    const m = model();
    const r = await runModel(m, PRESETS.tiny, { images: 300, rtl: false, rtlImages: 0 });
    expect(r.images).toBe(300);
    expect(r.disagreement).toBeUndefined();
    expect(r.agreement.referenceVsAccelerator).toBe(1);
    expect(r.accuracy.accelerator).toBe(r.accuracy.reference);
    expect(r.cyclesPerInference).toBe(inferenceCycles(compileModel(m, PRESETS.tiny)));
    expect(r.inferencesPerSecond).toBeCloseTo((200e6) / r.cyclesPerInference, 6);
    expect(r.memory.fp32Bits).toBe(32 * (784 * 16 + 16 * 10) + (m.layers[1].kind === 'dense' && m.layers[1].bias ? 32 * 16 : 0) + (m.layers[2].kind === 'dense' && m.layers[2].bias ? 32 * 10 : 0));
    const rep = demoReport([r]);
    expect(rep.sections[0].table?.rows[0].slice(0, 3)).toEqual(['random-mlp', 'tiny', 300]);
    expect(rep.sections[1].table?.rows.length).toBe(2);
  });

  it('CLI: --json summary, exit 0; a missing model directory exits 2 naming it', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'lowbit-run-')), 'm');
    saveQuantizedModel(model(), dir);
    const emit = join(dir, '..', 'images');
    const ok = await cli(['run', '--model', dir, '--design', 'tiny', '--images', '40', '--json', '--out', emit]);
    expect(ok.code).toBe(0);
    expect(readdirSync(emit).sort()).toEqual(['.lowbit-output', 'bmem.hex', 'mmem.hex', 'params.json', 'prog.hex', 'smem.hex', 'tmem.hex', 'wmem.hex']);
    expect(JSON.parse(readFileSync(join(emit, 'params.json'), 'utf8')).parameters.Rows).toBe(4);
    const j = JSON.parse(ok.out);
    expect(j.images).toBe(40);
    expect(j.agreement.referenceVsAccelerator).toBe(1);
    const bad = await cli(['run', '--model', join(dir, 'nope'), '--design', 'tiny']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/nope/);
    const badImages = await cli(['run', '--model', dir, '--images', '0']);
    expect(badImages.code).toBe(2);
    expect(badImages.err).toMatch(/--images: got 0; allowed: an integer 1..10000/);
    const ws = await cli(['run', '--model', dir, '--design', 'tiny', '--dataflow', 'ws']);
    expect(ws.code).toBe(2);
    expect(ws.err).toMatch(/output-stationary/);
  });

  it('--input X.npy --labels y.npy (NumPy float64 images, int64 labels): a Brevitas QONNX CNN on the accelerator equals the reference', async () => {
    const fx = join(__dirname, 'fixtures');
    const r = await cli(['run', '--model', join(fx, 'qonnx', 'cnn_w4a4.onnx'), '--design', 'int8-mnist', '--input', join(fx, 'ort_static', 'input_f64.npy'),
      '--labels', join(fx, 'ort_static', 'labels.npy'), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.images).toBe(8);
    expect(j.agreement.referenceVsAccelerator).toBe(1);
    expect(j.accuracy.accelerator).toBe(j.accuracy.reference);
    const text = await cli(['run', '--model', join(fx, 'qonnx', 'cnn_w4a4.onnx'), '--design', 'int8-mnist', '--input', join(fx, 'ort_static', 'input_f64.npy'),
      '--labels', join(fx, 'ort_static', 'labels.npy')]);
    expect(text.code).toBe(0);
    expect(text.out.split('\n')[0]).toMatch(/: 8 images of .*input_f64\.npy$/);
    const half = await cli(['run', '--model', join(fx, 'qonnx', 'cnn_w4a4.onnx'), '--design', 'int8-mnist', '--input', join(fx, 'ort_static', 'input_f64.npy')]);
    expect(half.code).toBe(2);
    expect(half.err).toMatch(/--input and --labels go together/);
  });

  it('a CNN layer that does not fit the Design: one line naming the layer, what it needs and the Design field, exit 2', async () => {
    const cnn = join(__dirname, 'fixtures', 'qonnx', 'cnn_w4a4.onnx');
    const tmp = mkdtempSync(join(tmpdir(), 'lowbit-fit-'));
    const variant = (patch: (d: Design) => void): string => {
      const d = structuredClone(PRESETS['int8-mnist']);
      d.name = 'small';
      patch(d);
      const f = join(tmp, `d${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(f, JSON.stringify(d));
      return f;
    };
    const cases: [(d: Design) => void, RegExp][] = [
      [(d) => { d.buffers.activationBytes = 256; }, /the activation memory needs \d+ bytes; the Design's buffers\.activationBytes is 256 \(raise it to at least \d+; it holds two buffers of layer \S+'s \d+x\d+x\d+ input\)/],
      [(d) => { d.buffers.weightBytes = 64; }, /the weight memory needs \d+ bytes; the Design's buffers\.weightBytes is 64 \(raise it to at least \d+/],
      [(d) => { d.accumulator.bits = 10; }, /layer \S+ output \d+ may reach \|sum\| = \d+ > 511, beyond the 10-bit accumulator; use a Design with accumulator\.bits >= \d+/],
    ];
    for (const [patch, want] of cases) {
      const r = await cli(['run', '--model', cnn, '--design', variant(patch), '--images', '2']);
      expect(r.code, r.err).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(want);
    }
  });

  it('demo: no shipped models is a clear error (exit 2)', async () => {
    const r = await cli(['demo', '--models', mkdtempSync(join(tmpdir(), 'lowbit-empty-')), '--out', join(tmpdir(), 'lowbit-demo-none')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no shipped models under .*; train them with scripts\/train-models.sh/);
  });
});
