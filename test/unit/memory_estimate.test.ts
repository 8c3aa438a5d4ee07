import { describe, it, expect } from 'vitest';
import { modelMemory } from '../../src/estimate/memory.js';
import type { QuantizedModel, DenseLayer } from '../../src/model/types.js';

const u8 = { format: { type: 'int' as const, bits: 8, signed: false }, scale: 1 / 255, zeroPoint: 0 };
const bin = { format: { type: 'binary' as const }, scale: 1, zeroPoint: 0 };

function dense(name: string, inF: number, outF: number, binary: boolean, last: boolean): DenseLayer {
  return {
    kind: 'dense',
    name,
    inFeatures: inF,
    outFeatures: outF,
    input: binary ? bin : u8,
    weight: { format: { type: 'binary' }, data: new Int32Array(inF * outF).fill(1), zeroPoint: [0], scale: [1] },
    bias: null,
    output: last
      ? { kind: 'accumulator' }
      : { kind: 'threshold', thresholds: new Int32Array(outF), channels: outF, steps: 1, offset: 0, bipolar: true, output: bin },
  };
}

describe('model memory footprint', () => {
  it('counts a binary MLP exactly (hand-computed) and gets the 32x weight saving', () => {
    const m: QuantizedModel = {
      schemaVersion: 1,
      name: 'tiny-w1a1',
      inputShape: [784],
      layers: [
        { kind: 'quantize', name: 'q', output: u8 },
        dense('fc0', 784, 64, false, false),
        dense('fc1', 64, 64, true, false),
        dense('fc2', 64, 10, true, true),
      ],
      provenance: { tool: 'test', date: '2026-01-01', source: 'hand', accuracy: [] },
    };
    const r = modelMemory(m);
    const weights = 784 * 64 + 64 * 64 + 64 * 10; // 54912
    expect(r.layers.map((l) => l.weights)).toEqual([0, 784 * 64, 64 * 64, 640]);
    // 1 bit per weight + one 32-bit threshold per channel of fc0 and fc1
    expect(r.parameterBits).toBe(weights + 32 * (64 + 64));
    expect(r.fp32Bits).toBe(32 * weights);
    expect(r.fp16Bits).toBe(16 * weights);
    expect(r.savingVsFp32).toBeCloseTo((32 * weights) / (weights + 4096), 12);
    // peak activation: the float input (784 x 32) + the quantized copy (784 x 8)
    expect(r.peakActivationBits).toBe(784 * 32 + 784 * 8);
    expect(r.layers[3].outputBits).toBe(10 * 32);
  });
});
