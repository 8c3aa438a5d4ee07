import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { intFormat } from '../../src/arith/format.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { allPairs8 } from './fixtures/model/ort.js';
import { fmaF32, qlinearAdd, qlinearAddParams, roundHalfEven } from '../../src/arith/index.js';
import {
  addInt, dequantizeOutput, DT, exportOnnx, globalAvgPoolInt, importOnnx, integerInference, loadQuantizedModel, saveQuantizedModel,
  validateModel, type ActQuant, type AddLayer, type GlobalAvgPoolLayer, type QuantizedModel,
} from '../../src/model/index.js';
import { encodeModel, makeNode, makeTensor, makeValueInfo } from '../../src/model/onnx/proto.js';
import { compileModel } from '../../src/hw/accel_compile.js';
import { PRESETS } from '../../src/hw/presets.js';
import { readNpy } from '../../src/util/npy.js';
import { InputError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';
import { Graph } from './fixtures/model/qdq.js';

/**
 * ONNX Runtime's com.microsoft QLinearAdd and QLinearGlobalAveragePool (lowbit `add` / `globalavgpool` layers):
 *  - the arithmetic (src/arith/ort_qlinear.ts) against onnxruntime-node on every (a, b) pair of 8-bit values and
 *    on random pooled tensors, uint8 and int8, random scales and zero points;
 *  - quantize_static residual and GAP CNNs (fixtures/ort_residual/make.py): lowbit's dequantized logits equal
 *    ONNX Runtime's (the committed Python outputs and onnxruntime-node run here) bit for bit;
 *  - save/load, export to ONNX and re-import keep the outputs; the accelerator refuses the layers in one line.
 */
const DIR = join(__dirname, 'fixtures', 'ort_residual');
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
const U8 = { type: 'int', bits: 8, signed: false } as const;
const I8 = { type: 'int', bits: 8, signed: true } as const;

async function run(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<ort.Tensor> {
  const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1, logSeverityLevel: 3 });
  const out = (await s.run(feeds))[s.outputNames[0]!]!;
  await s.release();
  return out;
}

function randQuant(rng: Rng, signed: boolean): ActQuant {
  const scale = Math.fround(0.002 + rng.float() * 0.2);
  const zeroPoint = signed ? rng.int(-20, 20) : rng.int(0, 255);
  return { format: signed ? I8 : U8, scale, zeroPoint };
}

/** A graph of one com.microsoft op with integer graph inputs `ins` of `dims`; the op's constants as initializers. */
function opGraph(op: string, ins: string[], consts: [string, number, number][], inputs: string[], dims: (number | string)[], dt: number, attrs: Record<string, number> = {}): Uint8Array {
  return encodeModel({
    irVersion: 7, producerName: 'lowbit-test', opsetImport: [{ domain: '', version: 13 }, { domain: 'com.microsoft', version: 1 }],
    graph: {
      name: op, node: [makeNode(op, inputs, ['y'], op, attrs, 'com.microsoft')],
      initializer: consts.map(([n, t, v]) => makeTensor(n, t, [], [v])),
      input: ins.map((n) => makeValueInfo(n, dt, dims)),
      output: [makeValueInfo('y', dt, op === 'QLinearAdd' ? dims : [dims[0]!, dims[1]!, 1, 1])],
    },
  });
}

