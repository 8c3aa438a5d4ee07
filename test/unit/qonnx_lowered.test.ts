import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dequantizeOutput, importOnnx, integerInference, type Layer } from '../../src/model/index.js';
import { readNpy } from '../../src/util/npy.js';
import { runCli } from './helpers/cli.js';
import { Q, QonnxGraph } from './helpers/qonnx_graph.js';

/**
 * FINN-lowered convolutions (docs/qonnx.md, "Lowered convolutions"): Im2Col + MatMul -> conv2d, a MatMul of an NHWC
 * map -> 1x1 conv2d, MaxPoolNHWC -> maxpool2d.
 *  - per op: qonnx's Im2Col / MaxPoolNHWC run by qonnx's executor (fixtures/qonnx_lowered/ops.json) equal lowbit's
 *    import of Transpose -> op (-> MatMul by the identity, whose outputs are the patches) -> Transpose back;
 *  - whole graphs: CNV-like QONNX CNNs lowered by qonnx's LowerConvsToMatMul and FINN's streamlining transforms
 *    (fixtures/qonnx_lowered/make.py): the import of the lowered graph is the import of the Conv graph (same layers,
 *    weights, thresholds) and its outputs equal qonnx's execution of the lowered graph, bit for bit.
 */
const DIR = join(__dirname, 'fixtures', 'qonnx_lowered');
type Attrs = Record<string, number | number[] | string>;
type Case = { attrs: Attrs; x: number[][][][]; y: number[][][][] };
const OPS = JSON.parse(readFileSync(join(DIR, 'ops.json'), 'utf8')) as { im2col: Case[]; maxpoolnhwc: Case[] };
const meta = JSON.parse(readFileSync(join(DIR, 'meta.json'), 'utf8')) as {
  models: Record<string, { conv_sha256: string; lowered_sha256: string; finn_sha256: string; lowered_ops: string[]; finn_ops: string[]; finn_datatypes: Record<string, string> }>;
};

/** [N][H][W][C] -> NCHW float32 (lowbit's input order). */
function nchw(a: number[][][][]): Float32Array {
  const [N, H, W, C] = [a.length, a[0]!.length, a[0]![0]!.length, a[0]![0]![0]!.length];
  return Float32Array.from({ length: N * C * H * W }, (_, i) => a[Math.floor(i / (C * H * W))]![Math.floor(i / W) % H]![i % W]![Math.floor(i / (H * W)) % C]!);
}

/** Quant(x, 1, int8) -> Transpose to NHWC -> `body` -> Transpose back to NCHW. */
function nhwcGraph(C: number, H: number, W: number, body: (g: QonnxGraph, t: string) => string): Uint8Array {
  const g = new QonnxGraph();
  const t = g.op('Transpose', [g.quant('x', g.c([], [1]), 8, 1, 0)], { perm: [0, 2, 3, 1] });
  return g.bytes([C, H, W], g.op('Transpose', [body(g, t)], { perm: [0, 3, 1, 2] }));
}

