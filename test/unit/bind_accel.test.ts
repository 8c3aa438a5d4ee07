import { describe, it, expect } from 'vitest';
import { intFormat } from '../../src/arith/index.js';
import { readFileSync } from 'node:fs';
import { integerInference } from '../../src/model/infer.js';
import { loadModel } from '../../src/model/locate.js';
import { int, randomMlp } from '../../src/model/random.js';
import { SCHEMA_VERSION, type DenseLayer, type QuantizedModel } from '../../src/model/types.js';
import { acceleratorModel } from '../../src/rtl/bind/accel_model.js';
import { paramImage } from '../../src/rtl/bind/param_image.js';
import type { RtlPort } from '../../src/rtl/bind/ports.js';
import { resolveBinding } from '../../src/rtl/bind/resolve.js';
import { parseBinding } from '../../src/rtl/bind/spec.js';
import type { Design } from '../../src/hw/design.js';
import { Rng } from '../../src/util/rng.js';
import { inputErrorMessage } from './helpers/input_error.js';

/**
 * The accelerator binding (`"model": "accelerator"`): the parameter image's layout word by word, the
 * network model (beats in, the integer reference's outputs per image out), and the binding's errors.
 */
const BIND = 'examples/rtl/bnn_mlp/bind.json';
const bindJson = (): Record<string, any> => JSON.parse(readFileSync(BIND, 'utf8')) as Record<string, any>;
/** bnn_mlp's ports as Verilator lists them (AddrBits 13) */
const BNN: RtlPort[] = [
  { name: 'clk', dir: 'in', width: 1 }, { name: 'rst', dir: 'in', width: 1 },
  { name: 'ld_valid', dir: 'in', width: 1 }, { name: 'ld_ready', dir: 'out', width: 1 },
  { name: 'ld_addr', dir: 'in', width: 13 }, { name: 'ld_data', dir: 'in', width: 64 },
  { name: 'x_valid', dir: 'in', width: 1 }, { name: 'x_ready', dir: 'out', width: 1 },
  { name: 'x_data', dir: 'in', width: 64 }, { name: 'x_last', dir: 'in', width: 1 },
  { name: 'y_valid', dir: 'out', width: 1 }, { name: 'y_ready', dir: 'in', width: 1 },
  { name: 'y_data', dir: 'out', width: 32 }, { name: 'y_last', dir: 'out', width: 1 },
];

/** One dense layer 3 -> 2: int4 weights, a bias, TFLite multiplier scaling. */
function tiny(): QuantizedModel {
  const q = { format: int(8, true), scale: 0.1, zeroPoint: 0 };
  const l: DenseLayer = {
    kind: 'dense', name: 'fc', inFeatures: 3, outFeatures: 2, input: q,
    weight: { format: int(4, true), data: Int32Array.from([1, -2, 7, -8, 0, 3]), zeroPoint: [0], scale: [0.01] },
    bias: Int32Array.from([-5, 100000]),
    output: { kind: 'requantize', scaling: { kind: 'multiplier', variant: 'double', multiplier: [1 << 30, 1234567890], shift: [-3, 2] }, output: q, clamp: { min: -128, max: 127 } },
  };
  return { schemaVersion: SCHEMA_VERSION, name: 'tiny', inputShape: [3], layers: [l], provenance: { tool: 'test', date: '2026-01-01', source: 'test', accuracy: [] } };
}

describe('the parameter image (src/rtl/bind/param_image.ts)', () => {
  it('packs each tensor row by row from a new word, element j at bits (j mod P) * E', () => {
    const img = paramImage(tiny(), 32);
    // weight rows of 3 int4 (8 per 32-bit word): row 0 = 1, -2, 7 -> nibbles 1, e, 7; row 1 = -8, 0, 3 -> 8, 0, 3
    // bias: one int32 per word; multiplier: one per word; shift: int8, 4 per word: -3, 2 -> 0xfd, 0x02
    expect(img.words).toEqual([0x7e1n, 0x308n, 0xfffffffbn, 100000n, BigInt(1 << 30), 1234567890n, 0x02fdn]);
    expect(img.regions.map((g) => [g.name, g.base, g.words, g.perWord])).toEqual([
      ['fc.weight', 0, 2, 8], ['fc.bias', 2, 2, 1], ['fc.multiplier', 4, 2, 1], ['fc.shift', 6, 1, 4],
    ]);
    // on a 64-bit port two int32 share a word
    expect(paramImage(tiny(), 64).words.slice(2, 3)).toEqual([(100000n << 32n) | 0xfffffffbn]);
  });

  it('sfc-w1a1 on 64 bits: the regions the example engine computes from its own parameters', () => {
    const img = paramImage(loadModel('sfc-w1a1'), 64);
    // bnn_mlp.sv: WB0 = 0, TB0 = 256 * ceil(784 / 64), WB1 = TB0 + 256, TB1 = WB1 + 256 * 4, ..., Depth = WB3 + 10 * 4
    expect(img.regions.map((g) => `${g.name}@${g.base}`)).toEqual([
      'dense0.weight@0', 'dense0.thresholds@3328', 'dense1.weight@3584', 'dense1.thresholds@4608',
      'dense2.weight@4864', 'dense2.thresholds@5888', 'dense3.weight@6144',
    ]);
    expect(img.words.length).toBe(6184);
    // binary weights: bit 1 = +1; the word holds w[0][0..63]
    const w = (loadModel('sfc-w1a1').layers[1] as DenseLayer).weight.data;
    let word = 0n;
    for (let i = 0; i < 64; i++) if (w[i] > 0) word |= 1n << BigInt(i);
    expect(img.words[0]).toBe(word);
    expect(inputErrorMessage(() => paramImage(tiny(), 16, 'b.json: load.fields.data (port d, 16 bits)'))).toBe('b.json: load.fields.data (port d, 16 bits): a 16-bit data port cannot hold the image\'s 32-bit elements; make it at least 32 bits');
  });
});

