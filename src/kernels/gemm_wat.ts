/**
 * WebAssembly SIMD128 source of the fast GEMM kernels. `GEMM_WASM_BASE64` is this text compiled by
 * `watToWasm` (wabt); it is embedded so the kernels instantiate synchronously with no wabt start-up.
 * A unit test recompiles the text and checks the bytes are identical; after editing the WAT run
 * `npx tsx src/kernels/build_wasm.ts` to refresh the embedded binary.
 *
 * gemm_i16(a, w, out, M, N, K): `out[i*N + j] = sum_k a[i*K + k] * w[j*K + k]` in i32 (wrapping mod 2^32).
 *   a: M x K i16 rows, w: N x K i16 rows (the transposed weights), out: M x N i32. Requires M % 4 == 0,
 *   N % 2 == 0, K % 8 == 0 (callers pad with zeros). A 4x2 register tile: per 8 k, 6 loads and 8
 *   `i32x4.dot_i16x8_s` (each lane adds two exact i16 x i16 products).
 *
 * gemm_i16_i64(a, w, out, M, N, K, B): the same sum, exact in i64 (out: M x N i64). Requires M % 2 == 0,
 *   N % 2 == 0, K % 8 == 0. A 2x2 tile of i32x4 dot accumulators flushed (sign-extended) into i64x2
 *   accumulators every B bytes of k (B a multiple of 16, chosen by the caller so no i32 lane can overflow:
 *   B/16 * 2 * max|a w| < 2^31; B = 16 for full 16-bit operands).
 *
 * xnor(a, w, out, M, N, bytes, nBits): `out[i*N + j] = nBits - 2 * popcount(a_i XOR w_j)`.
 *   a: M rows, w: N rows, each `bytes` bytes (a multiple of 16) with padding bits zero on both sides.
 *   A 2x2 tile; per 16 bytes `v128.xor` + `i8x16.popcnt` added into i8x16 counters (at most 8 per step),
 *   flushed every 31 steps (<= 248 < 256) by a pairwise widening add into i16x8 counters (each i16 lane
 *   gains <= 16 per step, so a row may have at most 4095 16-byte chunks). Requires M % 2 == 0, N % 2 == 0.
 */
