/**
 * The one generator of lowbit's embedded WebAssembly: compiles each kernel module's WAT text (built by
 * its TypeScript generator) with `watToWasm` and rewrites the module's `*_BASE64` constant, so loading
 * is synchronous. Run after changing a WAT generator: `npx tsx src/kernels/build_wasm.ts`. The unit tests
 * (`gemm_kernels.test.ts`, `train_gemm.test.ts`) fail while an embedded binary differs from its WAT.
 *   gemm_wat.ts      GEMM_WAT -> GEMM_WASM_BASE64: integer (i16 lanes, i32/i64 accumulators) and XNOR GEMMs
 *   gemm_f32_wat.ts  GEMM_F32_WAT -> GEMM_F32_WASM_BASE64: the float32 GEMM of training
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../util/fs.js';
import { GEMM_F32_WAT } from './gemm_f32_wat.js';
import { GEMM_WAT } from './gemm_wat.js';
import { watToWasm } from './wasm.js';

const WASM_MODULES: readonly { file: string; wat: string; constant: string }[] = [
  { file: 'gemm_wat.ts', wat: GEMM_WAT, constant: 'GEMM_WASM_BASE64' },
  { file: 'gemm_f32_wat.ts', wat: GEMM_F32_WAT, constant: 'GEMM_F32_WASM_BASE64' },
];

for (const m of WASM_MODULES) {
  const path = fileURLToPath(new URL(`./${m.file}`, import.meta.url));
  const b64 = Buffer.from(await watToWasm(m.wat, m.file.replace(/\.ts$/, '.wat'))).toString('base64');
  const pattern = new RegExp(`export const ${m.constant} =[^;]*;`);
  writeFileAtomic(path, readFileSync(path, 'utf8').replace(pattern, `export const ${m.constant} =\n  '${b64}';`));
  process.stdout.write(`${m.file}: ${b64.length} base64 characters\n`);
}
