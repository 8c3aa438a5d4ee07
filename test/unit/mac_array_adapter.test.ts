import { describe, it, expect } from 'vitest';
import { macArrayUnit, macArrayStimulus } from '../../src/rtl/units/mac_array.js';
import { macPeUnit } from '../../src/rtl/units/mac_pe.js';
import { inputPorts, outputPorts, toBits, type UnitSpec } from '../../src/rtl/unit.js';
import { getFieldBig, portLayout } from '../../src/rtl/unit_words.js';
import { testSeed } from '../../src/util/rng.js';

// The co-simulation adapters without Verilator: deterministic stimulus that fits the ports, model outputs
// of the right shape, and for the array: one array run over the whole back-to-back stimulus gives the
// rows each GEMM's fresh array gave (so carrying state between GEMMs, as the RTL does, is harmless).
const seed = testSeed(2718);
console.log(`mac_array_adapter.test seed ${seed} (LOWBIT_SEED=${seed} reproduces)`);

function checkShape(unit: UnitSpec, cases: number): void {
  for (const { label, design } of unit.designs()) {
    const ports = unit.ports(design);
    const stim = unit.stimulus(design, seed, cases);
    expect(unit.stimulus(design, seed, cases), label).toEqual(stim);
    const ins = inputPorts(ports);
    for (let t = 0; t < stim.length; t++) {
      expect(stim[t].length).toBe(ins.length);
      stim[t].forEach((v, j) => toBits(v, ins[j].width, `${label} cycle ${t} ${ins[j].name}`));
    }
    const run = unit.model(design, stim);
    const outs = outputPorts(ports);
    expect(run.outputs.length).toBe(stim.length);
    for (const o of run.outputs) o.forEach((v, j) => toBits(v, outs[j].width, `${label} ${outs[j].name}`));
    for (const s of unit.traceSignals?.(design) ?? []) expect(run.trace?.[s.model]?.length, s.model).toBe(stim.length);
  }
}

describe('co-simulation adapters (TS side)', () => {
  it('mac_pe: deterministic stimulus within the port widths, model outputs and traces per cycle', () => {
    checkShape(macPeUnit, 100);
  });

  it('mac_array: deterministic stimulus within the port widths, model outputs and traces per cycle', () => {
    checkShape(macArrayUnit, 100);
  });

  it('mac_array: one continuous array reproduces every GEMM row of the fresh per-GEMM arrays', () => {
    for (const { label, design } of macArrayUnit.designs()) {
      const { stim, rows } = macArrayStimulus(design, seed, 200);
      const { at, inStride, outStride } = portLayout(macArrayUnit.ports(design));
      expect(rows.length).toBe(stim.length / inStride);
      const run = macArrayUnit.words!.model(design, stim);
      const C = design.array.cols;
      const acc = design.accumulator.bits;
      let n = 0;
      for (let t = 0; t < rows.length; t++) {
        const want = rows[t];
        if (want === null) continue;
        n++;
        const y = t * outStride;
        expect(run.outputs[y + at.y_valid_o], `${label} cycle ${t}`).toBe(1);
        const got = Array.from({ length: C }, (_, c) => getFieldBig(run.outputs, y + at.y_o, c * acc, acc, true));
        expect(got, `${label} cycle ${t}`).toEqual(want.map((v) => BigInt.asIntN(acc, v)));
      }
      expect(n, label).toBeGreaterThan(4);
    }
  });
});
