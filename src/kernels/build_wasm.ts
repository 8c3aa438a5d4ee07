/**
 * Refreshes `GEMM_WASM_BASE64` in gemm_wat.ts from `GEMM_WAT`: `npx tsx src/kernels/build_wasm.ts`.
 * (The unit test `gemm_kernels.test.ts` fails when the two disagree.)
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../util/fs.js';
import { GEMM_WAT } from './gemm_wat.js';
import { watToWasm } from './wasm.js';

const file = fileURLToPath(new URL('./gemm_wat.ts', import.meta.url));
const b64 = Buffer.from(await watToWasm(GEMM_WAT, 'gemm.wat')).toString('base64');
const src = readFileSync(file, 'utf8').replace(/export const GEMM_WASM_BASE64 =[^;]*;/, `export const GEMM_WASM_BASE64 =\n  '${b64}';`);
writeFileAtomic(file, src);
process.stdout.write(`gemm_wat.ts: ${b64.length} base64 characters\n`);