describe('QLinearAdd: lowbit == onnxruntime-node on every pair of 8-bit values', () => {
  const rng = new Rng(16);
  const mutantHits = { sse2: 0, noFma: 0 };
  const cases = Array.from({ length: 6 }, (_, k) => {
    const signed = k % 2 === 1;
    return { signed, a: randQuant(rng, signed), b: randQuant(rng, signed), c: randQuant(rng, signed) };
  });
  for (const { signed, a, b, c } of cases) {
    it(`${signed ? 'int8' : 'uint8'} A (${a.scale.toPrecision(4)}, ${a.zeroPoint}) + B (${b.scale.toPrecision(4)}, ${b.zeroPoint}) -> C (${c.scale.toPrecision(4)}, ${c.zeroPoint})`, async () => {
      const dt = signed ? DT.INT8 : DT.UINT8;
      const { A, B } = allPairs8(signed);
      const bytes = opGraph('QLinearAdd', ['A', 'B'], [['sa', DT.FLOAT, a.scale], ['za', dt, a.zeroPoint], ['sb', DT.FLOAT, b.scale], ['zb', dt, b.zeroPoint], ['sc', DT.FLOAT, c.scale], ['zc', dt, c.zeroPoint]],
        ['A', 'sa', 'za', 'B', 'sb', 'zb', 'sc', 'zc'], [65536], dt);
      const type = signed ? 'int8' : 'uint8';
      const y = (await run(bytes, { A: new ort.Tensor(type, A, [65536]), B: new ort.Tensor(type, B, [65536]) })).data as Int8Array | Uint8Array;
      const layer: AddLayer = { kind: 'add', name: 'add', a: { from: 0, quant: a }, b: { from: 1, quant: b }, output: c };
      const ours = addInt(layer, Int32Array.from(A), Int32Array.from(B));
      expect(Array.from(ours)).toEqual(Array.from(y));
      // mutants: products and sums rounded separately (MLAS's SSE2 kernel), and the constant without its FMA
      const p = qlinearAddParams(a.scale, a.zeroPoint, b.scale, b.zeroPoint, c.scale, c.zeroPoint);
      const r = signed ? [-128, 127] : [0, 255];
      const unfused = Math.fround(c.zeroPoint - Math.fround(Math.fround(p.rA * a.zeroPoint) + Math.fround(p.rB * b.zeroPoint)));
      let sse2 = 0;
      let noFma = 0;
      for (let i = 0; i < 65536; i++) {
        const sep = roundHalfEven(Math.fround(Math.fround(p.fixed + Math.fround(A[i]! * p.rA)) + Math.fround(B[i]! * p.rB)));
        if (Math.min(r[1]!, Math.max(r[0]!, sep)) !== y[i]) sse2++;
        if (qlinearAdd(A[i]!, B[i]!, { ...p, fixed: unfused }, r[0]!, r[1]!) !== y[i]) noFma++;
      }
      mutantHits.sse2 += sse2;
      mutantHits.noFma += noFma;
      process.stderr.write(`[ort_qlinear] QLinearAdd ${type}: 65536/65536 equal; mutants differ on: separate mul+add ${sse2}, unfused constant ${noFma}\n`);
    });
  }

  it('each mutant of the rule disagrees with ONNX Runtime somewhere over these cases', () => {
    expect(mutantHits.sse2).toBeGreaterThan(0);
    expect(mutantHits.noFma).toBeGreaterThan(0);
  });

  it('fmaF32 rounds once: exact against a BigInt reference on float32 midpoints', () => {
    // a * b + c where the float64 sum lands exactly on a float32 midpoint but the exact value does not
    const cases: [number, number, number][] = [[3, Math.fround(1 + 2 ** -23), Math.fround(2 ** -22)], [255, Math.fround(0.1), Math.fround(-25.5)], [1, 1, Math.fround(2 ** -24)]];
    const rng = new Rng(3);
    for (let k = 0; k < 2000; k++) cases.push([rng.int(-128, 255), Math.fround((rng.float() - 0.5) * 4), Math.fround((rng.float() - 0.5) * 600)]);
    for (const [a, b, c] of cases) expect(fmaF32(a, b, c)).toBe(exactFmaF32(a, b, c));
    expect(qlinearAdd(255, 255, qlinearAddParams(1, 0, 1, 0, 1, 0), 0, 255)).toBe(255);
  });
});

/** float32 rounding (ties to even) of the exact rational a * b + c, computed with BigInt. */
function exactFmaF32(a: number, b: number, c: number): number {
  const SH = 300n;
  const big = (x: number) => {
    // x = m * 2^e exactly (x a float32)
    if (x === 0) return 0n;
    let e = 0;
    let m = x;
    while (!Number.isInteger(m)) {
      m *= 2;
      e--;
    }
    return (BigInt(m) << SH) >> BigInt(-e);
  };
  const exact = (big(a) * big(b) >> SH) + big(c); // scaled by 2^SH, exact for these magnitudes
  const approx = Math.fround(Number(exact) / 2 ** 300);
  // pick among approx and its float32 neighbours the one nearest to exact (ties: even significand)
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  const cands = [-1, 0, 1].map((d) => {
    f[0] = approx;
    if (approx !== 0) u[0] += d;
    return f[0]!;
  });
  let best = cands[0]!;
  let bestErr = -1n;
  for (const v of cands) {
    const err = big(v) - exact;
    const abs = err < 0n ? -err : err;
    f[0] = v;
    if (bestErr < 0n || abs < bestErr || (abs === bestErr && (u[0]! & 1) === 0)) {
      best = v;
      bestErr = abs;
    }
  }
  return best;
}

