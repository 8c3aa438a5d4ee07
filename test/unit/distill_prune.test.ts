import { describe, it, expect } from 'vitest';
import { distillationLoss } from '../../src/train/distill.js';
import { softmaxCrossEntropy } from '../../src/train/loss.js';
import { channelL1, keptChannels, pruneChannels } from '../../src/train/prune_channels.js';
import { buildNetwork, type NetSpec } from '../../src/train/arch.js';
import { Dense } from '../../src/train/dense.js';
import { Conv2d } from '../../src/train/conv.js';
import { BatchNorm } from '../../src/train/norm.js';
import { checkMethodOptions } from '../../src/train/methods.js';
import { Rng, testSeed } from '../../src/util/rng.js';

const seed = testSeed(21);

/** Hinton et al.'s loss in float64 straight from the definition: alpha T^2 KL(q || p) + (1 - alpha) CE. */
function distillRef(zs: ArrayLike<number>, zt: ArrayLike<number>, y: ArrayLike<number>, n: number, C: number, T: number, a: number): number {
  const sm = (z: ArrayLike<number>, b: number, t: number): number[] => {
    const e = Array.from({ length: C }, (_, c) => Math.exp(z[b * C + c]! / t));
    const s = e.reduce((u, v) => u + v, 0);
    return e.map((v) => v / s);
  };
  let L = 0;
  for (let b = 0; b < n; b++) {
    const p = sm(zs, b, T);
    const q = sm(zt, b, T);
    const kl = q.reduce((s, qc, c) => s + qc * Math.log(qc / p[c]!), 0);
    L += a * T * T * kl - (1 - a) * Math.log(sm(zs, b, 1)[y[b]!]!);
  }
  return L / n;
}

describe('distillation loss (Hinton et al. 2015)', () => {
  const [n, C] = [5, 10];
  const rng = new Rng(seed);
  const zs = new Float32Array(n * C).map(() => rng.normal() * 3);
  const zt = new Float32Array(n * C).map(() => rng.normal() * 3);
  const y = Uint8Array.from({ length: n }, () => rng.int(0, C - 1));

  it('equals alpha T^2 KL(softmax(z_t/T) || softmax(z_s/T)) + (1 - alpha) CE; its gradient equals finite differences', () => {
    for (const [T, a] of [[4, 0.9], [1, 0.5], [20, 0.3]] as const) {
      const dz = new Float32Array(n * C);
      const r = distillationLoss(zs, zt, y, n, C, { temperature: T, weight: a }, dz);
      expect(r.loss).toBeCloseTo(distillRef(zs, zt, y, n, C, T, a), 5);
      const z64 = Array.from(zs);
      const eps = 1e-4;
      for (let i = 0; i < n * C; i += 3) {
        const v = z64[i]!;
        z64[i] = v + eps;
        const lp = distillRef(z64, zt, y, n, C, T, a);
        z64[i] = v - eps;
        const lm = distillRef(z64, zt, y, n, C, T, a);
        z64[i] = v;
        expect(dz[i], `T ${T} alpha ${a} z[${i}]`).toBeCloseTo((lp - lm) / (2 * eps), 4);
      }
    }
  });

  it('alpha 0 is cross-entropy exactly; a student equal to its teacher at alpha 1 has zero loss and gradient', () => {
    const d1 = new Float32Array(n * C);
    const d2 = new Float32Array(n * C);
    const r1 = distillationLoss(zs, zt, y, n, C, { temperature: 4, weight: 0 }, d1);
    const r2 = softmaxCrossEntropy(zs, y, n, C, d2);
    expect(r1).toEqual(r2);
    expect(Array.from(d1)).toEqual(Array.from(d2));
    const d3 = new Float32Array(n * C);
    expect(distillationLoss(zs, zs, y, n, C, { temperature: 4, weight: 1 }, d3).loss).toBeCloseTo(0, 12);
    expect(d3.every((v) => Math.abs(v) < 1e-12)).toBe(true);
  });
});