export const GEMM_WAT = `(module
  (import "env" "memory" (memory 1))
  (func $hsum (param $v v128) (result i32)
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
      (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))
  (func (export "gemm_i16") (param $a i32) (param $w i32) (param $out i32) (param $M i32) (param $N i32) (param $K i32)
    (local $i i32) (local $j i32) (local $k i32) (local $rb i32)
    (local $pa0 i32) (local $pa1 i32) (local $pa2 i32) (local $pa3 i32) (local $pw0 i32) (local $pw1 i32) (local $po i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $x v128) (local $w0 v128) (local $w1 v128)
    (local.set $rb (i32.shl (local.get $K) (i32.const 1)))
    (if (i32.or (i32.eqz (local.get $M)) (i32.or (i32.eqz (local.get $N)) (i32.eqz (local.get $K)))) (then (return)))
    (local.set $i (i32.const 0))
    (loop $li
      (local.set $j (i32.const 0))
      (loop $lj
        (local.set $pa0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rb))))
        (local.set $pa1 (i32.add (local.get $pa0) (local.get $rb)))
        (local.set $pa2 (i32.add (local.get $pa1) (local.get $rb)))
        (local.set $pa3 (i32.add (local.get $pa2) (local.get $rb)))
        (local.set $pw0 (i32.add (local.get $w) (i32.mul (local.get $j) (local.get $rb))))
        (local.set $pw1 (i32.add (local.get $pw0) (local.get $rb)))
        (local.set $c00 (v128.const i32x4 0 0 0 0)) (local.set $c01 (v128.const i32x4 0 0 0 0))
        (local.set $c10 (v128.const i32x4 0 0 0 0)) (local.set $c11 (v128.const i32x4 0 0 0 0))
        (local.set $c20 (v128.const i32x4 0 0 0 0)) (local.set $c21 (v128.const i32x4 0 0 0 0))
        (local.set $c30 (v128.const i32x4 0 0 0 0)) (local.set $c31 (v128.const i32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (loop $lk
          (local.set $w0 (v128.load (i32.add (local.get $pw0) (local.get $k))))
          (local.set $w1 (v128.load (i32.add (local.get $pw1) (local.get $k))))
          (local.set $x (v128.load (i32.add (local.get $pa0) (local.get $k))))
          (local.set $c00 (i32x4.add (local.get $c00) (i32x4.dot_i16x8_s (local.get $x) (local.get $w0))))
          (local.set $c01 (i32x4.add (local.get $c01) (i32x4.dot_i16x8_s (local.get $x) (local.get $w1))))
          (local.set $x (v128.load (i32.add (local.get $pa1) (local.get $k))))
          (local.set $c10 (i32x4.add (local.get $c10) (i32x4.dot_i16x8_s (local.get $x) (local.get $w0))))
          (local.set $c11 (i32x4.add (local.get $c11) (i32x4.dot_i16x8_s (local.get $x) (local.get $w1))))
          (local.set $x (v128.load (i32.add (local.get $pa2) (local.get $k))))
          (local.set $c20 (i32x4.add (local.get $c20) (i32x4.dot_i16x8_s (local.get $x) (local.get $w0))))
          (local.set $c21 (i32x4.add (local.get $c21) (i32x4.dot_i16x8_s (local.get $x) (local.get $w1))))
          (local.set $x (v128.load (i32.add (local.get $pa3) (local.get $k))))
          (local.set $c30 (i32x4.add (local.get $c30) (i32x4.dot_i16x8_s (local.get $x) (local.get $w0))))
          (local.set $c31 (i32x4.add (local.get $c31) (i32x4.dot_i16x8_s (local.get $x) (local.get $w1))))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br_if $lk (i32.lt_u (local.get $k) (local.get $rb))))
        (local.set $po (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $N)) (local.get $j)) (i32.const 2))))
        (i32.store (local.get $po) (call $hsum (local.get $c00)))
        (i32.store offset=4 (local.get $po) (call $hsum (local.get $c01)))
        (local.set $po (i32.add (local.get $po) (i32.shl (local.get $N) (i32.const 2))))
        (i32.store (local.get $po) (call $hsum (local.get $c10)))
        (i32.store offset=4 (local.get $po) (call $hsum (local.get $c11)))
        (local.set $po (i32.add (local.get $po) (i32.shl (local.get $N) (i32.const 2))))
        (i32.store (local.get $po) (call $hsum (local.get $c20)))
        (i32.store offset=4 (local.get $po) (call $hsum (local.get $c21)))
        (local.set $po (i32.add (local.get $po) (i32.shl (local.get $N) (i32.const 2))))
        (i32.store (local.get $po) (call $hsum (local.get $c30)))
        (i32.store offset=4 (local.get $po) (call $hsum (local.get $c31)))
        (local.set $j (i32.add (local.get $j) (i32.const 2)))
        (br_if $lj (i32.lt_u (local.get $j) (local.get $N))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br_if $li (i32.lt_u (local.get $i) (local.get $M)))))
  (func $hsum64 (param $v v128) (result i64)
    (i64.add (i64x2.extract_lane 0 (local.get $v)) (i64x2.extract_lane 1 (local.get $v))))
  (func (export "gemm_i16_i64") (param $a i32) (param $w i32) (param $out i32) (param $M i32) (param $N i32) (param $K i32) (param $B i32)
    (local $i i32) (local $j i32) (local $k i32) (local $kEnd i32) (local $rb i32)
    (local $pa0 i32) (local $pa1 i32) (local $pw0 i32) (local $pw1 i32) (local $po i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $d00 v128) (local $d01 v128) (local $d10 v128) (local $d11 v128)
    (local $x v128) (local $w0 v128) (local $w1 v128)
    (local.set $rb (i32.shl (local.get $K) (i32.const 1)))
    (if (i32.or (i32.eqz (local.get $M)) (i32.or (i32.eqz (local.get $N)) (i32.eqz (local.get $K)))) (then (return)))
    (local.set $i (i32.const 0))
    (loop $li
      (local.set $j (i32.const 0))
      (loop $lj
        (local.set $pa0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rb))))
        (local.set $pa1 (i32.add (local.get $pa0) (local.get $rb)))
        (local.set $pw0 (i32.add (local.get $w) (i32.mul (local.get $j) (local.get $rb))))
        (local.set $pw1 (i32.add (local.get $pw0) (local.get $rb)))
        (local.set $d00 (v128.const i64x2 0 0)) (local.set $d01 (v128.const i64x2 0 0))
        (local.set $d10 (v128.const i64x2 0 0)) (local.set $d11 (v128.const i64x2 0 0))
        (local.set $k (i32.const 0))
        (loop $lb
          (local.set $c00 (v128.const i32x4 0 0 0 0)) (local.set $c01 (v128.const i32x4 0 0 0 0))
          (local.set $c10 (v128.const i32x4 0 0 0 0)) (local.set $c11 (v128.const i32x4 0 0 0 0))
          (local.set $kEnd (i32.add (local.get $k) (local.get $B)))
          (if (i32.gt_u (local.get $kEnd) (local.get $rb)) (then (local.set $kEnd (local.get $rb))))
          (loop $lk
            (local.set $w0 (v128.load (i32.add (local.get $pw0) (local.get $k))))
            (local.set $w1 (v128.load (i32.add (local.get $pw1) (local.get $k))))
            (local.set $x (v128.load (i32.add (local.get $pa0) (local.get $k))))
            (local.set $c00 (i32x4.add (local.get $c00) (i32x4.dot_i16x8_s (local.get $x) (local.get $w0))))
            (local.set $c01 (i32x4.add (local.get $c01) (i32x4.dot_i16x8_s (local.get $x) (local.get $w1))))
            (local.set $x (v128.load (i32.add (local.get $pa1) (local.get $k))))
            (local.set $c10 (i32x4.add (local.get $c10) (i32x4.dot_i16x8_s (local.get $x) (local.get $w0))))
            (local.set $c11 (i32x4.add (local.get $c11) (i32x4.dot_i16x8_s (local.get $x) (local.get $w1))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br_if $lk (i32.lt_u (local.get $k) (local.get $kEnd))))
          (local.set $d00 (i64x2.add (local.get $d00) (i64x2.add (i64x2.extend_low_i32x4_s (local.get $c00)) (i64x2.extend_high_i32x4_s (local.get $c00)))))
          (local.set $d01 (i64x2.add (local.get $d01) (i64x2.add (i64x2.extend_low_i32x4_s (local.get $c01)) (i64x2.extend_high_i32x4_s (local.get $c01)))))
          (local.set $d10 (i64x2.add (local.get $d10) (i64x2.add (i64x2.extend_low_i32x4_s (local.get $c10)) (i64x2.extend_high_i32x4_s (local.get $c10)))))
          (local.set $d11 (i64x2.add (local.get $d11) (i64x2.add (i64x2.extend_low_i32x4_s (local.get $c11)) (i64x2.extend_high_i32x4_s (local.get $c11)))))
          (br_if $lb (i32.lt_u (local.get $k) (local.get $rb))))
        (local.set $po (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $N)) (local.get $j)) (i32.const 3))))
        (i64.store (local.get $po) (call $hsum64 (local.get $d00)))
        (i64.store offset=8 (local.get $po) (call $hsum64 (local.get $d01)))
        (local.set $po (i32.add (local.get $po) (i32.shl (local.get $N) (i32.const 3))))
        (i64.store (local.get $po) (call $hsum64 (local.get $d10)))
        (i64.store offset=8 (local.get $po) (call $hsum64 (local.get $d11)))
        (local.set $j (i32.add (local.get $j) (i32.const 2)))
        (br_if $lj (i32.lt_u (local.get $j) (local.get $N))))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br_if $li (i32.lt_u (local.get $i) (local.get $M)))))
  (func (export "xnor") (param $a i32) (param $w i32) (param $out i32) (param $M i32) (param $N i32) (param $bytes i32) (param $n i32)
    (local $i i32) (local $j i32) (local $k i32) (local $kEnd i32) (local $pa0 i32) (local $pa1 i32) (local $pw0 i32) (local $pw1 i32) (local $po i32)
    (local $x0 v128) (local $x1 v128) (local $w0 v128) (local $w1 v128)
    (local $b00 v128) (local $b01 v128) (local $b10 v128) (local $b11 v128)
    (local $s00 v128) (local $s01 v128) (local $s10 v128) (local $s11 v128)
    (if (i32.or (i32.eqz (local.get $M)) (i32.or (i32.eqz (local.get $N)) (i32.eqz (local.get $bytes)))) (then (return)))
    (local.set $i (i32.const 0))
    (loop $li
      (local.set $pa0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $bytes))))
      (local.set $pa1 (i32.add (local.get $pa0) (local.get $bytes)))
      (local.set $j (i32.const 0))
      (loop $lj
        (local.set $pw0 (i32.add (local.get $w) (i32.mul (local.get $j) (local.get $bytes))))
        (local.set $pw1 (i32.add (local.get $pw0) (local.get $bytes)))
        (local.set $s00 (v128.const i32x4 0 0 0 0)) (local.set $s01 (v128.const i32x4 0 0 0 0))
        (local.set $s10 (v128.const i32x4 0 0 0 0)) (local.set $s11 (v128.const i32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (loop $lb
          (local.set $b00 (v128.const i32x4 0 0 0 0)) (local.set $b01 (v128.const i32x4 0 0 0 0))
          (local.set $b10 (v128.const i32x4 0 0 0 0)) (local.set $b11 (v128.const i32x4 0 0 0 0))
          (local.set $kEnd (i32.add (local.get $k) (i32.const 496)))
          (if (i32.gt_u (local.get $kEnd) (local.get $bytes)) (then (local.set $kEnd (local.get $bytes))))
          (loop $lk
            (local.set $x0 (v128.load (i32.add (local.get $pa0) (local.get $k))))
            (local.set $x1 (v128.load (i32.add (local.get $pa1) (local.get $k))))
            (local.set $w0 (v128.load (i32.add (local.get $pw0) (local.get $k))))
            (local.set $w1 (v128.load (i32.add (local.get $pw1) (local.get $k))))
            (local.set $b00 (i8x16.add (local.get $b00) (i8x16.popcnt (v128.xor (local.get $x0) (local.get $w0)))))
            (local.set $b01 (i8x16.add (local.get $b01) (i8x16.popcnt (v128.xor (local.get $x0) (local.get $w1)))))
            (local.set $b10 (i8x16.add (local.get $b10) (i8x16.popcnt (v128.xor (local.get $x1) (local.get $w0)))))
            (local.set $b11 (i8x16.add (local.get $b11) (i8x16.popcnt (v128.xor (local.get $x1) (local.get $w1)))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br_if $lk (i32.lt_u (local.get $k) (local.get $kEnd))))
          (local.set $s00 (i16x8.add (local.get $s00) (i16x8.extadd_pairwise_i8x16_u (local.get $b00))))
          (local.set $s01 (i16x8.add (local.get $s01) (i16x8.extadd_pairwise_i8x16_u (local.get $b01))))
          (local.set $s10 (i16x8.add (local.get $s10) (i16x8.extadd_pairwise_i8x16_u (local.get $b10))))
          (local.set $s11 (i16x8.add (local.get $s11) (i16x8.extadd_pairwise_i8x16_u (local.get $b11))))
          (br_if $lb (i32.lt_u (local.get $k) (local.get $bytes))))
        (local.set $po (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $N)) (local.get $j)) (i32.const 2))))
        (i32.store (local.get $po)
          (i32.sub (local.get $n) (i32.shl (call $hsum (i32x4.extadd_pairwise_i16x8_u (local.get $s00))) (i32.const 1))))
        (i32.store offset=4 (local.get $po)
          (i32.sub (local.get $n) (i32.shl (call $hsum (i32x4.extadd_pairwise_i16x8_u (local.get $s01))) (i32.const 1))))
        (local.set $po (i32.add (local.get $po) (i32.shl (local.get $N) (i32.const 2))))
        (i32.store (local.get $po)
          (i32.sub (local.get $n) (i32.shl (call $hsum (i32x4.extadd_pairwise_i16x8_u (local.get $s10))) (i32.const 1))))
        (i32.store offset=4 (local.get $po)
          (i32.sub (local.get $n) (i32.shl (call $hsum (i32x4.extadd_pairwise_i16x8_u (local.get $s11))) (i32.const 1))))
        (local.set $j (i32.add (local.get $j) (i32.const 2)))
        (br_if $lj (i32.lt_u (local.get $j) (local.get $N))))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br_if $li (i32.lt_u (local.get $i) (local.get $M)))))
)`;