describe('QLinearGlobalAveragePool: lowbit == onnxruntime-node', () => {
  const rng = new Rng(61);
  for (const [C, H, W, signed] of [[8, 7, 7, false], [5, 1, 1, false], [16, 10, 10, true], [3, 13, 9, true], [4, 28, 28, false]] as const) {
    it(`${signed ? 'int8' : 'uint8'} [2, ${C}, ${H}, ${W}]`, async () => {
      const x = randQuant(rng, signed);
      let y = randQuant(rng, signed);
      y = { ...y, scale: Math.fround(x.scale * (0.2 + rng.float())) };
      const dt = signed ? DT.INT8 : DT.UINT8;
      const n = 2 * C * H * W;
      const X = signed ? Int8Array.from({ length: n }, () => rng.int(-128, 127)) : Uint8Array.from({ length: n }, () => rng.int(0, 255));
      const bytes = opGraph('QLinearGlobalAveragePool', ['X'], [['sx', DT.FLOAT, x.scale], ['zx', dt, x.zeroPoint], ['sy', DT.FLOAT, y.scale], ['zy', dt, y.zeroPoint]],
        ['X', 'sx', 'zx', 'sy', 'zy'], [2, C, H, W], dt, { channels_last: 0 });
      const out = await run(bytes, { X: new ort.Tensor(signed ? 'int8' : 'uint8', X, [2, C, H, W]) });
      const layer: GlobalAvgPoolLayer = { kind: 'globalavgpool', name: 'gap', input: x, output: y };
      expect(Array.from(globalAvgPoolInt(layer, Int32Array.from(X), 2, [C, H, W]))).toEqual(Array.from(out.data as Uint8Array));
    });
  }
});

