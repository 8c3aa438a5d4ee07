/**
 * Training throughput: the same 784-256-256-10 MLP (dense + ReLU, softmax cross-entropy, SGD lr 0.05,
 * batch 128, MNIST batches) trained by lowbit (WebAssembly SIMD GEMM and the JS kernels) and by
 * TensorFlow.js on its WebAssembly backend, side by side in one process. Prints samples/s per backend
 * (median over chunks of CHUNK batches) and the ratio to tfjs-wasm.
 *   npm install --prefix bench      (once: tfjs lives in bench/package.json, not in the main install)
 *   npx tsx bench/train.bench.ts [chunks=5] [batchesPerChunk=20]
 */
import { createRequire } from 'node:module';
import { loadMnist } from '../src/data/mnist.js';
import { batches, fullView } from '../src/data/batches.js';
import { Dense } from '../src/train/dense.js';
import { Activation } from '../src/train/activations.js';
import { Network } from '../src/train/network.js';
import { Optimizer } from '../src/train/optim.js';
import { softmaxCrossEntropy } from '../src/train/loss.js';
import { setGemmBackend } from '../src/train/gemm.js';
import { Rng } from '../src/util/rng.js';

const CHUNKS = Number(process.argv[2] ?? 5);
const PER = Number(process.argv[3] ?? 20);
const B = 128;
const data = loadMnist('train');
const order = () => batches(fullView(data), B, new Rng(1), true);

function median(a: number[]): number {
  const s = a.slice().sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)]!;
}

/** A lowbit trainer: returns a function that trains `PER` batches and gives samples/s. */
function lowbit(backend: 'wasm' | 'js'): () => Promise<number> {
  const rng = new Rng(1);
  const fp = { method: 'none' as const, bits: 32 };
  const net = new Network([784], [new Dense(784, 256, fp, true, rng), new Activation('relu', 32), new Dense(256, 256, fp, true, rng), new Activation('relu', 32), new Dense(256, 10, fp, true, rng)]);
  const opt = new Optimizer(net.params(), { name: 'sgd', lr: 0.05, momentum: 0 });
  const dz = new Float32Array(B * 10);
  const it = order();
  return async () => {
    setGemmBackend(backend);
    const t = performance.now();
    for (let i = 0; i < PER; i++) {
      const b = it.next().value!;
      opt.zeroGrad();
      const z = net.forward(b.x, B, true);
      softmaxCrossEntropy(z, b.y, B, 10, dz);
      net.backward(dz, B);
      opt.step(0.05);
    }
    const r = (PER * B) / ((performance.now() - t) / 1000);
    setGemmBackend('wasm');
    return r;
  };
}

/** The tfjs-wasm trainer (same step-function shape), or a message when tfjs is not installed. */
async function tfjs(): Promise<(() => Promise<number>) | string> {
  const req = createRequire(new URL('./package.json', import.meta.url));
  let tf: typeof import('@tensorflow/tfjs-core');
  try {
    tf = req('@tensorflow/tfjs-core');
    req('@tensorflow/tfjs-core/dist/register_all_gradients');
    req('@tensorflow/tfjs-backend-wasm');
  } catch {
    return 'tfjs not installed: npm install --prefix bench';
  }
  await tf.setBackend('wasm');
  await tf.ready();
  const init = (r: number, c: number) => tf.variable(tf.randomUniform([r, c], -Math.sqrt(6 / (r + c)), Math.sqrt(6 / (r + c)), 'float32', 1));
  const W1 = init(784, 256), W2 = init(256, 256), W3 = init(256, 10);
  const b1 = tf.variable(tf.zeros([256])), b2 = tf.variable(tf.zeros([256])), b3 = tf.variable(tf.zeros([10]));
  const vars = [W1, b1, W2, b2, W3, b3];
  const it = order();
  return async () => {
    const t = performance.now();
    for (let i = 0; i < PER; i++) {
      const b = it.next().value!;
      tf.tidy(() => {
        const x = tf.tensor2d(b.x.subarray(0, B * 784), [B, 784]);
        const y = tf.oneHot(tf.tensor1d(Int32Array.from(b.y), 'int32'), 10);
        const { grads } = tf.variableGrads(() => {
          const h1 = tf.relu(tf.add(tf.matMul(x, W1), b1));
          const h2 = tf.relu(tf.add(tf.matMul(h1, W2), b2));
          const z = tf.add(tf.matMul(h2, W3), b3);
          return tf.mean(tf.sub(tf.logSumExp(z, 1), tf.sum(tf.mul(z, y), 1))) as import('@tensorflow/tfjs-core').Scalar;
        }, vars);
        for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name]!, 0.05)));
      });
    }
    await tf.ready();
    return (PER * B) / ((performance.now() - t) / 1000);
  };
}

// Chunks interleave the three trainers, so a change in machine load affects all of them alike;
// the first chunk of each is a warm-up and is dropped.
const tfStep = await tfjs();
const runners: [string, (() => Promise<number>) | string][] = [['tfjs', tfStep], ['wasm', lowbit('wasm')], ['js', lowbit('js')]];
const rates: Record<string, number[]> = { tfjs: [], wasm: [], js: [] };
for (let c = 0; c < CHUNKS + 1; c++) {
  for (const [name, f] of runners) {
    if (typeof f === 'string') continue;
    const r = await f();
    if (c > 0) rates[name]!.push(r);
  }
}
const t: number[] | string = typeof tfStep === 'string' ? tfStep : rates.tfjs!;
const w = rates.wasm!;
const j = rates.js!;
const ref = typeof t === 'string' ? NaN : median(t);
const row = (name: string, r: number[] | string): string =>
  typeof r === 'string' ? `${name.padEnd(24)} ${r}` : `${name.padEnd(24)} ${median(r).toFixed(0).padStart(8)} samples/s   x${(median(r) / ref).toFixed(2)} vs tfjs-wasm   (chunks: ${r.map((v) => v.toFixed(0)).join(' ')})`;
process.stdout.write(`784-256-256-10 MLP, batch ${B}, SGD; median over ${CHUNKS} interleaved chunks of ${PER} batches (after one warm-up chunk)\n`);
process.stdout.write(`${row('tfjs-wasm', t)}\n${row('lowbit (wasm SIMD GEMM)', w)}\n${row('lowbit (JS kernels)', j)}\n`);
