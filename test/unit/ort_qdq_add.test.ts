import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { allPairs8, runOrt } from './fixtures/model/ort.js';
import { dequantizeLinear, quantizeLinear } from '../../src/arith/onnx.js';
import { addInt, dequantizeOutput, DT, importOnnx, integerInference, type ActQuant, type AddLayer } from '../../src/model/index.js';
import { decodeModel, encodeModel, makeNode, makeTensor, makeValueInfo, type ModelProto } from '../../src/model/onnx/proto.js';
import { readNpy } from '../../src/util/npy.js';
import { Rng } from '../../src/util/rng.js';

/**
 * The QDQ residual Add, DequantizeLinear(A), DequantizeLinear(B) -> Add -> QuantizeLinear, imported as lowbit's
 * `add` layer (the QLinearAdd rule of src/arith/ort_qlinear.ts):
 *  - onnxruntime-node with its default optimizations fuses the three ops into com.microsoft QLinearAdd on the CPU:
 *    on every pair of 8-bit values its outputs equal `addInt`; with optimizations disabled it runs them one by one
 *    in float32 (equal to that reference here), which differs from the fused rule on some pairs;
 *  - the quantize_static QDQ residual CNNs (fixtures/ort_residual/res_qdq_*.onnx; their float32 logits are compared
 *    with ORT's in ort_qlinear.test.ts) import to the same layers and integers as the QOperator files;
 *  - what ORT does not fuse, or lowbit cannot chain, is refused in one line naming the node.
 */
const DIR = join(__dirname, 'fixtures', 'ort_residual');
const U8 = { type: 'int', bits: 8, signed: false } as const;
const I8 = { type: 'int', bits: 8, signed: true } as const;

function randQuant(rng: Rng, signed: boolean): ActQuant {
  return { format: signed ? I8 : U8, scale: Math.fround(0.002 + rng.float() * 0.2), zeroPoint: signed ? rng.int(-20, 20) : rng.int(0, 255) };
}

/** DequantizeLinear(A), DequantizeLinear(B) -> Add (-> Relu) -> QuantizeLinear over integer graph inputs A, B of [n]. */
function qdqAddGraph(a: ActQuant, b: ActQuant, c: ActQuant, n: number, relu = false): Uint8Array {
  const dt = (q: ActQuant) => (q.format.type === 'int' && q.format.signed ? DT.INT8 : DT.UINT8);
  const params = (k: string, q: ActQuant) => [makeTensor(`s${k}`, DT.FLOAT, [], [q.scale]), makeTensor(`z${k}`, dt(q), [], [q.zeroPoint])];
  return encodeModel({
    irVersion: 7, producerName: 'lowbit-test', opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'qdq_add',
      node: [
        makeNode('DequantizeLinear', ['A', 'sa', 'za'], ['fa'], 'dqa'), makeNode('DequantizeLinear', ['B', 'sb', 'zb'], ['fb'], 'dqb'),
        makeNode('Add', ['fa', 'fb'], ['s'], 'add'), ...(relu ? [makeNode('Relu', ['s'], ['r'], 'relu')] : []),
        makeNode('QuantizeLinear', [relu ? 'r' : 's', 'sc', 'zc'], ['C'], 'q'),
      ],
      initializer: [...params('a', a), ...params('b', b), ...params('c', c)],
      input: [makeValueInfo('A', dt(a), [n]), makeValueInfo('B', dt(b), [n])],
      output: [makeValueInfo('C', dt(c), [n])],
    },
  });
}

async function runInts(bytes: Uint8Array, A: Int8Array | Uint8Array, B: Int8Array | Uint8Array, optimization: 'all' | 'disabled'): Promise<number[]> {
  const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: optimization, intraOpNumThreads: 1, logSeverityLevel: 3 });
  const type = A instanceof Int8Array ? 'int8' : 'uint8';
  const out = (await s.run({ A: new ort.Tensor(type, A, [A.length]), B: new ort.Tensor(type, B, [B.length]) }))[s.outputNames[0]!]!;
  await s.release();
  return Array.from(out.data as ArrayLike<number>);
}

