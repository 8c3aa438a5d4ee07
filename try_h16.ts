import { loadQuantizedModel, integerInference, dequantizeOutput } from './src/model/index.js';
import { readNpy } from './src/util/npy.js';
const x = readNpy('test/unit/fixtures/ort_static/input.npy').data as Float32Array;
for (const n of process.argv.slice(2)) {
  const m = loadQuantizedModel(`models/${n}`);
  const y = dequantizeOutput(m, integerInference(m, x).output);
  const q = readNpy(`/tmp/h16_${n}.qonnx.onnx.y.npy`).data as Float32Array;
  let same = 0, maxd = 0;
  for (let i = 0; i < y.length; i++) { if (Object.is(y[i], q[i])) same++; maxd = Math.max(maxd, Math.abs(y[i]! - q[i]!)); }
  console.log(n, same, '/', y.length, 'max diff', maxd, Array.from(y.slice(0, 3)), Array.from(q.slice(0, 3)));
}
