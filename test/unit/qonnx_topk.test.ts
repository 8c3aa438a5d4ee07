import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { argmaxRowsInt, dequantizeOutput, importOnnx, integerInference } from '../../src/model/index.js';
import { decodeModel, DT, encodeModel, makeNode, makeTensor, makeValueInfo, type NodeProto } from '../../src/model/onnx/proto.js';
import { TOPK_NOTE } from '../../src/model/onnx/qonnx_import.js';
import { readNpy } from '../../src/util/npy.js';
import { Rng } from '../../src/util/rng.js';
import { QonnxGraph } from './helpers/qonnx_graph.js';

/**
 * A FINN TopK tail (docs/qonnx.md, "TopK"): FINN's InsertTopK (finn/transformation/insert_topk.py) drops the
 * scalar Mul / Add nodes at the graph output (TopK is invariant to them), appends TopK(logits, k) (axis -1,
 * largest 1, sorted 1; k an int64 initializer [1]) and makes its indices the graph output. `insertTopK` below
 * applies those steps to the FINN fixtures of fixtures/qonnx_lowered. lowbit imports the graph as the logits the
 * TopK ranks: the integers equal the import without the tail, and their argmax (argmaxRowsInt, first on ties)
 * equals ONNX Runtime's TopK k = 1 (onnxruntime-node) run on the fixture's logits and on lowbit's own, ties included.
 */
const DIR = join(__dirname, 'fixtures', 'qonnx_lowered');

/** FINN's InsertTopK on model bytes: k, largest and axis as given (FINN: k 5 by default, largest 1, axis -1). */
function insertTopK(bytes: Uint8Array, k: number, attrs: { largest?: number; axis?: number } = {}): Uint8Array {
  const m = decodeModel(bytes, 'm.onnx');
  const g = m.graph!;
  const inits = new Map((g.initializer ?? []).map((t) => [t.name ?? '', t]));
  const producer = (t: string): NodeProto | undefined => (g.node ?? []).find((n) => n.output?.[0] === t);
  let out = g.output![0]!.name ?? '';
  // is_scalar_linear: Mul or Add by an initializer whose every dimension is 1
  for (let n = producer(out); n && (n.opType === 'Mul' || n.opType === 'Add') && inits.get(n.input?.[1] ?? '')?.dims?.every((d) => Number(d) === 1); n = producer(out)) {
    g.node = g.node!.filter((x) => x !== n);
    out = n.input![0]!;
  }
  g.initializer!.push(makeTensor('topk_k', DT.INT64, [1], [k]));
  g.node!.push(makeNode('TopK', [out, 'topk_k'], ['topk_values', 'topk_indices'], 'topk', { axis: attrs.axis ?? -1, largest: attrs.largest ?? 1, sorted: 1 }));
  g.output = [makeValueInfo('topk_indices', DT.INT64, ['N', k])];
  g.quantizationAnnotation = [...(g.quantizationAnnotation ?? []), { tensorName: 'topk_indices', quantParameterTensorNames: [{ key: 'finn_datatype', value: 'UINT32' }] }];
  return encodeModel(m);
}

/** ONNX Runtime's TopK k = 1 indices of [N, C] float32 logits (a one-node graph, as the tail computes them). */
async function ortTop1(logits: Float32Array, C: number): Promise<number[]> {
  const bytes = encodeModel({
    irVersion: 8, producerName: 'lowbit-test', opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'topk', node: [makeNode('TopK', ['x', 'k'], ['v', 'i'], 'topk', { axis: -1, largest: 1, sorted: 1 })],
      initializer: [makeTensor('k', DT.INT64, [1], [1])],
      input: [makeValueInfo('x', DT.FLOAT, ['N', C])], output: [makeValueInfo('i', DT.INT64, ['N', 1])],
    },
  });
  const s = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const r = (await s.run({ x: new ort.Tensor('float32', logits, [logits.length / C, C]) })).i!.data as BigInt64Array;
  await s.release();
  return Array.from(r, Number);
}

