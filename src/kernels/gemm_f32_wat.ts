/**
 * WebAssembly SIMD128 float32 GEMM for training: `c[r][s] = sum_j a[r][j] * b[s][j]` (both operands
 * row-major with the reduction dimension contiguous, "NT"). Register tile 4 rows x 2 columns = eight
 * f32x4 accumulators; each lane j%4 accumulates its own partial sum, the four lanes are added as
 * (l0 + l1) + (l2 + l3) at the end. Requires n % 4 == 0, m % 2 == 0, k % 4 == 0 (the JS side pads with
 * zeros). Byte offsets; row strides 4k (a, b) and 4m (c).
 *
 * `GEMM_F32_WASM_BASE64` is the compiled binary (so loading is synchronous); regenerate it with
 * `npx tsx src/kernels/build_wasm.ts` (the one WebAssembly generator); a unit test fails when it is stale.
 */
const acc = (i: number, j: number): string => `$c${i}${j}`;
const rows = [0, 1, 2, 3];
const cols = [0, 1];

export const GEMM_F32_WAT = `(module
  (import "env" "memory" (memory 1))
  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))
  (func (export "gemm_nt") (param $a i32) (param $b i32) (param $c i32) (param $n i32) (param $m i32) (param $k i32)
    (local $r i32) (local $s i32) (local $j i32) (local $kb i32) (local $cp i32)
    ${rows.map((i) => `(local $a${i} i32)`).join(' ')} (local $b0 i32) (local $b1 i32)
    ${rows.map((i) => `(local $x${i} v128)`).join(' ')} (local $w0 v128) (local $w1 v128)
    ${rows.flatMap((i) => cols.map((j) => `(local ${acc(i, j)} v128)`)).join(' ')}
    (local.set $kb (i32.shl (local.get $k) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $rdone (loop $rloop
      (br_if $rdone (i32.ge_u (local.get $r) (local.get $n)))
      (local.set $a0 (i32.add (local.get $a) (i32.mul (local.get $r) (local.get $kb))))
      (local.set $a1 (i32.add (local.get $a0) (local.get $kb)))
      (local.set $a2 (i32.add (local.get $a1) (local.get $kb)))
      (local.set $a3 (i32.add (local.get $a2) (local.get $kb)))
      (local.set $s (i32.const 0))
      (block $sdone (loop $sloop
        (br_if $sdone (i32.ge_u (local.get $s) (local.get $m)))
        (local.set $b0 (i32.add (local.get $b) (i32.mul (local.get $s) (local.get $kb))))
        (local.set $b1 (i32.add (local.get $b0) (local.get $kb)))
        ${rows.flatMap((i) => cols.map((j) => `(local.set ${acc(i, j)} (v128.const i32x4 0 0 0 0))`)).join('\n        ')}
        (local.set $j (i32.const 0))
        (block $kdone (loop $kloop
          (br_if $kdone (i32.ge_u (local.get $j) (local.get $kb)))
          (local.set $w0 (v128.load (i32.add (local.get $b0) (local.get $j))))
          (local.set $w1 (v128.load (i32.add (local.get $b1) (local.get $j))))
          ${rows
            .map(
              (i) => `(local.set $x${i} (v128.load (i32.add (local.get $a${i}) (local.get $j))))
          ${cols.map((j) => `(local.set ${acc(i, j)} (f32x4.add (local.get ${acc(i, j)}) (f32x4.mul (local.get $x${i}) (local.get $w${j}))))`).join('\n          ')}`,
            )
            .join('\n          ')}
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br $kloop)))
        ${rows
          .map(
            (i) => `(local.set $cp (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (i32.add (local.get $r) (i32.const ${i})) (local.get $m)) (local.get $s)) (i32.const 2))))
        ${cols.map((j) => `(f32.store offset=${4 * j} (local.get $cp) (call $hsum (local.get ${acc(i, j)})))`).join('\n        ')}`,
          )
          .join('\n        ')}
        (local.set $s (i32.add (local.get $s) (i32.const 2)))
        (br $sloop)))
      (local.set $r (i32.add (local.get $r) (i32.const 4)))
      (br $rloop)))))
`;

export const GEMM_F32_WASM_BASE64 =
  'AGFzbQEAAAABDwJgAXsBfWAGf39/f39/AAIPAQNlbnYGbWVtb3J5AgABAwMCAAEHCwEHZ2VtbV9udAABCo4FAhkAIAD9HwAgAP0fAZIgAP0fAiAA/R8DkpIL8QQCC38OeyAFQQJ0IQlBACEGAkADQCAGIANPDQEgACAGIAlsaiELIAsgCWohDCAMIAlqIQ0gDSAJaiEOQQAhBwJAA0AgByAETw0BIAEgByAJbGohDyAPIAlqIRD9DAAAAAAAAAAAAAAAAAAAAAAhF/0MAAAAAAAAAAAAAAAAAAAAACEY/QwAAAAAAAAAAAAAAAAAAAAAIRn9DAAAAAAAAAAAAAAAAAAAAAAhGv0MAAAAAAAAAAAAAAAAAAAAACEb/QwAAAAAAAAAAAAAAAAAAAAAIRz9DAAAAAAAAAAAAAAAAAAAAAAhHf0MAAAAAAAAAAAAAAAAAAAAACEeQQAhCAJAA0AgCCAJTw0BIA8gCGr9AAQAIRUgECAIav0ABAAhFiALIAhq/QAEACERIBcgESAV/eYB/eQBIRcgGCARIBb95gH95AEhGCAMIAhq/QAEACESIBkgEiAV/eYB/eQBIRkgGiASIBb95gH95AEhGiANIAhq/QAEACETIBsgEyAV/eYB/eQBIRsgHCATIBb95gH95AEhHCAOIAhq/QAEACEUIB0gFCAV/eYB/eQBIR0gHiAUIBb95gH95AEhHiAIQRBqIQgMAAsLIAIgBkEAaiAEbCAHakECdGohCiAKIBcQADgCACAKIBgQADgCBCACIAZBAWogBGwgB2pBAnRqIQogCiAZEAA4AgAgCiAaEAA4AgQgAiAGQQJqIARsIAdqQQJ0aiEKIAogGxAAOAIAIAogHBAAOAIEIAIgBkEDaiAEbCAHakECdGohCiAKIB0QADgCACAKIB4QADgCBCAHQQJqIQcMAAsLIAZBBGohBgwACwsL';