describe('QDQ Add (DequantizeLinear -> Add -> QuantizeLinear): ONNX Runtime fuses it into QLinearAdd', () => {
  // seed 1624: parameter sets on which the fused rule and the unfused float32 ops differ on a few pairs (6 in all),
  // so that the equalities below tell which of the two ORT ran
  const rng = new Rng(1624);
  let differing = 0;
  for (const signed of [false, true, false, true]) {
    const [a, b, c] = [randQuant(rng, signed), randQuant(rng, signed), randQuant(rng, signed)];
    it(`${signed ? 'int8' : 'uint8'} A (${a.scale.toPrecision(4)}, ${a.zeroPoint}) + B (${b.scale.toPrecision(4)}, ${b.zeroPoint}) -> C (${c.scale.toPrecision(4)}, ${c.zeroPoint}): all 65,536 pairs == addInt`, async () => {
      const { A, B } = allPairs8(signed);
      const bytes = qdqAddGraph(a, b, c, 65536);
      const layer: AddLayer = { kind: 'add', name: 'add', a: { from: 0, quant: a }, b: { from: 1, quant: b }, output: c };
      const fused = Array.from(addInt(layer, Int32Array.from(A), Int32Array.from(B)));
      expect(await runInts(bytes, A, B, 'all')).toEqual(fused);
      // unfused (optimizations disabled): float32 DequantizeLinear, float32 Add, QuantizeLinear
      const fa = dequantizeLinear(A, [65536], [a.scale], [a.zeroPoint], {}, new Float32Array(65536));
      const fb = dequantizeLinear(B, [65536], [b.scale], [b.zeroPoint], {}, new Float32Array(65536));
      const sum = fa.map((v, i) => v + fb[i]!);
      const float = Array.from(quantizeLinear(sum, [65536], [c.scale], [c.zeroPoint], signed ? 'int8' : 'uint8', {}, signed ? new Int8Array(65536) : new Uint8Array(65536)));
      expect(await runInts(bytes, A, B, 'disabled')).toEqual(float);
      const differ = fused.filter((v, i) => v !== float[i]).length;
      differing += differ;
      process.stderr.write(`[ort_qdq_add] ${signed ? 'int8' : 'uint8'}: fused == ORT (all) on 65536/65536; ORT without optimizations (float32 ops) differs from the fused rule on ${differ}\n`);
    });
  }

  it('the two paths differ on some pair of these cases (so ORT with optimizations ran the fused rule)', () => expect(differing).toBeGreaterThan(0));

  it('Add -> Relu -> QuantizeLinear with the zero point at the type minimum: ORT drops the Relu and fuses; == addInt on all pairs', async () => {
    for (const signed of [false, true]) {
      const [a, b] = [randQuant(rng, signed), randQuant(rng, signed)];
      const c: ActQuant = { ...randQuant(rng, signed), zeroPoint: signed ? -128 : 0 };
      const { A, B } = allPairs8(signed);
      const layer: AddLayer = { kind: 'add', name: 'add', a: { from: 0, quant: a }, b: { from: 1, quant: b }, output: c };
      expect(await runInts(qdqAddGraph(a, b, c, 65536, true), A, B, 'all')).toEqual(Array.from(addInt(layer, Int32Array.from(A), Int32Array.from(B))));
    }
  });
});

