import { describe, it, expect } from 'vitest';
import { join, resolve } from 'node:path';
import { runCli } from '../unit/helpers/cli.js';

/**
 * A whole user accelerator at its host interface (`"model": "accelerator"`): examples/rtl/bnn_mlp, a
 * binarized MLP engine written apart from hdl/, loads the shipped sfc-w1a1 network through the binding's
 * load stream and runs 200 seeded images with random valid gaps and backpressure; every logit of every
 * image must equal the integer reference's. Its injected bugs run in test/slow/rtl_bind_accel.test.ts.
 */
const DIR = resolve('examples/rtl/bnn_mlp');
const args = ['verify', '--rtl', join(DIR, 'bnn_mlp.sv'), '--top', 'bnn_mlp', '--bind', join(DIR, 'bind.json')];

describe('verify --rtl with an accelerator binding', () => {
  it('the binarized MLP engine matches sfc-w1a1 image by image; cycles are measured, not compared', async () => {
    const r = await runCli([...args, '--model', 'sfc-w1a1', '--cases', '200', '--seed', '2']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // 10 logits per image, one per beat; the load (6,184 words) takes at least 6,184 cycles; the first
    // logit needs layers 0-2's 256 * (13 + 4 + 4) weight words and 4 of layer 3's: latency >= 5,380
    expect(r.out).toMatch(/^ok +bnn_mlp \(accelerator, transactions\) model sfc-w1a1: 2000 of 2000 output transactions compared \(200 images\), \d+ cycles, parameter image 6184 words of 64 bits loaded by cycle (6[1-9]\d\d|[7-9]\d\d\d), latency min\/median\/max (53[89]\d|5[4-9]\d\d)\/[\d.]+\/\d+ cycles, cycles per output transaction [1-9]\/[\d.]+\/\d+, backpressure [1-9]\d* cycles/);
  });

  it('--design instead of --model, or no model: exit 2 with one line, nothing built', async () => {
    const d = await runCli([...args, '--design', 'int8']);
    expect([d.code, d.err.trim()]).toEqual([2, 'lowbit: verify --rtl: an accelerator binding takes its formats from the network: give --model, not --design']);
    const m = await runCli([...args, '--model', 'sfc-w1a', '--cases', '2']);
    expect(m.code).toBe(2);
    expect(m.err).toMatch(/^lowbit: model sfc-w1a: no such file or folder, and no shipped model of that name .*did you mean sfc-w1a1/);
  });
});
