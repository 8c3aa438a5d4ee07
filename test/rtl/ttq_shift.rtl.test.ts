import { describe, it, expect } from 'vitest';
import { compileModel } from '../../src/hw/accel_compile.js';
import { cosimAccelerator } from '../../src/rtl/accel_top.js';
import { integerInference } from '../../src/model/infer.js';
import { testSeed } from '../../src/util/rng.js';
import { ttqShiftModel, ttqTinyDesign } from '../unit/fixtures/ttq_models.js';

// A trained TTQ model with power-of-two scales (--ttq-shift) and W_p != W_n in every layer, on an array of
// shift PEs (hdl/mac_pe.sv with WShift = 1): the RTL equals the TS accelerator model on every output port in
// every cycle, and both equal the integer reference. (test/unit/ttq_shift.test.ts: the compiler and estimate.)
const seed = testSeed(2020);
console.log(`ttq_shift.rtl.test seed ${seed} (LOWBIT_SEED=${seed} reproduces)`);

describe('TTQ on the shift PE through the RTL', () => {
  it('reference == TS accelerator == RTL (every port, every cycle) on 2 MNIST images', async () => {
    const { model, pixels } = ttqShiftModel(seed);
    const p = compileModel(model, ttqTinyDesign('shift'));
    expect(p.layers.map((l) => l.engine)).toEqual(['mac', 'mac', 'mac']);
    const n = 2;
    const x = Int32Array.from(pixels.subarray(0, n * 784));
    const ref = integerInference(model, x).output;
    const res = await cosimAccelerator(p, x, n);
    expect(res.mismatch).toBeUndefined();
    expect(Array.from(res.model.outputs)).toEqual(Array.from(ref));
    expect(Array.from(res.outputs)).toEqual(Array.from(ref));
  }, 1_200_000);
});
