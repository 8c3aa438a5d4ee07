/**
 * CNNs on the accelerator: `npx tsx bench/accel_cnn.bench.ts` (`--quick`: 200 images).
 *
 * For each shipped CNN (models/cnn-*, skipped when absent) on its Design, at batch 1 (one output pixel of
 * a conv layer at a time) and batch R (R pixels on the array rows): cycles per inference of the TS
 * accelerator model beside the analytic estimate (`lowbit estimate --model`, estimateNetwork) — equal
 * by construction and checked here — and the TS model's inferences/s on MNIST test images beside the
 * integer reference (`integerInference`, the same images), medians of interleaved runs, 1 thread.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { loadMnist } from '../src/data/index.js';
import { estimateNetwork } from '../src/estimate/network.js';
import { compileModel } from '../src/hw/accel_compile.js';
import { inferenceCycles, runAccelerator } from '../src/hw/accel_top.js';
import { loadDesign } from '../src/hw/design.js';
import { integerInference, inputQuant, loadQuantizedModel } from '../src/model/index.js';
import { quantizeInput } from '../src/model/stages.js';
import { pixelsToFloat } from '../src/quant/evaluate.js';

const quick = process.argv.includes('--quick');
const REPS = quick ? 3 : 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const flags = existsSync('/proc/cpuinfo') ? (readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '') : '';
const vec = ['sse4_2', 'avx', 'avx2', 'avx512f', 'avx512_vnni', 'avx_vnni'].filter((f) => flags.split(/\s+/).includes(f));
console.log(`CPU ${cpus()[0]?.model ?? 'unknown'}; vector extensions: ${vec.join(' ') || 'none listed'}; WebAssembly SIMD128 kernels`);

const CNNS = [
  { model: 'cnn-w4a4', design: 'int8-mnist' },
  { model: 'cnn-w2a2', design: 'int8-mnist' },
  { model: 'cnn-w1a1', design: 'binary-mnist' },
];
const root = join(import.meta.dirname, '..', 'models');
const mnist = loadMnist('test');
const N = quick ? 200 : 2000;
for (const c of CNNS) {
  const dir = join(root, c.model);
  if (!existsSync(join(dir, 'model.json'))) {
    console.log(`${c.model}: not shipped (models/${c.model} missing), skipped`);
    continue;
  }
  const m = loadQuantizedModel(dir);
  const d = loadDesign(c.design);
  const xq = new Int32Array(N * 784);
  quantizeInput(inputQuant(m)!, pixelsToFloat(mnist.images, 784, 0, N), xq);
  for (const batch of [1, d.array.rows]) {
    const p = compileModel(m, d, { batch });
    const est = estimateNetwork(m, d, { batch });
    const cyc = inferenceCycles(p);
    if (est.cycles !== cyc) throw new Error(`${c.model}: estimate ${est.cycles} != model ${cyc}`);
    const t: number[][] = [[], []];
    for (let r = 0; r < REPS; r++) {
      let t0 = performance.now();
      runAccelerator(p, xq, N);
      t[0]!.push((performance.now() - t0) / 1000);
      t0 = performance.now();
      integerInference(m, xq);
      t[1]!.push((performance.now() - t0) / 1000);
    }
    const [ts, ref] = t.map(median) as [number, number];
    console.log(`${c.model} on ${c.design}, batch ${batch}: ${cyc} cycles/inference (estimate ${est.cycles}, utilization ${(100 * est.utilization).toFixed(1)}%, ${Math.round(est.computeInferencesPerSecond)} inf/s at ${d.clockMHz} MHz) | TS model ${(N / ts).toFixed(0)} img/s vs integer reference ${(N / ref).toFixed(0)} img/s (ratio ${(ts / ref).toFixed(2)}), median of ${REPS}, ${N} images`);
  }
}
