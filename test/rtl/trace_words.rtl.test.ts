import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSim } from '../../src/rtl/build.js';
import { sampleTimeNs, tracePath } from '../../src/rtl/compare.js';
import { strideWords } from '../../src/rtl/harness.js';
import { resolveRepoPath } from '../../src/rtl/paths.js';
import { runSimInProcessWords } from '../../src/rtl/inproc.js';
import { tracedWords } from '../../src/rtl/trace_words.js';
import { outputPorts } from '../../src/rtl/unit.js';
import { unitData } from '../../src/rtl/unit_words.js';
import { UNITS } from '../../src/rtl/units/index.js';
import { readVcd, valueAt } from '../../src/rtl/vcd.js';
import { testSeed } from '../../src/util/rng.js';

// The traced registers read with the outputs (src/rtl/trace_words.ts) are the VCD's values at the sample
// point, with the VCD's widths, on every design of every unit that traces registers (real Verilator runs).
const seed = testSeed(20261203);
const tmp = mkdtempSync(join(tmpdir(), 'lowbit-trace-words-test-'));
console.log(`trace_words.rtl.test seed ${seed} (LOWBIT_SEED=${seed} reproduces)`);

const traced = UNITS.filter((u) => u.traceSignals !== undefined);

describe('traced registers as words', () => {
  for (const unit of traced) {
    it(`${unit.name}: equal to the VCD at every sample point, on every design`, async () => {
      for (const { label, design } of unit.designs()) {
        const ports = unit.ports(design);
        const specs = unit.traceSignals!(design);
        const built = await buildSim({
          unit: unit.name, top: unit.top, files: unit.hdlFiles(design).map(resolveRepoPath), parameters: unit.parameters(design), ports, trace: true,
          traced: specs.map((s) => s.vcd), kind: 'lib', // verify's default build for these units: shared with their tests
        });
        expect(built.traced.map((r) => r.path)).toEqual(specs.map((s) => s.vcd));
        const data = unitData(unit, design, ports, seed, 40);
        const vcdPath = join(tmp, `${unit.name}-${label}.vcd`);
        const run = runSimInProcessWords(built, unit.name, ports, data.stimulus, data.cycles, { vcdPath });
        const vcd = await readVcd(vcdPath, specs.map((s) => tracePath(unit.top, s)));
        const per = strideWords(outputPorts(ports)) + tracedWords(built.traced);
        let off = strideWords(outputPorts(ports));
        for (const reg of built.traced) {
          const sig = vcd.signals.get(tracePath(unit.top, { vcd: reg.path, model: '' }))!;
          expect(sig.width, `${unit.name} ${label} ${reg.path}`).toBe(reg.width);
          const track = vcd.tracks.get(sig.id)!;
          const n = Math.ceil(reg.width / 32);
          const hint = { i: 0 };
          let diffs = 0;
          for (let t = 0; t < data.cycles; t++) {
            let w = 0n;
            for (let k = n - 1; k >= 0; k--) w = (w << 32n) | BigInt(run.words[t * per + off + k]);
            const v = valueAt(track, sampleTimeNs(t), hint);
            if (v === undefined || v.mask !== 0n || v.value !== w) diffs++;
          }
          expect(diffs, `${unit.name} ${label} ${reg.path}: cycles whose word differs from the VCD`).toBe(0);
          off += n;
        }
      }
    }, 900_000);
  }
});
