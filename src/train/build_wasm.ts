/**
 * Refreshes `GEMM_F32_WASM_BASE64` in gemm_wat.ts from `GEMM_F32_WAT`: `npx tsx src/train/build_wasm.ts`.
 * (The unit test `train_gemm.test.ts` fails when the two disagree.)
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../util/fs.js';
import { GEMM_F32_WAT } from './gemm_wat.js';
import { watToWasm } from '../kernels/wasm.js';

const file = fileURLToPath(new URL('./gemm_wat.ts', import.meta.url));
const b64 = Buffer.from(await watToWasm(GEMM_F32_WAT, 'gemm_f32.wat')).toString('base64');
const src = readFileSync(file, 'utf8').replace(/export const GEMM_F32_WASM_BASE64 =[^;]*;/, `export const GEMM_F32_WASM_BASE64 =\n  '${b64}';`);
writeFileAtomic(file, src);
process.stdout.write(`gemm_wat.ts: ${b64.length} base64 characters\n`);
