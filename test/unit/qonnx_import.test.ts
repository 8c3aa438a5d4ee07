import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dequantizeOutput, importOnnx, integerInference } from '../../src/model/index.js';
import { bipolarQuant, multiThreshold, quant, truncInt, truncV1Int } from '../../src/model/onnx/qonnx_ops.js';
import { Rng, testSeed } from '../../src/util/rng.js';
import { runCli } from './helpers/cli.js';
import { Q, QonnxGraph as G } from './helpers/qonnx_graph.js';

const seed = testSeed(1616);

const f = Math.fround;

describe(`QONNX import against the op definitions (seed ${seed})`, () => {
  it('Quant(input) -> MatMul(Quant per-channel narrow int4 W) + bias * 0.5 -> Relu -> Quant(uint3, FLOOR) -> MatMul(BipolarQuant W) -> MultiThreshold -> Gemm(Quant int2 W): exact', () => {
    const rng = new Rng(seed);
    const K = 6, H = 5, H2 = 3, O = 4, N = 40;
    const W1 = Array.from({ length: K * H }, () => rng.normal() * 0.8);
    const s1 = Array.from({ length: H }, (_, o) => 2 ** -(o % 3 + 2));
    const b1 = Array.from({ length: H }, (_, o) => (o - 2) * 0.375);
    const W2 = Array.from({ length: H * H2 }, () => rng.normal());
    const T = [[-2, 0.5, 3]];
    const W3 = Array.from({ length: O * H2 }, () => rng.normal());
    const g = new G();
    const xq = g.quant('x', g.c([], [0.25]), 8, 0, 0);
    const w1 = g.quant(g.c([K, H], W1), g.c([1, H], s1), 4, 1, 1);
    const h = g.op('Mul', [g.op('Add', [g.op('MatMul', [xq, w1]), g.c([H], b1)]), g.c([], [0.5])]);
    const a1 = g.quant(g.op('Relu', [h]), g.c([], [0.5]), 3, 0, 0, 'FLOOR');
    const w2 = g.op('BipolarQuant', [g.c([H, H2], W2), g.c([], [1])], {}, Q);
    const a2 = g.op('MultiThreshold', [g.op('MatMul', [a1, w2]), g.c([1, 3], T[0]!)], { out_scale: { f: 1 }, out_bias: { f: -1 } }, Q);
    const w3 = g.quant(g.c([O, H2], W3), g.c([], [0.5]), 2, 1, 0);
    const y = g.op('Gemm', [a2, w3], { transB: 1 }, '');
    const m = importOnnx(g.bytes([K], y));
    expect(m.layers.map((l) => (l.kind === 'dense' ? `dense:${l.output.kind}` : l.kind))).toEqual(['quantize', 'dense:threshold', 'dense:threshold', 'dense:accumulator']);

    // the definition, value by value (power-of-two scales: every float step is exact)
    const x = Float32Array.from({ length: N * K }, () => rng.normal() * 3);
    const got = dequantizeOutput(m, integerInference(m, x).output);
    const qw1 = W1.map((w, i) => quant(w, { scale: s1[i % H]!, zeroPoint: 0, bits: 4, signed: true, narrow: true, rounding: 'ROUND' }));
    const qw2 = W2.map((w) => bipolarQuant(w, 1));
    const qw3 = W3.map((w) => quant(w, { scale: 0.5, zeroPoint: 0, bits: 2, signed: true, narrow: false, rounding: 'ROUND' }));
    for (let n = 0; n < N; n++) {
      const xi = Array.from({ length: K }, (_, k) => quant(x[n * K + k]!, { scale: 0.25, zeroPoint: 0, bits: 8, signed: false, narrow: false, rounding: 'ROUND' }));
      const h1 = Array.from({ length: H }, (_, o) => {
        let s = 0;
        for (let k = 0; k < K; k++) s += xi[k]! * qw1[k * H + o]!;
        return quant(Math.max(0, (s + b1[o]!) * 0.5), { scale: 0.5, zeroPoint: 0, bits: 3, signed: false, narrow: false, rounding: 'FLOOR' });
      });
      const h2 = Array.from({ length: H2 }, (_, o) => {
        let s = 0;
        for (let k = 0; k < H; k++) s += h1[k]! * qw2[k * H2 + o]!;
        return multiThreshold(s, T[0]!, 1, -1);
      });
      for (let o = 0; o < O; o++) {
        let s = 0;
        for (let k = 0; k < H2; k++) s += h2[k]! * qw3[o * H2 + k]!;
        expect(got[n * O + o], `sample ${n} output ${o}`).toBe(f(s));
      }
    }
  });

  it('Trunc opset 1 (5 inputs, no clamp) and opset 2 (6 inputs: output scale, clamp) after a MatMul: the op\'s integers, exact', () => {
    const rng = new Rng(seed + 5);
    const K = 7, O = 4, N = 60;
    const W = Array.from({ length: K * O }, () => rng.normal() * 2);
    const x = Float32Array.from({ length: N * K }, () => rng.float() * 4);
    const v1 = { scale: 0.125, zeroPoint: 2, inBits: 12, outBits: 7, rounding: 'FLOOR' as const };
    const v2 = { scale: 0.125, zeroPoint: 0, outScale: 1, outBits: 4, signed: true, narrow: false, rounding: 'ROUND' as const };
    for (const version of [1, 2]) {
      const g = new G();
      const xq = g.quant('x', g.c([], [0.25]), 8, 0, 0);
      const acc = g.op('MatMul', [xq, g.quant(g.c([K, O], W), g.c([], [0.5]), 4, 1, 0)]);
      const t = version === 1
        ? g.op('Trunc', [acc, g.c([], [v1.scale]), g.c([], [v1.zeroPoint]), g.c([], [v1.inBits]), g.c([], [v1.outBits])], {}, Q, { rounding_mode: v1.rounding })
        : g.op('Trunc', [acc, g.c([], [v2.scale]), g.c([], [v2.zeroPoint]), g.c([], [12]), g.c([], [v2.outScale]), g.c([], [v2.outBits])], { signed: 1, narrow: 0 }, Q, { rounding_mode: v2.rounding });
      const m = importOnnx(g.bytes([K], t));
      const got = integerInference(m, x).output;
      const qw = W.map((w) => quant(w, { scale: 0.5, zeroPoint: 0, bits: 4, signed: true, narrow: false, rounding: 'ROUND' }));
      const levels = new Set<number>();
      for (let n = 0; n < N; n++) {
        for (let o = 0; o < O; o++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += quant(x[n * K + k]!, { scale: 0.25, zeroPoint: 0, bits: 8, signed: false, narrow: false, rounding: 'ROUND' }) * qw[k * O + o]!;
          const want = (version === 1 ? truncV1Int(s, v1) : truncInt(s, v2)) + 0; // -0 (np.round) is the integer 0
          levels.add(want);
          expect(got[n * O + o], `v${version} sample ${n} output ${o}`).toBe(want);
        }
      }
      expect(levels.size, `v${version}`).toBeGreaterThan(4);
    }
  });

  it('refuses with one line naming the node: non-constant scale, unsupported op, float op between quantized layers', async () => {
    const g1 = new G();
    const s = g1.op('Identity', ['x']);
    const q1 = g1.op('Quant', ['x', s, g1.c([], [0]), g1.c([], [8])], { signed: 1, narrow: 0 }, Q);
    expect(() => importOnnx(g1.bytes([4], q1))).toThrow(/node quant_\d+ \(Quant\): scale \(input 1\) must be a constant initializer/);

    const g2 = new G();
    const a = g2.quant('x', g2.c([], [0.5]), 4, 1, 0);
    const sm = g2.op('Softmax', [g2.op('MatMul', [a, g2.quant(g2.c([4, 4], new Array(16).fill(0.5)), g2.c([], [0.5]), 4, 1, 0)])]);
    expect(() => importOnnx(g2.bytes([4], sm))).toThrow(/node softmax_\d+ \(Softmax\): op Softmax is not supported by lowbit's QONNX import/);

    const g3 = new G();
    const a3 = g3.quant('x', g3.c([], [0.5]), 4, 1, 0);
    const mul = g3.op('Mul', [a3, g3.c([], [3])]);
    expect(() => importOnnx(g3.bytes([4], mul))).toThrow(/node mul_\d+ \(Mul\): Mul of a quantized tensor: only constant Muls after a MatMul\/Gemm\/Conv/);

    const dir = mkdtempSync(join(tmpdir(), 'lowbit-qonnx-'));
    writeFileSync(join(dir, 'bad.onnx'), g2.bytes([4], sm));
    writeFileSync(join(dir, 'x.npy'), new Uint8Array(0));
    const r = await runCli(['infer', '--model', join(dir, 'bad.onnx'), '--input', join(dir, 'x.npy')]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/\(Softmax\): op Softmax is not supported/);
  });
});

describe('MultiThreshold with data_layout NHWC after a conv (FINN: Transpose -> MultiThreshold(NHWC) -> Transpose back)', () => {
  const V = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'qonnx', 'ops_vectors.json'), 'utf8')).multithreshold_nhwc as {
    thresholds: number[][]; outScale: number; outBias: number; v: number[][][][]; y: number[][][][];
  };
  const [N, H, W, C] = [V.v.length, V.v[0]!.length, V.v[0]![0]!.length, V.v[0]![0]![0]!.length];
  /** Quant(x) -> Conv 1x1 identity (the accumulators are the integer input) -> Transpose? -> MultiThreshold -> Transpose? */
  const graph = (layout: string, toNhwc: boolean, back: boolean): Uint8Array => {
    const g = new G();
    const xq = g.quant('x', g.c([], [1]), 8, 1, 0);
    const eye = Array.from({ length: C * C }, (_, i) => (i % (C + 1) === 0 ? 1 : 0));
    let t = g.op('Conv', [xq, g.quant(g.c([C, C, 1, 1], eye), g.c([], [1]), 2, 1, 0)], { kernel_shape: [1, 1] });
    if (toNhwc) t = g.op('Transpose', [t], { perm: [0, 2, 3, 1] });
    t = g.op('MultiThreshold', [t, g.c([C, V.thresholds[0]!.length], V.thresholds.flat())], { out_scale: { f: V.outScale }, out_bias: { f: V.outBias } }, Q, { data_layout: layout });
    if (back) t = g.op('Transpose', [t], { perm: [0, 3, 1, 2] });
    return g.bytes([C, H, W], t);
  };

  it(`equals qonnx's multithreshold(channels_last=True) on every value of a [${N}, ${H}, ${W}, ${C}] map (read in lowbit's NCHW order)`, () => {
    const m = importOnnx(graph('NHWC', true, true));
    expect(m.layers.map((l) => (l.kind === 'conv2d' ? `conv2d:${l.output.kind}` : l.kind))).toEqual(['quantize', 'conv2d:threshold']);
    // the input in NCHW order: x[n][c][h][w] = v[n][h][w][c]
    const nchw = (a: number[][][][]) => Float32Array.from({ length: N * C * H * W }, (_, i) => {
      const [n, c, h, w] = [Math.floor(i / (C * H * W)), Math.floor(i / (H * W)) % C, Math.floor(i / W) % H, i % W];
      return a[n]![h]![w]![c]!;
    });
    const y = dequantizeOutput(m, integerInference(m, nchw(V.v)).output);
    expect(Array.from(y)).toEqual(Array.from(nchw(V.y)));
  });

  it('refused in one line: NHWC thresholds on an NCHW conv output, NCHW thresholds on NHWC data, an NHWC graph output, another transpose', () => {
    expect(() => importOnnx(graph('NHWC', false, false))).toThrow(/\(MultiThreshold\): data_layout NHWC on a feature map in NCHW order: per-channel thresholds would apply along the width axis \(Transpose the conv output with perm \[0,2,3,1\] before an NHWC MultiThreshold\)/);
    expect(() => importOnnx(graph('NCHW', true, true))).toThrow(/data_layout NCHW on a feature map in NHWC order: per-channel thresholds would apply along the height axis/);
    expect(() => importOnnx(graph('NHWC', true, false))).toThrow(/the output is an NHWC feature map; lowbit writes NCHW \(end the graph with a Transpose perm \[0,3,1,2\]\)/);
    const g = new G();
    const xq = g.quant('x', g.c([], [1]), 8, 1, 0);
    const t = g.op('Transpose', [g.op('Conv', [xq, g.quant(g.c([C, C, 1, 1], new Array(C * C).fill(1)), g.c([], [1]), 2, 1, 0)], { kernel_shape: [1, 1] })], { perm: [0, 1, 3, 2] });
    expect(() => importOnnx(g.bytes([C, H, W], t))).toThrow(/\(Transpose\): Transpose perm \[0,1,3,2\] of a feature map: only NCHW -> NHWC \(\[0,2,3,1\]\) and back \(\[0,3,1,2\]\) are representable/);
  });
});
