import { describe, expect, it } from 'vitest';
import { exportOnnx, importOnnx, shapeSize, type Conv2dLayer, type DenseLayer, type QuantizedModel } from '../../src/model/index.js';
import { decodeModel, DT, encodeModel, makeNode, makeTensor, readTensor, type ModelProto, type NodeProto } from '../../src/model/onnx/proto.js';
import { formatRange } from '../../src/arith/format.js';
import { Rng, testSeed } from '../../src/util/rng.js';
import { BINARY, int, randomCnn, randomFloats, randomMlp, randomQuant, randomStage, type StageKind } from './fixtures/model/random_models.js';
import { centreChannels, distinctRows, layerAcc, roundTripDiffs, spreadThresholds } from './fixtures/model/onnx_roundtrip.js';
import { qonnxExecModels } from './fixtures/qonnx_exec/models.js';

const seed = testSeed(1616);
const BATCH = 12;
type Fmt = ReturnType<typeof int>;

/** Random MLPs and CNNs with threshold / bipolar hidden stages over weight x activation formats (binary included). */
function models(rng: Rng): QuantizedModel[] {
  const cases: [Fmt, Fmt, StageKind][] = [
    [int(4, true), int(4, false), 'threshold'],
    [int(4, true), int(3, true), 'threshold'],
    [int(2, true), int(8, false), 'threshold'],
    [int(8, false), int(8, true), 'threshold'],
    [BINARY, int(2, false), 'threshold'],
    [BINARY, BINARY, 'bipolar'],
    [int(4, true), BINARY, 'bipolar'],
    [BINARY, int(4, false), 'bipolar'],
  ];
  return cases.flatMap(([wf, af, kind]) => {
    const mlp = randomMlp(rng, [rng.int(8, 30), rng.int(4, 20), rng.int(3, 12), 5], wf, af, kind);
    const cnn = randomCnn(rng, 2, 9, 10, wf, af, kind);
    // QLinearConv / ConvInteger take one weight zero point
    for (const l of cnn.layers) if (l.kind === 'conv2d') l.weight.zeroPoint = [l.weight.zeroPoint[0]!];
    lowClamp(cnn);
    return [mlp, cnn];
  });
}

/**
 * randomCnn's clamp after conv2 starts at the output zero point, often above every code of a threshold stage
 * (offset..offset + steps, e.g. -8..-6): start it one code above the lowest instead (with 2+ steps it still cuts).
 */
function lowClamp(cnn: QuantizedModel): void {
  const [conv2, clamp] = [cnn.layers[3]!, cnn.layers[4]!];
  if (conv2.kind === 'conv2d' && conv2.output.kind === 'threshold' && !conv2.output.bipolar && clamp.kind === 'clamp') {
    clamp.min = conv2.output.offset + (conv2.output.steps > 1 ? 1 : 0);
  }
}

const hasThreshold = (m: QuantizedModel) => m.layers.some((l) => (l.kind === 'dense' || l.kind === 'conv2d') && l.output.kind === 'threshold');