describe('quantize_static residual (QLinearAdd) and GAP (QLinearGlobalAveragePool) CNNs', () => {
  const meta = JSON.parse(readFileSync(join(DIR, 'meta.json'), 'utf8')) as { models: Record<string, { ops: string[]; argmax: number[] }> };
  const input = readNpy(join(DIR, 'input.npy'));
  for (const name of Object.keys(meta.models)) {
    it(`${name} (${meta.models[name]!.ops.join(', ')}): lowbit's float32 logits == ORT's (Python, committed) == onnxruntime-node's, bit for bit`, async () => {
      const m = importOnnx(join(DIR, `${name}.onnx`), { name });
      const y = dequantizeOutput(m, integerInference(m, input.data as Float32Array, { requant: 'onnxruntime' }).output);
      const py = readNpy(join(DIR, `${name}.ort.npy`)).data as Float32Array;
      const node = (await run(readFileSync(join(DIR, `${name}.onnx`)), { input: new ort.Tensor('float32', input.data as Float32Array, input.shape) })).data as Float32Array;
      expect(bits(y)).toEqual(bits(py));
      expect(bits(y)).toEqual(bits(node));
      expect(m.layers.some((l) => l.kind === (name.startsWith('res') ? 'add' : 'globalavgpool'))).toBe(true);
    });
  }

  it('the residual model: the add reads conv c3 (A, the previous layer) and conv c1 (B, the skip)', () => {
    const m = importOnnx(join(DIR, 'res_qop_pt.onnx'));
    expect(m.layers.map((l) => l.kind)).toEqual(['quantize', 'conv2d', 'conv2d', 'conv2d', 'add', 'maxpool2d', 'flatten', 'dense']);
    const add = m.layers[4] as AddLayer;
    expect([add.a.from, add.b.from]).toEqual([3, 1]);
  });

  for (const name of ['res_qop_pc', 'gap_qop_pt']) {
    it(`${name}: saved and loaded, and exported to ONNX (QLinearAdd / QLinearGlobalAveragePool) then re-imported: the same outputs; ORT runs the export to lowbit's integers`, async () => {
      const m = importOnnx(join(DIR, `${name}.onnx`), { name, scaling: 'onnx' });
      const x = input.data as Float32Array;
      const ref = integerInference(m, x).output;
      const dir = mkdtempSync(join(tmpdir(), 'lowbit-qlinear-'));
      try {
        saveQuantizedModel(m, join(dir, 'm'));
        expect(Array.from(integerInference(loadQuantizedModel(join(dir, 'm')), x).output)).toEqual(Array.from(ref));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      const bytes = exportOnnx(m);
      const back = importOnnx(bytes, { scaling: 'onnx' });
      expect(back.layers.map((l) => l.kind)).toEqual(m.layers.map((l) => l.kind));
      expect(Array.from(integerInference(back, x).output)).toEqual(Array.from(ref));
      const y = await run(bytes, { input: new ort.Tensor('float32', x, input.shape) });
      expect(Array.from(y.data as Uint8Array)).toEqual(Array.from(ref));
    });
  }

  it('the accelerator compiler refuses them in one line naming the layer and the fix', () => {
    for (const name of ['res_qop_pt', 'gap_qop_pt']) {
      const m = importOnnx(join(DIR, `${name}.onnx`));
      const design = { ...structuredClone(PRESETS['int8-mnist']), activation: intFormat(8, false) };
      const l = m.layers.find((k) => k.kind === 'add' || k.kind === 'globalavgpool')!;
      expect(() => compileModel(m, design)).toThrow(InputError);
      expect(() => compileModel(m, design)).toThrow(new RegExp(`${l.kind} layer ${l.name.replace(/[/.]/g, '\\$&')} \\(ONNX Runtime QLinear\\w+\\) has no accelerator unit; run the model with \`lowbit infer\`$`));
    }
  });

  it('bad models and graphs: an add reading a later layer, a non-8-bit add, a branch that is not a QLinearAdd skip', () => {
    const m = importOnnx(join(DIR, 'res_qop_pt.onnx'));
    const bad = (f: (l: AddLayer) => void, re: RegExp) => {
      const c: QuantizedModel = { ...m, layers: m.layers.map((l) => structuredClone(l)) };
      f(c.layers[4] as AddLayer);
      expect(() => validateModel(c, 'm')).toThrow(re);
    };
    bad((l) => (l.b.from = 5), /layers\[4\]\.b\.from: got 5; allowed: .*0\.\.3/);
    bad((l) => (l.b.quant = { ...l.b.quant, scale: l.b.quant.scale * 2 }), /layers\[4\]\.b\.quant: .*must be equal/);
    bad((l) => (l.output = { ...l.output, format: { type: 'int', bits: 4, signed: false }, zeroPoint: 0 }), /layers\[4\]\.output\.format: got "uint4"; allowed: int8 or uint8/);
    bad((l) => {
      l.a.from = 2;
      const c2 = m.layers[2]!;
      if (c2.kind !== 'conv2d' || c2.output.kind !== 'requantize') throw new Error('layer 2 is a requantized conv');
      l.a.quant = c2.output.output;
    }, /layers\[4\] \(.*\): one operand must be the previous layer \(from 3\); got 2 and 1/);
    // two convolutions reading the same tensor (no QLinearAdd joins them): refused naming the node
    const g = new Graph();
    const q = g.node('QuantizeLinear', ['input', g.init('xs', DT.FLOAT, [], [0.05]), g.init('xz', DT.UINT8, [], [0])]);
    const conv = (x: string, k: string) => g.node('QLinearConv', [x, 'xs', 'xz', g.init(`w${k}`, DT.INT8, [1, 1, 1, 1], [3]), g.init(`ws${k}`, DT.FLOAT, [], [0.1]), g.init(`wz${k}`, DT.INT8, [], [0]), 'xs', 'xz']);
    conv(q, '1');
    const c2 = conv(q, '2');
    expect(() => importOnnx(g.model('branch', 'input', [1, 4, 4], c2, DT.UINT8, [1, 4, 4]))).toThrow(/node qlinearconv_\d+ \(QLinearConv\): input quantizelinear_\d+ is the output of layer 0, not of the last one \(1\); lowbit imports a chain whose only branches are QLinearAdd \(or QDQ Add\) skip connections$/);
  });
});
