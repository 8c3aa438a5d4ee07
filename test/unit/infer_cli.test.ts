import { describe, it, expect, vi, afterEach } from 'vitest';
import { mkdtempSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, testSeed } from '../../src/util/rng.js';
import { readNpy, writeNpy } from '../../src/util/npy.js';
import { argmaxRowsInt, exportOnnx, integerInference, saveQuantizedModel } from '../../src/model/index.js';
import { int, randomCnn, randomFloats, randomMlp } from './fixtures/model/random_models.js';
import { runCli as run } from './helpers/cli.js';

const seed = testSeed(5606);

afterEach(() => vi.restoreAllMocks());

describe(`lowbit infer (seed ${seed})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lowbit-infer-'));
  const rng = new Rng(seed);
  const m = randomMlp(rng, [20, 12, 4], int(8, true), int(8, false), 'multiplier-double');
  saveQuantizedModel(m, join(dir, 'mlp'));
  const x = randomFloats(rng, 30 * 20, 2);
  writeNpy(join(dir, 'x.npy'), { data: x, shape: [30, 20] });

  it('float input: writes int32 outputs equal to integerInference, prints JSON', async () => {
    const r = await run(['infer', '--model', join(dir, 'mlp'), '--input', join(dir, 'x.npy'), '--out', join(dir, 'y.npy'), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ model: 'random-mlp', samples: 30, outputShape: [4], requant: 'fixed' });
    const y = readNpy(join(dir, 'y.npy'));
    expect(y.dtype).toBe('int32');
    expect(y.shape).toEqual([30, 4]);
    const want = integerInference(m, x);
    expect(y.data).toEqual(want.output);
    expect(j.argmaxFirst).toEqual(Array.from(argmaxRowsInt(want.output, 4).subarray(0, 20)));
  });

  it('integer input, onnxruntime requant, labels -> accuracy; text output', async () => {
    const q = new Uint8Array(30 * 20).map(() => rng.int(0, 255));
    writeNpy(join(dir, 'q.npy'), { data: q, shape: [30, 20] });
    const want = integerInference(m, Int32Array.from(q), { requant: 'onnxruntime' });
    const pred = argmaxRowsInt(want.output, 4);
    const labels = Int32Array.from(pred, (p, i) => (i < 24 ? p : (p + 1) % 4)); // 24 of 30 right
    writeNpy(join(dir, 'labels.npy'), { data: labels, shape: [30] });
    const r = await run(['infer', '--model', join(dir, 'mlp'), '--input', join(dir, 'q.npy'), '--requant', 'onnxruntime', '--labels', join(dir, 'labels.npy')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/30 samples \(uint8 \(already quantized\)\), output \[30, 4\], requant onnxruntime/);
    expect(r.out).toMatch(/top-1 accuracy: 80\.00% \(24\/30\)/);
  });

  it('runs a quantized .onnx file directly (CNN, [N, C, H, W] input)', async () => {
    const c = randomCnn(rng, 1, 8, 8, int(8, true), int(8, false), 'onnx');
    for (const l of c.layers) if (l.kind === 'conv2d') l.weight.zeroPoint = [l.weight.zeroPoint[0]!];
    writeFileSync(join(dir, 'cnn.onnx'), exportOnnx(c));
    const xc = randomFloats(rng, 5 * 64, 2);
    writeNpy(join(dir, 'xc.npy'), { data: xc, shape: [5, 1, 8, 8] });
    const r = await run(['infer', '--model', join(dir, 'cnn.onnx'), '--input', join(dir, 'xc.npy'), '--requant', 'onnxruntime', '--out', join(dir, 'yc.npy')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^model cnn: 5 samples/); // an .onnx file is named after the file
    expect(readNpy(join(dir, 'yc.npy')).data).toEqual(integerInference(c, xc, { requant: 'onnxruntime' }).output);
  });

  it("--dequantize: float32 outputs equal ONNX Runtime's to the bit (quantize_static MLP, NumPy float64 input, int64 labels)", async () => {
    const fx = join(__dirname, 'fixtures', 'ort_static');
    const r = await run(['infer', '--model', join(fx, 'mlp_qop_pc.onnx'), '--input', join(fx, 'input_f64.npy'), '--labels', join(fx, 'labels.npy'),
      '--requant', 'onnxruntime', '--dequantize', '--out', join(dir, 'logits.npy')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/8 samples \(float64 \(quantized by the model\)\)/);
    expect(r.out).toMatch(/top-1 accuracy: 100\.00% \(8\/8\)/);
    expect(r.out).toMatch(/logits\.npy \(float32, dequantized\)/);
    const y = readNpy(join(dir, 'logits.npy'));
    const ort = readNpy(join(fx, 'mlp_qop_pc.ort.npy'));
    expect([y.dtype, y.shape]).toEqual(['float32', [8, 10]]);
    expect(new Uint32Array((y.data as Float32Array).buffer)).toEqual(new Uint32Array((ort.data as Float32Array).buffer));
    writeNpy(join(dir, 'badlab.npy'), { data: BigInt64Array.from([7n, 2n, 1n, 0n, 4n, 1n, 4n, 10n]), shape: [8] });
    const bad = await run(['infer', '--model', join(fx, 'mlp_qop_pc.onnx'), '--input', join(fx, 'input_f64.npy'), '--labels', join(dir, 'badlab.npy')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/badlab\.npy\[7\]: 10 is not a label 0\.\.9/);
  });

  it('bad input: exit 2 with the file and the problem named, no output left behind', async () => {
    writeNpy(join(dir, 'bad.npy'), { data: new Float32Array(30 * 21), shape: [30, 21] });
    let r = await run(['infer', '--model', join(dir, 'mlp'), '--input', join(dir, 'bad.npy'), '--out', join(dir, 'never.npy')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad\.npy: shape: got "\(30, 21\)"; allowed: \[N, 20\]/);
    expect(existsSync(join(dir, 'never.npy'))).toBe(false);
    r = await run(['infer', '--model', join(dir, 'nope'), '--input', join(dir, 'x.npy')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/nope: no such file or folder, and no shipped model of that name/);
    const q = new Int32Array(30 * 20).fill(300);
    writeNpy(join(dir, 'big.npy'), { data: q, shape: [30, 20] });
    r = await run(['infer', '--model', join(dir, 'mlp'), '--input', join(dir, 'big.npy')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/input\[0\]: got 300; allowed: an integer in the input format uint8/);
    r = await run(['infer', '--model', join(dir, 'mlp'), '--input', join(dir, 'x.npy'), '--requant', 'float']);
    expect(r.code).toBe(2);
  });

  it('--out is a .npy name that is not an input: y.txt, --out = --input, --out = --labels are refused (even with --force), the files kept', async () => {
    const bytes = (p: string) => readFileSync(p).toString('hex');
    writeFileSync(join(dir, 'notes.txt'), 'my notes\n');
    writeNpy(join(dir, 'lab.npy'), { data: new Int32Array(30), shape: [30] });
    const before = { x: bytes(join(dir, 'x.npy')), lab: bytes(join(dir, 'lab.npy')) };
    const cases: [string[], string][] = [
      [['--out', join(dir, 'y.txt')], `--out ${join(dir, 'y.txt')}: lowbit writes NumPy .npy files; give a name ending in .npy (e.g. ${join(dir, 'y.npy')})`],
      [['--out', join(dir, 'notes.txt'), '--force'], 'give a name ending in .npy (e.g. '],
      [['--out', join(dir, 'y')], `give a name ending in .npy (e.g. ${join(dir, 'y.npy')})`],
      [['--out', dir], `--out ${dir}: is a folder; give a file name ending in .npy (e.g. ${join(dir, 'out.npy')})`],
      [['--out', join(dir, 'new.npy') + '/'], `--out ${join(dir, 'new.npy')}/: is a folder; give a file name ending in .npy`],
      [['--out', ''], '--out: empty; give a file name ending in .npy'],
      [['--out', join(dir, 'x.npy'), '--force'], `--out ${join(dir, 'x.npy')}: is the --input file; writing there would replace your input; choose another path`],
      [['--out', join(dir, '.', 'lab.npy'), '--labels', join(dir, 'lab.npy')], 'is the --labels file'],
    ];
    for (const [extra, msg] of cases) {
      const r = await run(['infer', '--model', join(dir, 'mlp'), '--input', join(dir, 'x.npy'), ...extra]);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.err).toContain(msg);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
    expect(existsSync(join(dir, 'y.txt')) || existsSync(join(dir, 'y')) || existsSync(join(dir, 'new.npy'))).toBe(false);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('my notes\n');
    expect({ x: bytes(join(dir, 'x.npy')), lab: bytes(join(dir, 'lab.npy')) }).toEqual(before);
    // the extension is matched without case; a .npy written before is replaced
    const r = await run(['infer', '--model', join(dir, 'mlp'), '--input', join(dir, 'x.npy'), '--out', join(dir, 'Y.NPY')]);
    expect(r.code, r.err).toBe(0);
    expect(readNpy(join(dir, 'Y.NPY')).data).toEqual(integerInference(m, x).output);
    // one sample (a 1-D array): "1 sample"
    writeNpy(join(dir, 'one.npy'), { data: x.subarray(0, 20), shape: [20] });
    const one = await run(['infer', '--model', join(dir, 'mlp'), '--input', join(dir, 'one.npy')]);
    expect(one.out).toMatch(/^model random-mlp: 1 sample \(float32 \(quantized by the model\)\), output \[1, 4\]/);
  });
});