describe(`threshold ONNX exports import back to the same model (seed ${seed})`, () => {
  it('random threshold / bipolar MLPs and CNNs: ONNX Runtime == lowbit, the import has the same stages and integer outputs', async () => {
    const rng = new Rng(seed);
    const all = models(rng);
    for (const [i, m] of all.entries()) {
      expect(hasThreshold(m)).toBe(true);
      const x = randomFloats(rng, BATCH * shapeSize(m.inputShape), 3);
      spreadThresholds(m, x, BATCH);
      const rows = distinctRows(m, x, BATCH);
      console.log(`model ${i} (${m.name}): ${rows} distinct output rows of ${BATCH}`);
      expect(rows, `model ${i}: outputs vary`).toBeGreaterThan(BATCH / 3);
      expect(await roundTripDiffs(m, exportOnnx(m), x, BATCH), `model ${i}`).toEqual([]);
    }
  }, 60_000);

  it('models mixing stage kinds: requantize stages (QLinearMatMul / QGemm / QLinearConv) before and after threshold stages', async () => {
    const rng = new Rng(seed + 3);
    const cases: [Fmt, Fmt][] = [[int(4, true), int(4, false)], [int(8, true), int(8, false)], [int(2, true), int(3, true)]];
    /** the stage of `l` becomes ORT's float32 requantization to a fresh output quantization (read by `next`) */
    const requantize = (m: QuantizedModel, l: DenseLayer | Conv2dLayer, next: DenseLayer | Conv2dLayer | undefined, x: Float32Array, af: Fmt) => {
      const O = l.kind === 'dense' ? l.outFeatures : l.outChannels;
      centreChannels(m, l, x, BATCH);
      const range = Math.max(4, ...Array.from(layerAcc(m, l, x), Math.abs));
      const st = randomStage(rng, 'onnx', O, l.input, l.weight.scale, randomQuant(rng, af), range / 2);
      if (st.kind !== 'requantize') throw new Error('a requantize stage');
      // the zero point mid-range and no clamp beyond the format: accumulators of either sign keep their level
      const r = formatRange(af);
      st.output.zeroPoint = r.min < 0 ? 0 : (r.min + r.max + 1) >> 1;
      st.clamp = { ...r };
      l.output = st;
      if (next) next.input = st.output;
    };
    let mixed = 0;
    for (const [wf, af] of cases) {
      for (const m of [randomMlp(rng, [24, 16, 12, 10, 5], wf, af, 'threshold'), randomCnn(rng, 2, 9, 10, wf, af, 'threshold')]) {
        for (const l of m.layers) if (l.kind === 'conv2d') l.weight.zeroPoint = [l.weight.zeroPoint[0]!];
        if (m.name === 'random-cnn') lowClamp(m);
        const macs = m.layers.filter((l): l is DenseLayer | Conv2dLayer => l.kind === 'dense' || l.kind === 'conv2d');
        const x = randomFloats(rng, BATCH * shapeSize(m.inputShape), 3);
        requantize(m, macs[0]!, macs[1], x, af);
        spreadThresholds(m, x, BATCH);
        requantize(m, macs[macs.length - 1]!, undefined, x, af);
        expect(macs.map((l) => l.output.kind).join()).toMatch(/^requantize,threshold,.*requantize$/);
        const rows = distinctRows(m, x, BATCH);
        process.stderr.write(`[onnx_threshold_roundtrip] mixed ${m.name} ${macs.map((l) => l.output.kind).join(' ')}: ${rows} distinct output rows of ${BATCH}\n`);
        expect(rows, 'outputs vary').toBeGreaterThan(BATCH / 3);
        expect(await roundTripDiffs(m, exportOnnx(m), x, BATCH), m.name).toEqual([]);
        mixed++;
      }
    }
    expect(mixed).toBe(6);
  });

  it('the qonnx_exec fixture models with threshold stages', async () => {
    const cases = qonnxExecModels().filter((c) => hasThreshold(c.model) && /threshold|bipolar/.test(c.name));
    expect(cases.length).toBe(4);
    for (const c of cases) {
      for (const l of c.model.layers) if (l.kind === 'conv2d') l.weight.zeroPoint = [l.weight.zeroPoint[0]!];
      expect(await roundTripDiffs(c.model, exportOnnx(c.model), c.input, c.input.length / shapeSize(c.model.inputShape)), c.name).toEqual([]);
    }
  });

  // exporter bugs injected into the written graph: the round-trip check must report each one
  const node = (p: ModelProto, op: string, k = 0): NodeProto => p.graph!.node!.filter((n) => n.opType === op)[k]!;
  const edit = (p: ModelProto, name: string, f: (v: number[], dims: number[]) => number[]) => {
    const inits = p.graph!.initializer!;
    const i = inits.findIndex((t) => t.name === name);
    const v = readTensor(inits[i]!, name);
    inits[i] = makeTensor(name, v.dataType, v.dims, f(v.values, v.dims));
  };
  const mutants: [string, (p: ModelProto) => void][] = [
    ['a threshold one higher', (p) => edit(p, node(p, 'GreaterOrEqual', 0).input![1]!, (v) => v.map((t, k) => (k === v.length - 1 ? t + 1 : t)))],
    ['per-channel thresholds written channel-minor', (p) => {
      const ge = p.graph!.node!.find((n) => n.opType === 'GreaterOrEqual' && readTensor(p.graph!.initializer!.find((t) => t.name === n.input![1])!, '').dims.length > 1)!;
      edit(p, ge.input![1]!, (v, d) => v.map((_, k) => v[(k % d[0]!) * d[d.length - 1]! + Math.floor(k / d[0]!)]!));
    }],
    ['an offset one lower', (p) => {
      const add = p.graph!.node!.find((n) => n.opType === 'Add' && n.name?.endsWith('_offset'))!;
      edit(p, add.input![1]!, (v) => v.map((o) => o - 1));
    }],
    ['the output scale of a threshold stage doubled', (p) => edit(p, node(p, 'DequantizeLinear', 1).input![1]!, (v) => v.map((s) => s * 2))],
    ['the narrow-format Clip dropped', (p) => {
      const c = p.graph!.node!.findIndex((n) => n.opType === 'Clip' && n.input![0]!.startsWith('thr_out'));
      const [clip] = p.graph!.node!.splice(c, 1);
      for (const n of p.graph!.node!) n.input = n.input!.map((t) => (t === clip!.output![0] ? clip!.input![0]! : t));
    }],
  ];

  it('mutants of the export (a wrong threshold, channel order, offset, output scale, format) are caught', async () => {
    const rng = new Rng(seed + 1);
    // int4 hidden outputs (offset -8, Clip -8..7), per-channel thresholds with several steps
    let m: QuantizedModel;
    do m = randomMlp(rng, [20, 16, 12, 5], int(4, true), int(4, true), 'threshold');
    while (!m.layers.some((l) => l.kind === 'dense' && l.output.kind === 'threshold' && l.output.channels > 1 && l.output.steps > 1));
    const x = randomFloats(rng, BATCH * 20, 3);
    spreadThresholds(m, x, BATCH);
    const bytes = exportOnnx(m);
    expect(await roundTripDiffs(m, bytes, x, BATCH)).toEqual([]);
    for (const [what, mutate] of mutants) {
      const p = decodeModel(bytes, 'mutant');
      mutate(p);
      const diffs = await roundTripDiffs(m, encodeModel(p), x, BATCH);
      console.log(`mutant "${what}": ${diffs.length} differences, first: ${diffs[0]?.slice(0, 100)}`);
      expect(diffs.length, what).toBeGreaterThan(0);
    }
  });

  it('refuses a threshold pattern that is not the exported one, in one line naming the node', () => {
    const m = randomMlp(new Rng(seed + 2), [12, 8, 4], int(4, true), int(4, false), 'threshold');
    const bytes = exportOnnx(m);
    const withPattern = (f: (p: ModelProto) => void) => {
      const p = decodeModel(bytes, 'x');
      f(p);
      return encodeModel(p);
    };
    const ge = (p: ModelProto) => p.graph!.node!.find((n) => n.opType === 'GreaterOrEqual' && n.name?.endsWith('_ge'))!;
    const oneLine = /^model\.onnx: node \S+ \((\w+)\): [^\n]+; integer thresholds are read back only as `lowbit export --format onnx` writes them \(docs\/model\.md, "ONNX interchange"\)$/;
    // Greater instead of GreaterOrEqual: another function of the accumulator
    expect(() => importOnnx(withPattern((p) => { ge(p).opType = 'Greater'; }), { name: 'model.onnx' })).toThrow(oneLine);
    // ReduceSum keeping the axis
    expect(() => importOnnx(withPattern((p) => {
      p.graph!.node!.find((n) => n.opType === 'ReduceSum')!.attribute = makeNode('ReduceSum', [], [], '', { keepdims: 1 }).attribute;
    }), { name: 'model.onnx' })).toThrow(oneLine);
    // a QuantizeLinear with another scale than its DequantizeLinear
    expect(() => importOnnx(withPattern((p) => {
      const q = p.graph!.node!.find((n) => n.opType === 'QuantizeLinear' && n.name?.endsWith('_out'))!;
      p.graph!.initializer!.push(makeTensor('other_scale', DT.FLOAT, [], [0.5]));
      q.input = [q.input![0]!, 'other_scale', q.input![2]!];
    }), { name: 'model.onnx' })).toThrow(oneLine);
    // the intermediate count read by a second node
    expect(() => importOnnx(withPattern((p) => {
      const sum = p.graph!.node!.find((n) => n.opType === 'ReduceSum')!;
      p.graph!.node!.push({ opType: 'Identity', name: 'spy', input: [sum.output![0]!], output: ['spy_out'] });
    }), { name: 'model.onnx' })).toThrow(oneLine);
  });
});
