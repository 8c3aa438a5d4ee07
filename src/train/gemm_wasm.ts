/**
 * JS side of the SIMD float32 GEMM (src/kernels/gemm_f32_wat.ts): one lazily created instance; operands are copied into
 * its memory zero-padded to the kernel's tile (rows to 4, columns to 2, reduction to 4), the result copied
 * out. `c[r*m + s] = sum_j a[r*k + j] * b[s*k + j]`.
 */
import { GEMM_F32_WASM_BASE64 } from '../kernels/gemm_f32_wat.js';
import { instantiateWasmSync, type WasmKernel } from '../kernels/wasm.js';

interface Exports {
  gemm_nt(a: number, b: number, c: number, n: number, m: number, k: number): void;
}

let kernel: WasmKernel<Exports> | undefined;
const up = (x: number, q: number): number => Math.ceil(x / q) * q;

function instance(): WasmKernel<Exports> {
  kernel ??= instantiateWasmSync<Exports>(new Uint8Array(Buffer.from(GEMM_F32_WASM_BASE64, 'base64')), 16);
  return kernel;
}

/** Copies `rows` rows of `cols` floats (source stride `cols`) into `dst` at stride `stride`, zero-padded. */
function copyPadded(src: Float32Array, rows: number, cols: number, dst: Float32Array, off: number, prows: number, stride: number): void {
  if (stride === cols) dst.set(src.subarray(0, rows * cols), off);
  else for (let r = 0; r < rows; r++) {
    dst.set(src.subarray(r * cols, (r + 1) * cols), off + r * stride);
    dst.fill(0, off + r * stride + cols, off + (r + 1) * stride);
  }
  dst.fill(0, off + rows * stride, off + prows * stride);
}

export function wasmGemmNT(a: Float32Array, b: Float32Array, n: number, m: number, k: number, c: Float32Array): void {
  const inst = instance();
  const np = up(n, 4);
  const mp = up(m, 2);
  const kp = up(k, 4);
  const aOff = 0;
  const bOff = np * kp;
  const cOff = bOff + mp * kp;
  inst.ensureBytes((cOff + np * mp) * 4);
  const mem = new Float32Array(inst.memory.buffer);
  copyPadded(a, n, k, mem, aOff, np, kp);
  copyPadded(b, m, k, mem, bOff, mp, kp);
  inst.exports.gemm_nt(aOff * 4, bOff * 4, cOff * 4, np, mp, kp);
  if (mp === m) c.set(mem.subarray(cOff, cOff + n * m));
  else for (let r = 0; r < n; r++) c.set(mem.subarray(cOff + r * mp, cOff + r * mp + m), r * m);
}
