import { describe, it, expect } from 'vitest';
import { maxPoolNhwc, chwToNhwc } from '../../src/hw/conv_window.js';
import type { ConvWindow } from '../../src/hw/accel_program.js';
import { maxpool2dInt } from '../../src/model/infer.js';
import type { MaxPool2dLayer } from '../../src/model/types.js';
import { maxPoolUnit } from '../../src/rtl/units/max_pool.js';
import { inputPorts, outputPorts, toBits } from '../../src/rtl/unit.js';
import { Rng, testSeed } from '../../src/util/rng.js';

// The pooling rule and the max_pool unit adapter without Verilator, against independent references:
// the accelerator model's maxPoolNhwc (on the shared poolWindowMax) == the integer inference's
// maxpool2dInt (CHW, its own loop); the unit's model == a BigInt decoding of the stimulus rows
// (taps sliced from x_i, BigInt.asIntN / bit 0 as ±1, max over the window, one cycle later, 32 bits).
const seed = testSeed(1515);
console.log(`max_pool_adapter.test seed ${seed} (LOWBIT_SEED=${seed} reproduces)`);

describe('pooling rule', () => {
  it('maxPoolNhwc equals the integer inference maxpool2dInt on random unpadded windows and extreme values', () => {
    const rng = new Rng(seed);
    for (let n = 0; n < 200; n++) {
      const [kh, kw] = [rng.int(1, 3), rng.int(1, 3)];
      const [sh, sw] = [rng.int(1, 3), rng.int(1, 3)];
      const [H, W, C] = [rng.int(kh, 7), rng.int(kw, 7), rng.int(1, 4)];
      const Ho = Math.floor((H - kh) / sh) + 1;
      const Wo = Math.floor((W - kw) / sw) + 1;
      const span = [2, 256, 2 ** 31][rng.int(0, 2)];
      const pick = (): number => (rng.float() < 0.2 ? [-span, span - 1, 0, -1][rng.int(0, 3)] : rng.int(-span, span - 1));
      const x = Int32Array.from({ length: C * H * W }, pick);
      const l = { kind: 'maxpool2d', kernel: [kh, kw], stride: [sh, sw], padding: [0, 0, 0, 0] } as MaxPool2dLayer;
      const ref = chwToNhwc(maxpool2dInt(l, x, 1, [C, H, W], new Int32Array(C * Ho * Wo)), C, Ho, Wo);
      const win: ConvWindow = { H, W, C, kh, kw, sh, sw, pt: 0, pl: 0, Ho, Wo, pad: 0 };
      expect([...maxPoolNhwc(win, chwToNhwc(x, C, H, W))], `case ${n} seed ${seed}`).toEqual([...ref]);
    }
  });
});

describe('max_pool unit adapter', () => {
  for (const { label, design } of maxPoolUnit.designs()) {
    it(`${label}: the model equals a BigInt reference every cycle; the directed windows are all there`, () => {
      const ports = maxPoolUnit.ports(design);
      const ins = inputPorts(ports);
      const [xPort] = ins;
      const params = maxPoolUnit.parameters(design) as Record<string, number>;
      const { HBits: H, PoolMax: P } = params;
      const signed = params.Signed !== 0;
      const stim = maxPoolUnit.stimulus(design, seed, 400);
      expect(maxPoolUnit.stimulus(design, seed, 400)).toEqual(stim);
      const out = maxPoolUnit.model(design, stim).outputs;
      expect(out.length).toBe(stim.length);
      const want = (row: bigint[]): bigint => {
        const [x, kh, kw, bip] = row.map((v, j) => toBits(v, ins[j].width, ins[j].name));
        const taps: bigint[] = [];
        for (let i = 0; i < P; i++) {
          for (let j = 0; j < P; j++) {
            if (BigInt(i) >= kh || BigInt(j) >= kw) continue;
            const u = (x >> BigInt((i * P + j) * H)) & ((1n << BigInt(H)) - 1n);
            taps.push(bip === 1n ? (u & 1n ? 1n : -1n) : signed ? BigInt.asIntN(H, u) : u);
          }
        }
        return taps.length === 0 ? 0n : taps.reduce((a, b) => (b > a ? b : a));
      };
      const y = outputPorts(ports).findIndex((p) => p.name === 'y_o');
      expect(toBits(out[0][y], 32, 'y_o')).toBe(0n); // the shell's reset value
      const seen = new Set<string>();
      let ties = 0;
      for (let t = 0; t + 1 < stim.length; t++) {
        expect(toBits(out[t + 1][y], 32, 'y_o'), `${label} cycle ${t + 1}`).toBe(BigInt.asUintN(32, want(stim[t])));
        seen.add(`${stim[t][1]}x${stim[t][2]}/${stim[t][3]}`);
        const taps = Array.from({ length: P * P }, (_, k) => (stim[t][0] >> BigInt(k * H)) & ((1n << BigInt(H)) - 1n));
        if (stim[t][3] === 0n && new Set(taps).size < taps.length) ties++;
      }
      for (let kh = 1; kh <= P; kh++) for (let kw = 1; kw <= P; kw++) for (const b of [0, 1]) expect(seen.has(`${kh}x${kw}/${b}`), `${kh}x${kw} bipolar ${b}`).toBe(true);
      expect([...seen].some((s) => s.startsWith('0x') || s.includes('x0/')), 'an empty window').toBe(true);
      expect(ties).toBeGreaterThan(100);
      expect(xPort.width).toBe(P * P * H);
    });
  }
});