/** `GEMM_WAT` compiled by `watToWasm`; refreshed by `npx tsx src/kernels/build_wasm.ts`. */
export const GEMM_WASM_BASE64 =
  'AGFzbQEAAAABHgRgAXsBf2AGf39/f39/AGABewF+YAd/f39/f39/AAIPAQNlbnYGbWVtb3J5AgABAwYFAAECAwMHIgMIZ2VtbV9pMTYAAQxnZW1tX2kxNl9pNjQAAwR4bm9yAAQK0A0FGQAgAP0bACAA/RsBaiAA/RsCIAD9GwNqagvTBAILfwt7IAVBAXQhCSADRSAERSAFRXJyBEAPC0EAIQYDQEEAIQcDQCAAIAYgCWxqIQogCiAJaiELIAsgCWohDCAMIAlqIQ0gASAHIAlsaiEOIA4gCWohD/0MAAAAAAAAAAAAAAAAAAAAACER/QwAAAAAAAAAAAAAAAAAAAAAIRL9DAAAAAAAAAAAAAAAAAAAAAAhE/0MAAAAAAAAAAAAAAAAAAAAACEU/QwAAAAAAAAAAAAAAAAAAAAAIRX9DAAAAAAAAAAAAAAAAAAAAAAhFv0MAAAAAAAAAAAAAAAAAAAAACEX/QwAAAAAAAAAAAAAAAAAAAAAIRhBACEIA0AgDiAIav0ABAAhGiAPIAhq/QAEACEbIAogCGr9AAQAIRkgESAZIBr9ugH9rgEhESASIBkgG/26Af2uASESIAsgCGr9AAQAIRkgEyAZIBr9ugH9rgEhEyAUIBkgG/26Af2uASEUIAwgCGr9AAQAIRkgFSAZIBr9ugH9rgEhFSAWIBkgG/26Af2uASEWIA0gCGr9AAQAIRkgFyAZIBr9ugH9rgEhFyAYIBkgG/26Af2uASEYIAhBEGohCCAIIAlJDQALIAIgBiAEbCAHakECdGohECAQIBEQADYCACAQIBIQADYCBCAQIARBAnRqIRAgECATEAA2AgAgECAUEAA2AgQgECAEQQJ0aiEQIBAgFRAANgIAIBAgFhAANgIEIBAgBEECdGohECAQIBcQADYCACAQIBgQADYCBCAHQQJqIQcgByAESQ0ACyAGQQRqIQYgBiADSQ0ACwsNACAA/R0AIAD9HQF8C6wEAgp/C3sgBUEBdCELIANFIARFIAVFcnIEQA8LQQAhBwNAQQAhCANAIAAgByALbGohDCAMIAtqIQ0gASAIIAtsaiEOIA4gC2ohD/0MAAAAAAAAAAAAAAAAAAAAACEV/QwAAAAAAAAAAAAAAAAAAAAAIRb9DAAAAAAAAAAAAAAAAAAAAAAhF/0MAAAAAAAAAAAAAAAAAAAAACEYQQAhCQNA/QwAAAAAAAAAAAAAAAAAAAAAIRH9DAAAAAAAAAAAAAAAAAAAAAAhEv0MAAAAAAAAAAAAAAAAAAAAACET/QwAAAAAAAAAAAAAAAAAAAAAIRQgCSAGaiEKIAogC0sEQCALIQoLA0AgDiAJav0ABAAhGiAPIAlq/QAEACEbIAwgCWr9AAQAIRkgESAZIBr9ugH9rgEhESASIBkgG/26Af2uASESIA0gCWr9AAQAIRkgEyAZIBr9ugH9rgEhEyAUIBkgG/26Af2uASEUIAlBEGohCSAJIApJDQALIBUgEf3HASAR/cgB/c4B/c4BIRUgFiAS/ccBIBL9yAH9zgH9zgEhFiAXIBP9xwEgE/3IAf3OAf3OASEXIBggFP3HASAU/cgB/c4B/c4BIRggCSALSQ0ACyACIAcgBGwgCGpBA3RqIRAgECAVEAI3AwAgECAWEAI3AwggECAEQQN0aiEQIBAgFxACNwMAIBAgGBACNwMIIAhBAmohCCAIIARJDQALIAdBAmohByAHIANJDQALC6IEAgl/DHsgA0UgBEUgBUVycgRADwtBACEHA0AgACAHIAVsaiELIAsgBWohDEEAIQgDQCABIAggBWxqIQ0gDSAFaiEO/QwAAAAAAAAAAAAAAAAAAAAAIRj9DAAAAAAAAAAAAAAAAAAAAAAhGf0MAAAAAAAAAAAAAAAAAAAAACEa/QwAAAAAAAAAAAAAAAAAAAAAIRtBACEJA0D9DAAAAAAAAAAAAAAAAAAAAAAhFP0MAAAAAAAAAAAAAAAAAAAAACEV/QwAAAAAAAAAAAAAAAAAAAAAIRb9DAAAAAAAAAAAAAAAAAAAAAAhFyAJQfADaiEKIAogBUsEQCAFIQoLA0AgCyAJav0ABAAhECAMIAlq/QAEACERIA0gCWr9AAQAIRIgDiAJav0ABAAhEyAUIBAgEv1R/WL9biEUIBUgECAT/VH9Yv1uIRUgFiARIBL9Uf1i/W4hFiAXIBEgE/1R/WL9biEXIAlBEGohCSAJIApJDQALIBggFP19/Y4BIRggGSAV/X39jgEhGSAaIBb9ff2OASEaIBsgF/19/Y4BIRsgCSAFSQ0ACyACIAcgBGwgCGpBAnRqIQ8gDyAGIBj9fxAAQQF0azYCACAPIAYgGf1/EABBAXRrNgIEIA8gBEECdGohDyAPIAYgGv1/EABBAXRrNgIAIA8gBiAb/X8QAEEBdGs2AgQgCEECaiEIIAggBEkNAAsgB0ECaiEHIAcgA0kNAAsL';