describe('the accelerator model (src/rtl/bind/accel_model.ts)', () => {
  it('beats of an image in, the integer reference\'s outputs per image out, padded lanes not compared', () => {
    const qm = randomMlp(new Rng(4), [10, 6, 5], int(4, true), int(4, false), 'multiplier-double');
    const m = acceleratorModel(qm);
    const bound = new Set(['x', 'last', 'y', 'y_last']);
    const lanes = { x: 4, last: 1, y: 2, y_last: 1 };
    const txns = m.stimulus(undefined as unknown as Design, lanes, bound, 7, 5, [1, 1]);
    // 10 inputs in beats of 4: 3 beats per image, the last one with 2 padding lanes of 0
    expect(txns.length).toBe(15);
    expect(txns.map((t) => Number(t.last[0]))).toEqual([0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1]);
    expect(txns[2].x.slice(2)).toEqual([0n, 0n]);
    const x = Int32Array.from(txns.flatMap((t, k) => t.x.slice(0, k % 3 === 2 ? 2 : 4).map(Number)));
    const y = integerInference(qm, x).output;
    const run = m.run(undefined as unknown as Design, txns, bound, lanes);
    // 5 outputs in beats of 2: 3 beats per image, the last carries one lane
    expect(run.outputs.length).toBe(15);
    expect(run.outputs.map((t) => t.y.map(Number))).toEqual(Array.from({ length: 15 }, (_, k) => Array.from(y.subarray(Math.floor(k / 3) * 5 + (k % 3) * 2, Math.floor(k / 3) * 5 + Math.min(5, (k % 3) * 2 + 2)))));
    expect(run.outputs.map((t) => Number(t.y_last[0]))).toEqual([0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1]);
    expect([run.from[4], run.to[4]]).toEqual([3, 5]);
    expect(m.macs).toBe(10 * 6 + 6 * 5);
  });

  it('binary inputs and outputs travel as 1-bit lanes, 1 = +1', () => {
    const qm = loadModel('sfc-w1a1');
    const m = acceleratorModel(qm);
    expect(m.operands.map((o) => [o.name, o.format(undefined as unknown as Design)])).toEqual([
      ['x', intFormat(8, false)], ['last', intFormat(1, false)], ['y', intFormat(32, true)], ['y_last', intFormat(1, false)],
    ]);
  });
});

describe('accelerator bindings: errors name the field and the port', () => {
  const net = acceleratorModel(loadModel('sfc-w1a1'));
  const resolveWith = (patch: (j: Record<string, any>) => void, ports = BNN): string => {
    const j = bindJson();
    patch(j);
    return inputErrorMessage(() => resolveBinding(parseBinding(j, 'a.json'), undefined as unknown as Design, ports, 'bnn_mlp', { model: net, on: 'model sfc-w1a1' }));
  };

  it('the example resolves: x 8 lanes of uint8, y one int32, the load stream two words', () => {
    const r = resolveBinding(parseBinding(bindJson(), 'a.json'), undefined as unknown as Design, BNN, 'bnn_mlp', { model: net, on: 'model sfc-w1a1' });
    expect(r.lanes).toEqual({ x: 8, last: 1, y: 1, y_last: 1 });
    expect(r.load!.fields.map((f) => [f.operand, f.port, f.width])).toEqual([['addr', 'ld_addr', 13], ['data', 'ld_data', 64]]);
  });

  it('a missing or misplaced load stream, a wrong load port or lane width: one line each', () => {
    expect(resolveWith((j) => delete j.load)).toMatch(/^a\.json: load: model accelerator needs the load stream of the parameter image/);
    expect(resolveWith((j) => (j.load.fields = { addr: 'ld_addr', word: 'ld_data' }))).toBe('a.json: load.fields.word: allowed: addr, data (the word address and the word)');
    expect(resolveWith((j) => (j.load.fields.data = 'ld_dat'))).toMatch(/^a\.json: load\.fields\.data\.port: RTL port ld_dat is not a port of bnn_mlp; did you mean ld_data\?/);
    expect(resolveWith((j) => (j.load.ready = 'ld_valid'))).toBe('a.json: load.ready: port ld_valid is already bound at load.valid');
    expect(resolveWith((j) => (j.inputs[0].fields.x = { port: 'x_data', laneBits: 4 }))).toMatch(/^a\.json: inputs\[0\]\.fields\.x \(port x_data, 64 bits\): laneBits 4, but accelerator on model sfc-w1a1 has 8-bit input integers of model sfc-w1a1; set laneBits 8 or choose the model whose format the RTL has$/);
    expect(resolveWith((j) => (j.model = 'mac_pe'))).toBe('a.json: load: only model accelerator takes a load stream');
  });
});