function im2col(g: QonnxGraph, t: string, attrs: Attrs, strs: Record<string, string> = {}): string {
  const num = Object.fromEntries(Object.entries(attrs).filter(([, v]) => typeof v !== 'string')) as Record<string, number | number[]>;
  const s = Object.fromEntries(Object.entries(attrs).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  return g.op('Im2Col', [t], num, Q, { ...s, ...strs });
}

/** Im2Col then a MatMul by the K x K identity: output channel j of the conv is patch element j. */
function patchesGraph(C: number, H: number, W: number, attrs: Attrs, extra: Attrs = {}): Uint8Array {
  const [kh, kw] = attrs.kernel_size as number[];
  const K = kh! * kw! * C;
  return nhwcGraph(C, H, W, (g, t) => {
    const eye = g.quant(g.c([K, K], Array.from({ length: K * K }, (_, i) => (i % (K + 1) === 0 ? 1 : 0))), g.c([], [1]), 2, 1, 0);
    return g.op('MatMul', [im2col(g, t, { ...attrs, ...extra }), eye]);
  });
}

describe("qonnx's Im2Col and MaxPoolNHWC (executed by qonnx) == lowbit's import", () => {
  for (const [i, c] of OPS.im2col.entries()) {
    it(`Im2Col ${i}: kernel [${c.attrs.kernel_size}] stride [${c.attrs.stride}] pad [${c.attrs.pad_amount}] on ${c.attrs.input_shape}: every patch element`, () => {
      const [, H, W, C] = [1, c.x[0]!.length, c.x[0]![0]!.length, c.x[0]![0]![0]!.length];
      const m = importOnnx(patchesGraph(C, H, W, c.attrs));
      expect(m.layers.map((l) => l.kind)).toEqual(['quantize', 'conv2d']);
      const got = dequantizeOutput(m, integerInference(m, nchw(c.x)).output);
      expect(Array.from(got)).toEqual(Array.from(nchw(c.y)));
    });
  }
  for (const [i, c] of OPS.maxpoolnhwc.entries()) {
    it(`MaxPoolNHWC ${i}: kernel [${c.attrs.kernel_shape}] strides [${c.attrs.strides}] pads [${c.attrs.pads}], batch ${c.x.length}`, () => {
      const [H, W, C] = [c.x[0]!.length, c.x[0]![0]!.length, c.x[0]![0]![0]!.length];
      const m = importOnnx(nhwcGraph(C, H, W, (g, t) => g.op('MaxPoolNHWC', [t], c.attrs as Record<string, number[]>, Q)));
      expect(m.layers.map((l) => l.kind)).toEqual(['quantize', 'maxpool2d']);
      const got = dequantizeOutput(m, integerInference(m, nchw(c.x)).output);
      expect(Array.from(got)).toEqual(Array.from(nchw(c.y)));
    });
  }
});

/** Layers without their names (the lowered graph names its MatMuls, the Conv graph its Convs). */
const unnamed = (ls: Layer[]) => ls.map((l) => ({ ...l, name: '' }));
/** ... and without the weight scales of layers ending in thresholds (FINN moves them into a Mul after the MatMul). */
const unscaled = (ls: Layer[]) => unnamed(ls).map((l) => ((l.kind === 'dense' || l.kind === 'conv2d') && l.output.kind !== 'accumulator' ? { ...l, weight: { ...l.weight, scale: [] } } : l));

describe('FINN-lowered CNNs (qonnx LowerConvsToMatMul + FINN streamlining) == their Conv graphs == qonnx', () => {
  for (const name of Object.keys(meta.models)) {
    it(`${name}: lowered import == Conv import (layers and outputs), outputs == qonnx's execution of the lowered graph`, () => {
      const info = meta.models[name]!;
      const [convBytes, lowBytes] = ['conv', 'lowered'].map((k) => readFileSync(join(DIR, `${name}.${k}.onnx`)));
      expect(createHash('sha256').update(lowBytes!).digest('hex'), 'fixture file differs from the one make.py ran').toBe(info.lowered_sha256);
      expect(createHash('sha256').update(convBytes!).digest('hex')).toBe(info.conv_sha256);
      expect(info.lowered_ops).toContain('Im2Col');
      expect(info.lowered_ops).not.toContain('Conv');
      const lowered = importOnnx(lowBytes!, { name, date: 'd' });
      const conv = importOnnx(convBytes!, { name, date: 'd' });
      expect(lowered.layers.filter((l) => l.kind === 'conv2d').length).toBeGreaterThanOrEqual(2);
      expect(unnamed(lowered.layers)).toEqual(unnamed(conv.layers));
      const x = readNpy(join(DIR, `${name}.input.npy`)).data as Float32Array;
      const want = readNpy(join(DIR, `${name}.output.npy`)).data as Float32Array;
      const out = integerInference(lowered, x).output;
      expect(Array.from(integerInference(conv, x).output)).toEqual(Array.from(out));
      const y = dequantizeOutput(lowered, out);
      expect(Array.from(y)).toEqual(Array.from(want));
      expect(new Set(y).size).toBeGreaterThan(10);
    });

    it(`${name}: FINN FoldQuantWeights form (whole-number weight initializers + finn_datatype, scales in Muls), lowered, XnorPopcountMatMul: the same integers and outputs`, () => {
      const info = meta.models[name]!;
      const bytes = readFileSync(join(DIR, `${name}.finn.onnx`));
      expect(createHash('sha256').update(bytes).digest('hex'), 'fixture file differs from the one make.py ran').toBe(info.finn_sha256);
      expect(info.finn_ops.filter((o) => o === 'Quant')).toHaveLength(1); // only the input quantizer is left
      if (name === 'cnv') expect(info.finn_ops).toContain('XnorPopcountMatMul'); // the bipolar conv
      expect(Object.keys(info.finn_datatypes).length).toBeGreaterThanOrEqual(3);
      const finn = importOnnx(bytes, { name, date: 'd' });
      const conv = importOnnx(readFileSync(join(DIR, `${name}.conv.onnx`)), { name, date: 'd' });
      expect(unscaled(finn.layers)).toEqual(unscaled(conv.layers));
      const x = readNpy(join(DIR, `${name}.input.npy`)).data as Float32Array;
      const out = integerInference(finn, x).output;
      expect(Array.from(out)).toEqual(Array.from(integerInference(conv, x).output));
      expect(Array.from(dequantizeOutput(finn, out))).toEqual(Array.from(readNpy(join(DIR, `${name}.output.npy`)).data as Float32Array));
    });
  }
});

describe('ops between a lowered MatMul and its quantizer, on the NHWC map or after the Transpose back: the same layers', () => {
  const [C, H, W, O] = [3, 6, 5, 4];
  const attrs = { kernel_size: [3, 3], stride: [1, 2], pad_amount: [1, 0, 1, 1], input_shape: `(1,${H},${W},${C})` };
  const Wt = Array.from({ length: 9 * C * O }, (_, i) => ((i * 7) % 5) - 2);
  /** Quant -> Transpose -> Im2Col -> MatMul, then `nhwcOps` on the NHWC map, Transpose back, then `nchwOps`. */
  const graph = (nhwcOps: (g: QonnxGraph, t: string) => string, nchwOps: (g: QonnxGraph, t: string) => string): Uint8Array => {
    const g = new QonnxGraph();
    const t = g.op('Transpose', [g.quant('x', g.c([], [0.25]), 8, 1, 0)], { perm: [0, 2, 3, 1] });
    const mm = g.op('MatMul', [im2col(g, t, attrs), g.quant(g.c([9 * C, O], Wt), g.c([1, O], [0.5, 0.25, 1, 0.5]), 3, 1, 0)]);
    return g.bytes([C, H, W], nchwOps(g, g.op('Transpose', [nhwcOps(g, mm)], { perm: [0, 3, 1, 2] })));
  };
  const none = (_g: QonnxGraph, t: string) => t;
  const mul = [2, 0.5, 4, 1];
  const add = [0.25, -1.5, 3, 0];
  const T = Array.from({ length: O * 3 }, (_, i) => (i % 3) * 2 - 1.125 + Math.floor(i / 3) * 0.5);
  const mt = (layout: string) => (g: QonnxGraph, t: string) => g.op('MultiThreshold', [t, g.c([O, 3], T)], {}, Q, { data_layout: layout });
  const strip = (b: Uint8Array) => unnamed(importOnnx(b, { date: 'd' }).layers);

  it('Mul / Add per channel ([1, 1, 1, O] and [O] on NHWC == [1, O, 1, 1] on NCHW), then MultiThreshold', () => {
    const onNhwc = graph((g, t) => mt('NHWC')(g, g.op('Add', [g.op('Mul', [t, g.c([1, 1, 1, O], mul)]), g.c([O], add)])), none);
    const onNchw = graph(none, (g, t) => mt('NCHW')(g, g.op('Add', [g.op('Mul', [t, g.c([1, O, 1, 1], mul)]), g.c([1, O, 1, 1], add)])));
    const layers = strip(onNhwc);
    expect(layers.map((l) => l.kind)).toEqual(['quantize', 'conv2d']);
    expect(layers).toEqual(strip(onNchw));
    expect(() => importOnnx(graph((g, t) => g.op('Mul', [t, g.c([1, O, 1, 1], mul)]), none))).toThrow(/\(Mul\): constant of shape \[1,4,1,1\] is not along the output channels/);
  });

  it('Relu and a per-tensor Quant on the NHWC map == after the Transpose back', () => {
    const rq = (g: QonnxGraph, t: string) => g.quant(g.op('Relu', [t]), g.c([], [0.5]), 3, 0, 0);
    expect(strip(graph(rq, none))).toEqual(strip(graph(none, rq)));
    expect(() => importOnnx(graph((g, t) => g.op('BatchNormalization', [t, ...[1, 0, 0, 1].map((v) => g.c([O], new Array(O).fill(v)))]), none))).toThrow(/\(BatchNormalization\): input is an NHWC feature map/);
  });
});

describe('FINN DataType annotations: an integer graph input without a quantizer, whole-number weights', () => {
  const [C, H, W, O] = [2, 5, 4, 3];
  const attrs = { kernel_size: [2, 2], stride: [1, 1], pad_amount: [0, 1, 1, 0], input_shape: `(1,${H},${W},${C})` };
  const Wt = Array.from({ length: 4 * C * O }, (_, i) => ((i * 5) % 7) - 3);
  const T = Array.from({ length: O * 2 }, (_, i) => (i % 2) * 40 - 20 + Math.floor(i / 2) * 3 + 0.5);
  /** x -> Transpose -> Im2Col -> MatMul -> MultiThreshold(NHWC) -> Transpose back; FINN form or Quant form */
  const graph = (finn: boolean, weights = Wt, wType = 'INT3'): Uint8Array => {
    const g = new QonnxGraph();
    const xin = finn ? 'x' : g.quant('x', g.c([], [1]), 8, 0, 0);
    if (finn) g.datatypes.push(['x', 'UINT8']);
    const t = g.op('Transpose', [xin], { perm: [0, 2, 3, 1] });
    const wc = g.c([4 * C, O], weights);
    if (finn) g.datatypes.push([wc, wType]);
    const w = finn ? wc : g.quant(wc, g.c([], [1]), 3, 1, 0);
    const y = g.op('MultiThreshold', [g.op('MatMul', [im2col(g, t, attrs), w]), g.c([O, 2], T)], {}, Q, { data_layout: 'NHWC' });
    return g.bytes([C, H, W], g.op('Transpose', [y], { perm: [0, 3, 1, 2] }));
  };

  it('imports as the graph with Quant(x, 1, uint8) and Quant(W, 1, int3): the same layers', () => {
    const finn = importOnnx(graph(true), { date: 'd' });
    expect(finn.layers.map((l) => l.kind)).toEqual(['quantize', 'conv2d']);
    expect(unnamed(finn.layers)).toEqual(unnamed(importOnnx(graph(false), { date: 'd' }).layers));
    const conv = finn.layers[1]!;
    expect(conv.kind === 'conv2d' && conv.weight.format).toEqual({ type: 'int', bits: 3, signed: true });
  });

  it('refused in one line: fractional weights, a weight outside its annotated DataType', () => {
    expect(() => importOnnx(graph(true, Wt.map((v, i) => (i === 5 ? 0.5 : v))))).toThrow(/\(MatMul\): weights \(input 1\) must be a Quant \/ BipolarQuant of a constant or whole numbers \(FINN's folded weights\); element 5 is 0.5/);
    expect(() => importOnnx(graph(true, Wt, 'INT2'))).toThrow(/\(MatMul\): weight element \d+ is -3, outside its annotated DataType INT2/);
  });
});

describe('XnorPopcountMatMul lowbit cannot represent: one line naming the node', () => {
  const [C, H, W, O] = [2, 4, 4, 3];
  /** Quant -> Transpose -> MatMul (1x1) -> MultiThreshold(NHWC, one threshold: {0, 1}) -> Im2Col -> XnorPopcountMatMul */
  const graph = (pad: number[], w01: number[], fromMt = true): Uint8Array => {
    const g = new QonnxGraph();
    let t = g.op('Transpose', [g.quant('x', g.c([], [1]), 8, 1, 0)], { perm: [0, 2, 3, 1] });
    if (fromMt) t = g.op('MultiThreshold', [g.op('MatMul', [t, g.quant(g.c([C, C], [1, -1, 1, 1]), g.c([], [1]), 2, 1, 0)]), g.c([C, 1], [0.5, -0.5])], {}, Q, { data_layout: 'NHWC' });
    const p = im2col(g, t, { kernel_size: [2, 2], stride: [1, 1], pad_amount: pad, input_shape: `(1,${H},${W},${C})` });
    return g.bytes([C, H, W], g.op('Transpose', [g.op('XnorPopcountMatMul', [p, g.c([4 * C, O], w01)], {}, Q)], { perm: [0, 3, 1, 2] }));
  };
  const w01 = Array.from({ length: 4 * C * O }, (_, i) => (i * 3) % 2);
  it('padding, weights other than 0 / 1, data not made by a single-threshold MultiThreshold', () => {
    expect(importOnnx(graph([0, 0, 0, 0], w01)).layers.map((l) => (l.kind === 'conv2d' ? `conv2d:${l.weight.format.type}:${l.output.kind}` : l.kind))).toEqual(['quantize', 'conv2d:int:threshold', 'conv2d:binary:accumulator']);
    expect(() => importOnnx(graph([1, 1, 1, 1], w01))).toThrow(/\(XnorPopcountMatMul\): Im2Col pads \{0, 1\} data with 0, a bipolar -1/);
    expect(() => importOnnx(graph([0, 0, 0, 0], w01.map((v, i) => (i === 2 ? 2 : v))))).toThrow(/\(XnorPopcountMatMul\): XnorPopcountMatMul weight element 2 is 2; allowed 0 or 1/);
    expect(() => importOnnx(graph([0, 0, 0, 0], w01, false))).toThrow(/\(XnorPopcountMatMul\): XnorPopcountMatMul reads \{0, 1\} data: lowbit takes it as the bipolar output of the MultiThreshold before it/);
  });
});

describe('lowered graphs lowbit cannot represent: one line naming the node', () => {
  const base = { kernel_size: [3, 3], stride: [1, 1], pad_amount: [1, 1, 1, 1], input_shape: '(1,5,6,2)' };
  it('Im2Col dilations, depthwise, pad_value, input_shape; Im2Col / MaxPoolNHWC on NCHW data; NHWC flatten; ceil_mode', async () => {
    const bad: [Uint8Array, RegExp][] = [
      [patchesGraph(2, 5, 6, base, { dilations: [2, 2] }), /node im2col_\d+ \(Im2Col\): dilations \[2,2\]: lowbit's conv2d has no dilation/],
      [patchesGraph(2, 5, 6, { ...base, depthwise: 1 }), /\(Im2Col\): depthwise 1: lowbit has no depthwise/],
      [patchesGraph(2, 5, 6, { ...base, pad_value: 1 }), /\(Im2Col\): pad_value 1: lowbit's conv2d pads with the real value 0/],
      [patchesGraph(2, 5, 6, { ...base, input_shape: '(1,6,5,2)' }), /\(Im2Col\): input_shape "\(1,6,5,2\)" does not match the NHWC map \(1,5,6,2\)/],
    ];
    for (const [bytes, re] of bad) expect(() => importOnnx(bytes)).toThrow(re);
    const nchwIm2col = new QonnxGraph();
    const q = nchwIm2col.quant('x', nchwIm2col.c([], [1]), 8, 1, 0);
    expect(() => importOnnx(nchwIm2col.bytes([2, 5, 6], im2col(nchwIm2col, q, base)))).toThrow(/\(Im2Col\): Im2Col reads an NHWC feature map; its input is not one/);
    const pool = new QonnxGraph();
    const p = pool.op('MaxPoolNHWC', [pool.quant('x', pool.c([], [1]), 8, 1, 0)], { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] }, Q);
    expect(() => importOnnx(pool.bytes([2, 4, 4], p))).toThrow(/\(MaxPoolNHWC\): MaxPoolNHWC reads an NHWC feature map/);
    const ceil = nhwcGraph(2, 5, 5, (g, t) => g.op('MaxPoolNHWC', [t], { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], ceil_mode: 1 }, Q));
    expect(() => importOnnx(ceil)).toThrow(/\(MaxPoolNHWC\): ceil_mode 1 is not supported/);
    const flat = new QonnxGraph();
    const t = flat.op('Transpose', [flat.quant('x', flat.c([], [1]), 8, 1, 0)], { perm: [0, 2, 3, 1] });
    expect(() => importOnnx(flat.bytes([2, 3, 3], flat.op('Flatten', [t])))).toThrow(/\(Flatten\): Flatten of an NHWC map of shape \[2,3,3\] \(CHW\) orders the features \(h, w, c\)/);

    const dir = mkdtempSync(join(tmpdir(), 'lowbit-lowered-'));
    writeFileSync(join(dir, 'dil.onnx'), patchesGraph(2, 5, 6, base, { dilations: [2, 2] }));
    writeFileSync(join(dir, 'x.npy'), new Uint8Array(0));
    const r = await runCli(['infer', '--model', join(dir, 'dil.onnx'), '--input', join(dir, 'x.npy')]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/\(Im2Col\): dilations \[2,2\]/);
  });
});