describe('FINN TopK tail: imported as the logits it ranks; argmax == ONNX Runtime TopK k = 1', () => {
  for (const name of ['cnv', 'tail1x1']) {
    it(`${name}.finn.onnx + InsertTopK(k=1): the same integers as without the tail; argmax == ORT's TopK of qonnx's logits and of lowbit's`, async () => {
      const bytes = readFileSync(join(DIR, `${name}.finn.onnx`));
      const plain = importOnnx(bytes, { name, date: 'd' });
      const top = importOnnx(insertTopK(bytes, 1), { name, date: 'd' });
      expect(top.layers.map((l) => l.kind)).toEqual(plain.layers.map((l) => l.kind));
      expect(top.provenance.notes).toContain(TOPK_NOTE);
      expect(plain.provenance.notes).not.toContain('TopK');
      const x = readNpy(join(DIR, `${name}.input.npy`)).data as Float32Array;
      const want = readNpy(join(DIR, `${name}.output.npy`));
      const C = want.shape[1]!;
      const out = integerInference(top, x).output;
      expect(Array.from(out)).toEqual(Array.from(integerInference(plain, x).output));
      const ours = Array.from(argmaxRowsInt(out, C));
      expect(ours).toEqual(await ortTop1(want.data as Float32Array, C));
      expect(ours).toEqual(await ortTop1(dequantizeOutput(top, out), C));
      // cnv's 12 inputs spread over several classes (tail1x1's all rank the same class first)
      if (name === 'cnv') expect(new Set(ours).size).toBeGreaterThan(2);
    });
  }

  it('ties: equal logits give the lower index, in lowbit as in ONNX Runtime', async () => {
    // logits 0 and 2 are always equal (identical weight columns), and often the largest
    const [K, C] = [6, 4];
    const rng = new Rng(5);
    const W = Array.from({ length: K * C }, (_, i) => (i % C === 2 ? 0 : rng.int(-3, 3)));
    for (let r = 0; r < K; r++) W[r * C + 2] = W[r * C]!;
    const g = new QonnxGraph();
    const mm = g.op('MatMul', [g.quant('x', g.c([], [0.5]), 4, 1, 0), g.quant(g.c([K, C], W), g.c([], [1]), 3, 1, 0)]);
    const m = importOnnx(insertTopK(g.bytes([K], mm), 1), { date: 'd' });
    const x = Float32Array.from({ length: 64 * K }, () => rng.int(-8, 7) / 2);
    const out = integerInference(m, x).output;
    const ours = Array.from(argmaxRowsInt(out, C));
    const ties = ours.filter((c, r) => c === 0 && out[r * C] === out[r * C + 2]).length;
    expect(ties).toBeGreaterThan(5);
    expect(ours).toEqual(await ortTop1(dequantizeOutput(m, out), C));
  });

  it('refuses in one line what is not an argmax: k > 1, largest 0, another axis, per-channel scales, a used values output', () => {
    const bytes = readFileSync(join(DIR, 'tail1x1.finn.onnx'));
    const where = /^m\.onnx: node topk \(TopK\): /;
    expect(() => importOnnx(insertTopK(bytes, 5), { name: 'm.onnx' })).toThrow(/k = 5: lowbit imports TopK with k = 1 only, the argmax of the logits \(FINN: InsertTopK\(k=1\)\)$/);
    expect(() => importOnnx(insertTopK(bytes, 5), { name: 'm.onnx' })).toThrow(where);
    expect(() => importOnnx(insertTopK(bytes, 1, { largest: 0 }), { name: 'm.onnx' })).toThrow(/largest 0 selects the smallest logit/);
    expect(() => importOnnx(insertTopK(bytes, 1, { axis: 0 }), { name: 'm.onnx' })).toThrow(/TopK along axis 0 of a \[N, 4\] tensor; lowbit imports it over the features of \[N, C\] logits$/);
    // per-channel output scales: a Mul by a [4] constant (not removed by InsertTopK) before the TopK
    const g = new QonnxGraph();
    const mm = g.op('MatMul', [g.quant('x', g.c([], [0.5]), 4, 1, 0), g.quant(g.c([3, 4], [1, 2, 3, 1, -1, 0, 2, 1, 3, -2, 1, 0]), g.c([], [1]), 3, 1, 0)]);
    expect(() => importOnnx(insertTopK(g.bytes([3], g.op('Mul', [mm, g.c([4], [1, 2, 1, 1])])), 1), { name: 'm.onnx' })).toThrow(/^m\.onnx: TopK of logits with per-channel scales \(0\.5, 1, \.\.\.\): the argmax of lowbit's integer logits would differ from TopK's; FINN's InsertTopK expects one scale$/);
    // the values read by another node
    const m = decodeModel(insertTopK(bytes, 1), 'm.onnx');
    m.graph!.node!.push(makeNode('Identity', ['topk_values'], ['v2'], 'use_values'));
    expect(() => importOnnx(encodeModel(m), { name: 'm.onnx' })).toThrow(/\(TopK\): its values output is used; lowbit imports TopK only as the argmax, whose indices are the graph output$/);
  });
});