describe('structured channel pruning by L1 norm (Li et al. 2017)', () => {
  it('keeps the channels of largest L1 norm, the lower index removed first on ties', () => {
    expect(Array.from(channelL1(Float32Array.from([1, -2, 0.5, 0, -3, 3]), 3))).toEqual([3, 0.5, 6]);
    expect(Array.from(keptChannels(Float64Array.from([3, 1, 2, 5]), 0.5))).toEqual([0, 3]);
    expect(Array.from(keptChannels(Float64Array.from([2, 2, 2, 1]), 0.5))).toEqual([1, 2]);
  });

  /** The network with the pruned channels silenced in place: the next layer's inputs from them set to 0. */
  function silenced(spec: NetSpec, keep: number[][]): ReturnType<typeof buildNetwork> {
    const net = buildNetwork(spec, seed);
    const weighted = net.layers.filter((l): l is Dense | Conv2d => l instanceof Dense || l instanceof Conv2d);
    keep.forEach((k, h) => {
      const [prev, next] = [weighted[h]!, weighted[h + 1]!];
      const C = prev instanceof Conv2d ? prev.outC : prev.outF;
      const per = next instanceof Conv2d ? next.k * next.k : next.inF / C;
      const rows = next.weight.value.length / (C * per);
      for (let o = 0; o < rows; o++) for (let c = 0; c < C; c++) if (!k.includes(c)) for (let p = 0; p < per; p++) next.weight.value[(o * C + c) * per + p] = 0;
    });
    return net;
  }

  function randomizeStats(net: ReturnType<typeof buildNetwork>): void {
    const rng = new Rng(seed + 5);
    for (const l of net.layers) {
      if (l instanceof BatchNorm) {
        l.gamma.value.forEach((_, i) => (l.gamma.value[i] = 0.5 + rng.float()));
        l.beta.value.forEach((_, i) => (l.beta.value[i] = rng.normal() * 0.1));
        l.mean.forEach((_, i) => (l.mean[i] = rng.normal() * 0.1));
        l.var.forEach((_, i) => (l.var[i] = 0.5 + rng.float()));
      }
    }
  }

  for (const spec of [
    { arch: 'tfc', hidden: [12, 9, 7], weights: { method: 'none', bits: 32 }, act: { method: 'relu', bits: 32 } },
    { arch: 'tfc', hidden: [12, 9], weights: { method: 'int', bits: 4 }, act: { method: 'pact', bits: 4 } },
    { arch: 'cnn', hidden: [4, 6], weights: { method: 'none', bits: 32 }, act: { method: 'relu', bits: 32 } },
  ] as NetSpec[]) {
    it(`the pruned ${spec.arch} (${spec.weights.method}) computes what the original does with those channels silenced`, () => {
      const net = buildNetwork(spec, seed);
      randomizeStats(net);
      const p = pruneChannels(net, spec, 0.34, seed);
      expect(p.spec.hidden).toEqual(spec.hidden!.map((h) => h - Math.round(0.34 * h)));
      const ref = silenced(spec, p.kept);
      randomizeStats(ref);
      const rng = new Rng(seed + 9);
      const x = new Float32Array(3 * 784).map(() => Math.round(rng.float() * 255) / 255);
      const a = p.net.forward(x, 3, false).slice();
      const b = ref.forward(x, 3, false);
      for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 4);
      // the kept channels are those of largest L1 norm of each hidden layer
      const hidden = net.layers.filter((l): l is Dense | Conv2d => l instanceof Dense || l instanceof Conv2d).slice(0, -1);
      hidden.forEach((l, h) => expect(p.kept[h]).toEqual(Array.from(keptChannels(channelL1(l.weight.value, l instanceof Dense ? l.outF : l.outC), 0.34))));
    });
  }
});

describe('training-method options', () => {
  // fp: FP32 weights and activations; fpAct false with fp true: FP32 latent weights, quantized activations
  const refuse = (o: Parameters<typeof checkMethodOptions>[0], fp: boolean, msg: RegExp, state = false, fpAct = fp): void => {
    expect(() => checkMethodOptions(o, fp, fpAct, state)).toThrow(msg);
  };
  it('refuses out-of-range values and combinations that do not fit, naming the option', () => {
    refuse({ ttq: 0 }, true, /--ttq/);
    refuse({ ttq: 0.05 }, false, /--ttq: the method sets the weights.*--wbits 32/);
    refuse({ ttq: 0.05 }, true, /--ttq-scale-bits B/, false, false);
    refuse({ ttq: 0.05, ttqScaleBits: 9 }, true, /--ttq-scale-bits/, false, false);
    refuse({ ttqScaleBits: 3 }, true, /--ttq-scale-bits.*--ttq T/);
    refuse({ shareWeights: 16 }, true, /--share-weights: trains an FP32 network/, false, false);
    refuse({ quantNoise: 0.5 }, true, /--quant-noise: needs a quantizer/);
    refuse({ inq: [0.5, 0.75] }, true, /--inq.*ending at 1/);
    refuse({ inq: [0.75, 0.5, 1] }, true, /--inq/);
    refuse({ ttq: 0.05, shareWeights: 16 }, true, /--ttq and --share-weights/);
    refuse({ stageEpochs: 2 }, true, /--stage-epochs/);
    refuse({ temperature: 4 }, false, /--teacher/);
    refuse({ pruneChannels: 0.5 }, false, /--state/, true);
    expect(() => checkMethodOptions({ inq: [0.5, 0.75, 0.875, 1], inqBits: 5, stageEpochs: 2 }, true, true, false)).not.toThrow();
    expect(() => checkMethodOptions({ inq: [0.5, 1], stageEpochs: 1 }, true, false, false)).not.toThrow();
    expect(() => checkMethodOptions({ ttq: 0.05, ttqScaleBits: 3 }, true, false, false)).not.toThrow();
  });
});