describe('quantize_static QDQ residual CNNs (res_qdq_pt / res_qdq_pc)', () => {
  const input = readNpy(join(DIR, 'input.npy'));
  for (const kind of ['pt', 'pc']) {
    it(`res_qdq_${kind}: the same layers as res_qop_${kind} (add of conv c3 and the skip c1), the same integer outputs`, () => {
      const qdq = importOnnx(join(DIR, `res_qdq_${kind}.onnx`), { scaling: 'onnx' });
      const qop = importOnnx(join(DIR, `res_qop_${kind}.onnx`), { scaling: 'onnx' });
      expect(qdq.layers.map((l) => l.kind)).toEqual(['quantize', 'conv2d', 'conv2d', 'conv2d', 'add', 'maxpool2d', 'flatten', 'dense']);
      const add = qdq.layers[4] as AddLayer;
      expect([add.a.from, add.b.from]).toEqual([3, 1]);
      expect(add).toEqual({ ...(qop.layers[4] as AddLayer), name: add.name });
      const x = input.data as Float32Array;
      expect(Array.from(integerInference(qdq, x).output)).toEqual(Array.from(integerInference(qop, x).output));
    });
  }

  it('a Relu after the Add (zero point 0) imports as the same add; refuses in one line what ONNX Runtime does not fuse or lowbit cannot chain', async () => {
    const bytes = new Uint8Array(readFileSync(join(DIR, 'res_qdq_pt.onnx')));
    const edit = (f: (p: ModelProto) => void) => {
      const p = decodeModel(bytes, 'm');
      f(p);
      return encodeModel(p);
    };
    const addNode = (p: ModelProto) => p.graph!.node!.find((n) => n.opType === 'Add')!;
    // the float sum read by a second node
    expect(() => importOnnx(edit((p) => {
      p.graph!.node!.push(makeNode('Identity', [addNode(p).output![0]!], ['spy'], 'spy'));
    }), { name: 'm.onnx' })).toThrow(/^m\.onnx: node \S+ \(Add\): the sum must be read only by one QuantizeLinear, or one Relu then one QuantizeLinear \(ONNX Runtime fuses DequantizeLinear -> Add -> QuantizeLinear into QLinearAdd; a float sum used otherwise has no lowbit layer\)$/);
    // a Relu between the Add and its QuantizeLinear (zero point 0, uint8: ORT removes it): the same model and outputs
    const relu = edit((p) => {
      const add = addNode(p);
      p.graph!.node!.find((n) => n.input![0] === add.output![0])!.input![0] = 'relu_out';
      p.graph!.node!.splice(p.graph!.node!.indexOf(add) + 1, 0, makeNode('Relu', [add.output![0]!], ['relu_out'], 'relu'));
    });
    const x = readNpy(join(DIR, 'input.npy')).data as Float32Array;
    const plain = importOnnx(bytes, { scaling: 'onnx' });
    const withRelu = importOnnx(relu, { scaling: 'onnx' });
    expect(Array.from(integerInference(withRelu, x).output)).toEqual(Array.from(integerInference(plain, x).output));
    const ortLogits = (await runOrt(relu, x, [8, 1, 28, 28])).data;
    expect(Array.from(dequantizeOutput(withRelu, integerInference(withRelu, x, { requant: 'onnxruntime' }).output))).toEqual(ortLogits);
    // the same Relu before a QuantizeLinear whose zero point is not the minimum: ORT keeps it (float32 Add)
    expect(() => importOnnx(edit((p) => {
      const add = addNode(p);
      const q = p.graph!.node!.find((n) => n.input![0] === add.output![0])!;
      q.input![0] = 'relu_out';
      p.graph!.node!.splice(p.graph!.node!.indexOf(add) + 1, 0, makeNode('Relu', [add.output![0]!], ['relu_out'], 'relu'));
      p.graph!.initializer!.push(makeTensor('z30', DT.UINT8, [], [30]));
      q.input![2] = 'z30';
    }), { name: 'm.onnx' })).toThrow(/^m\.onnx: node relu \(Relu\): a Relu between Add and QuantizeLinear is exact only with the zero point at the type's minimum \(uint8 0, int8 -128\), as ONNX Runtime then removes it; the QuantizeLinear's zero point is 30$/);
    // an operand that is a float constant, not a DequantizeLinear of a layer's output
    expect(() => importOnnx(edit((p) => {
      p.graph!.initializer!.push(makeTensor('k', DT.FLOAT, [], [0.5]));
      addNode(p).input![1] = 'k';
    }), { name: 'm.onnx' })).toThrow(/^m\.onnx: node \S+ \(Add\): input k must be a DequantizeLinear of a layer's quantized output \(a QDQ residual Add\)$/);
    // the sum quantized to int8 while the operands are uint8: ORT adds in float32 then
    expect(() => importOnnx(edit((p) => {
      const q = p.graph!.node!.find((n) => n.opType === 'QuantizeLinear' && n.input![0] === addNode(p).output![0])!;
      p.graph!.initializer!.push(makeTensor('z8', DT.INT8, [], [0]));
      q.input![2] = 'z8';
    }), { name: 'm.onnx' })).toThrow(/^m\.onnx: node \S+ \(QuantizeLinear\): the Add's inputs and its QuantizeLinear output must all be uint8 or all int8 \(ONNX Runtime fuses DequantizeLinear -> Add -> QuantizeLinear into QLinearAdd only then\)$/);
  });
});
