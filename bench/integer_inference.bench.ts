/**
 * Integer reference inference benchmark: `npx tsx bench/integer_inference.bench.ts` (`--quick`: 1000 images).
 *
 * The 10,000 MNIST test images through a 784-256-256-256-10 MLP (seeded random int8 weights, uint8
 * activations, TFLite double-rounding requantization, int32 logits) with `integerInference`:
 *   - lowbit, dense layers on the WebAssembly GEMM (`kernel: 'auto'`)
 *   - lowbit, plain JS loop (`kernel: 'js'`)
 *   - reference: ONNX Runtime (onnxruntime-node, 1 thread) running the same model exported as QOperator ONNX,
 *     compared against lowbit's `onnxruntime` requant mode (outputs checked identical before timing)
 * and the same network with binary weights + bipolar thresholds (W1A1, XNOR-popcount path) and with 2-bit
 * weights + 2-bit multi-threshold activations (W2A2). Medians of interleaved runs; ratio = lowbit / reference.
 */
import ort from 'onnxruntime-node';
import { loadMnist } from '../src/data/index.js';
import { exportOnnx, integerInference, ortU8S8Saturates, type QuantizedModel } from '../src/model/index.js';
import { Rng } from '../src/util/rng.js';
import { BINARY, int, randomMlp } from '../test/unit/fixtures/model/random_models.js';

const quick = process.argv.includes('--quick');
const REPS = quick ? 3 : 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeAll(fs: (() => unknown)[]): Promise<number[]> {
  for (const f of fs) await f();
  const t: number[][] = fs.map(() => []);
  for (let r = 0; r < REPS; r++) {
    for (let i = 0; i < fs.length; i++) {
      const t0 = performance.now();
      await fs[i]!();
      t[i]!.push((performance.now() - t0) / 1000);
    }
  }
  return t.map(median);
}

const mnist = loadMnist('test');
const N = quick ? 1000 : mnist.count;
const x = new Float32Array(N * 784);
for (let i = 0; i < N * 784; i++) x[i] = mnist.images[i]! / 255;
const sizes = [784, 256, 256, 256, 10];
const fmt = (s: number) => `${s.toFixed(3)} s (${(N / s).toFixed(0)} img/s)`;

async function run(label: string, m: QuantizedModel, withOrt: boolean): Promise<void> {
  const fs: (() => unknown)[] = [() => integerInference(m, x), () => integerInference(m, x, { kernel: 'js' })];
  let session: ort.InferenceSession | undefined;
  if (withOrt) {
    session = await ort.InferenceSession.create(exportOnnx(m), { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3 });
    const feeds = { input: new ort.Tensor('float32', x, [N, 784]) };
    const ref = Array.from((await session.run(feeds))[session.outputNames[0]!]!.data as Int32Array);
    const ours = Array.from(integerInference(m, x, { requant: 'onnxruntime', u8s8Saturation: ortU8S8Saturates() }).output);
    const same = ref.every((v, i) => v === ours[i]);
    console.log(`${label}: ORT output identical to lowbit onnxruntime mode: ${same}`);
    if (!same) throw new Error('ORT and lowbit disagree; not timing');
    fs.push(() => session!.run(feeds));
  }
  const [auto, js, ortT] = await timeAll(fs);
  console.log(`${label}: lowbit wasm GEMM ${fmt(auto!)} | lowbit JS loop ${fmt(js!)}` +
    (ortT !== undefined ? ` | ONNX Runtime ${fmt(ortT)} | ratio wasm/ORT ${(auto! / ortT).toFixed(2)}, JS/ORT ${(js! / ortT).toFixed(2)}` : ''));
  await session?.release();
}

console.log(`${N} MNIST test images, MLP ${sizes.join('-')}, median of ${REPS} runs, 1 thread`);
await run('W8A8 (int8 weights, uint8 activations)', randomMlp(new Rng(1), sizes, int(8, true), int(8, false), 'multiplier-double'), true);
await run('W2A2 (multi-threshold)', randomMlp(new Rng(2), sizes, int(2, true), int(2, false), 'threshold'), false);
await run('W1A1 (XNOR, bipolar thresholds)', randomMlp(new Rng(3), sizes, BINARY, BINARY, 'bipolar'), false);
