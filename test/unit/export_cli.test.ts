import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importOnnx, integerInference, ortU8S8Saturates, saveQuantizedModel, shapeSize } from '../../src/model/index.js';
import { readNpy, writeNpy } from '../../src/util/npy.js';
import { Rng, testSeed } from '../../src/util/rng.js';
import { int, randomFloats, randomMlp } from './fixtures/model/random_models.js';
import { runOrt } from './fixtures/model/ort.js';
import { runCli } from './helpers/cli.js';
import { decodeModel, encodeModel } from '../../src/model/onnx/proto.js';

const seed = testSeed(1617);
const SAT = ortU8S8Saturates();

describe(`lowbit export --format onnx (seed ${seed})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lowbit-export-'));

  it('runs in onnxruntime-node with the outputs of lowbit infer --requant onnxruntime; re-import gives the same outputs', async () => {
    const rng = new Rng(seed);
    const m = randomMlp(rng, [24, 16, 6], int(8, true), int(8, false), 'multiplier-double');
    saveQuantizedModel(m, join(dir, 'mlp'));
    const r = await runCli(['export', '--model', join(dir, 'mlp'), '--out', join(dir, 'mlp.onnx')]);
    expect(r.code, r.err).toBe(0);
    const x = randomFloats(rng, 50 * shapeSize(m.inputShape), 3);
    writeNpy(join(dir, 'x.npy'), { data: x, shape: [50, 24] });
    const inf = await runCli(['infer', '--model', join(dir, 'mlp'), '--input', join(dir, 'x.npy'), '--requant', 'onnxruntime', '--out', join(dir, 'y.npy'),
      ...(SAT ? ['--u8s8-saturation'] : [])]);
    expect(inf.code, inf.err).toBe(0);
    const bytes = readFileSync(join(dir, 'mlp.onnx'));
    const ort = await runOrt(bytes, x, [50, 24]);
    expect(ort.data).toEqual(Array.from(readNpy(join(dir, 'y.npy')).data as Int32Array));
    const back = importOnnx(bytes);
    expect(Array.from(integerInference(back, x, { requant: 'onnxruntime', u8s8Saturation: SAT }).output)).toEqual(ort.data);
    // writing again over our own file is fine; --json prints what was written as JSON
    const again = await runCli(['export', '--model', join(dir, 'mlp'), '--out', join(dir, 'mlp.onnx'), '--json']);
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(again.out)).toEqual({ model: m.name, format: 'onnx', out: join(dir, 'mlp.onnx'), bytes: bytes.length });
  });

  it('a threshold model (Brevitas QONNX import) exports to ONNX integer ops that ONNX Runtime runs with lowbit\'s outputs', async () => {
    const src = join(__dirname, 'fixtures', 'qonnx', 'mlp_w4a4.onnx');
    const th = await runCli(['export', '--model', src, '--out', join(dir, 'th.onnx')]);
    expect(th.code, th.err).toBe(0);
    const m = importOnnx(readFileSync(src));
    const x = randomFloats(new Rng(seed + 1), 20 * shapeSize(m.inputShape), 1);
    const ort = await runOrt(readFileSync(join(dir, 'th.onnx')), x, [20, ...m.inputShape]);
    expect(ort.data).toEqual(Array.from(integerInference(m, x, { u8s8Saturation: SAT }).output));
  });

  it('the ONNX export of a threshold model imports back through `lowbit quantize --model`: lowbit infer gives the same integers', async () => {
    const src = join(__dirname, 'fixtures', 'qonnx', 'mlp_w4a4.onnx');
    const out = join(dir, 'th_rt.onnx');
    expect((await runCli(['export', '--model', src, '--out', out])).code).toBe(0);
    const q = await runCli(['quantize', '--model', out, '--out', join(dir, 'th_back')]);
    expect(q.code, q.err).toBe(0);
    const m = importOnnx(readFileSync(src));
    writeNpy(join(dir, 'thx.npy'), { data: randomFloats(new Rng(seed + 3), 20 * shapeSize(m.inputShape), 1), shape: [20, ...m.inputShape] });
    const ys = await Promise.all([src, join(dir, 'th_back')].map(async (model, k) => {
      const r = await runCli(['infer', '--model', model, '--input', join(dir, 'thx.npy'), '--out', join(dir, `thy${k}.npy`)]);
      expect(r.code, r.err).toBe(0);
      return Array.from(readNpy(join(dir, `thy${k}.npy`)).data as Int32Array);
    }));
    expect(ys[1]).toEqual(ys[0]);
    // a threshold stage without its DequantizeLinear -> QuantizeLinear pair (as exports before it had): exit 2,
    // one line naming the node
    const p = decodeModel(readFileSync(out), 'th_rt.onnx');
    const nodes = p.graph!.node!;
    const dq = nodes.find((n) => n.opType === 'DequantizeLinear' && nodes.some((c) => c.opType === 'Cast' && c.output![0] === n.input![0]))!;
    const qn = nodes.find((n) => n.input![0] === dq.output![0])!;
    for (const n of nodes) n.input = n.input!.map((t) => (t === qn.output![0] ? dq.input![0]! : t));
    p.graph!.node = nodes.filter((n) => n !== dq && n !== qn);
    writeFileSync(join(dir, 'cut.onnx'), encodeModel(p));
    const bad = await runCli(['quantize', '--model', join(dir, 'cut.onnx'), '--out', join(dir, 'cut_back')]);
    expect(bad.code).toBe(2);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
    expect(bad.err).toMatch(/node \S+ \(Cast\): its output must be read only by DequantizeLinear, not by \S+ \(Clip\); integer thresholds are read back only as `lowbit export --format onnx` writes them/);
  });

  it('a model not representable exits 2 saying why; a foreign file at --out is kept', async () => {
    const wide = randomMlp(new Rng(seed), [8, 4, 2], int(12, true), int(8, false), 'onnx');
    saveQuantizedModel(wide, join(dir, 'wide'));
    const w = await runCli(['export', '--model', join(dir, 'wide'), '--out', join(dir, 'w.onnx')]);
    expect(w.code).toBe(2);
    expect(w.err).toMatch(/format int12 has no ONNX QOperator form/);
    expect(existsSync(join(dir, 'w.onnx'))).toBe(false);
    writeFileSync(join(dir, 'notes.onnx'), 'my notes');
    const keep = await runCli(['export', '--model', join(dir, 'mlp'), '--out', join(dir, 'notes.onnx')]);
    expect(keep.code).toBe(2);
    expect(readFileSync(join(dir, 'notes.onnx'), 'utf8')).toBe('my notes');
    const fmt = await runCli(['export', '--model', join(dir, 'mlp'), '--format', 'tflite', '--out', join(dir, 'q.onnx')]);
    expect(fmt.code).toBe(2);
    expect(fmt.err).toMatch(/--format/);
  });

  it('--out must be named *.onnx and must not be the --model file (even with --force); nothing is written', async () => {
    const src = join(dir, 'src.onnx');
    expect((await runCli(['export', '--model', join(dir, 'mlp'), '--out', src])).code).toBe(0);
    const before = readFileSync(src).toString('hex');
    const txt = await runCli(['export', '--model', join(dir, 'mlp'), '--out', join(dir, 'm.txt')]);
    expect(txt.err).toBe(`lowbit: --out ${join(dir, 'm.txt')}: lowbit writes ONNX files (QONNX too); give a name ending in .onnx (e.g. ${join(dir, 'm.onnx')})\n`);
    expect(txt.code).toBe(2);
    expect(existsSync(join(dir, 'm.txt'))).toBe(false);
    const self = await runCli(['export', '--model', src, '--out', src, '--format', 'qonnx', '--force']);
    expect(self.err).toBe(`lowbit: --out ${src}: is the --model file; writing there would replace your input; choose another path\n`);
    expect(self.code).toBe(2);
    expect(readFileSync(src).toString('hex')).toBe(before);
    const upper = await runCli(['export', '--model', src, '--out', join(dir, 'SRC2.ONNX')]);
    expect(upper.code, upper.err).toBe(0);
  });

  it('--format qonnx: lowbit\'s import of the file computes the same integers as the model', async () => {
    const rng = new Rng(seed + 2);
    const m = randomMlp(rng, [24, 16, 6], int(4, true), int(4, true), 'threshold');
    (m.layers[0] as { output: { zeroPoint: number } }).output.zeroPoint = 0;
    saveQuantizedModel(m, join(dir, 'th'));
    const r = await runCli(['export', '--model', join(dir, 'th'), '--format', 'qonnx', '--out', join(dir, 'th.qonnx.onnx')]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/QONNX/);
    const x = randomFloats(rng, 30 * 24, 3);
    const back = importOnnx(readFileSync(join(dir, 'th.qonnx.onnx')));
    expect(Array.from(integerInference(back, x).output)).toEqual(Array.from(integerInference(m, x).output));
  });
});
