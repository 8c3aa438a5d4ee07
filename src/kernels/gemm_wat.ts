/**
 * WebAssembly SIMD128 source of the fast GEMM kernels, generated from the register-tile shapes below (as
 * `gemm_f32_wat.ts` is). `GEMM_WASM_BASE64` is this text compiled by `watToWasm` (wabt); it is embedded so
 * the kernels instantiate synchronously with no wabt start-up. A unit test recompiles the text and checks
 * the bytes are identical; after editing a generator run `npx tsx src/kernels/build_wasm.ts` to refresh
 * the embedded binary.
 *
 * The module imports a shared memory (`memory 1 65536 shared`): the kernel threads (threads.ts) all
 * instantiate it over one WebAssembly.Memory, so operands converted once are read by every thread. Every
 * kernel takes `ldo`, the output's row stride in elements (>= N): a thread computing columns [j0, j1) of a
 * wider output passes w + j0 rows, out + j0 elements, N = j1 - j0 and the full row length as ldo.
 *
 * gemm_i16(a, w, out, M, N, K, ldo, bias): `out[i*ldo + j] = bias[j] + sum_k a[i*K + k] * w[j*K + k]` in i32
 *   (wrapping mod 2^32). a: M x K i16 rows, w: N x K i16 rows (the transposed weights), out: M rows of ldo i32,
 *   bias: N i32 (the initial values; zeros for none). Requires M % 4 == 0,
 *   N % 2 == 0, K % 8 == 0 (callers pad with zeros). A 4x2 register tile: per 8 k, 6 loads and 8
 *   `i32x4.dot_i16x8_s` (each lane adds two exact i16 x i16 products).
 *
 * gemm_i16_i64(a, w, out, M, N, K, B, ldo): the same sum, exact in i64 (out: M rows of ldo i64). Requires M % 2 == 0,
 *   N % 2 == 0, K % 8 == 0. A 2x2 tile of i32x4 dot accumulators flushed (sign-extended) into i64x2
 *   accumulators every B bytes of k (B a multiple of 16, chosen by the caller so no i32 lane can overflow:
 *   B/16 * 2 * max|a w| < 2^31; B = 16 for full 16-bit operands).
 *
 * xnor(a, w, out, M, N, bytes, nBits, ldo): `out[i*ldo + j] = nBits - 2 * popcount(a_i XOR w_j)`.
 *   a: M rows, w: N rows, each `bytes` bytes (a multiple of 16) with padding bits zero on both sides.
 *   A 2x2 tile; per 16 bytes `v128.xor` + `i8x16.popcnt` added into i8x16 counters (at most 8 per step),
 *   flushed every 31 steps (<= 248 < 256) by a pairwise widening add into i16x8 counters (each i16 lane
 *   gains <= 16 per step, so a row may have at most 4095 16-byte chunks). Requires M % 2 == 0, N % 2 == 0.
 *
 * widen_rows(src, dst, rows, K, Kp, srcRow, code): operand rows into the kernels' layout: dst row r (Kp
 *   i16, at dst + 2 r Kp) = the K values of the source row at src + r srcRow bytes, then zeros to Kp.
 *   `code` (`OPERAND_CODE`) is the source's element type: 0 int8, 1 uint8, 2 int16; 8 values per step
 *   (`v128.load8x8_s`/`_u` widen int8/uint8 to i16x8; int16 is copied), the K % 8 rest one by one.
 * pack_wt(src, dst, K, N, count, Kp, code): columns of a K x N row-major W (element type `code`) as rows:
 *   dst row r (Kp i16) = W[k][n0 + r] for k < K, then zeros, for r < count; src is the byte address of
 *   W[0][n0] (a row of W is N elements). One value per step down a column (a transposing copy).
 *
 * Every kernel walks the output in R x C register tiles: row pointers pa_r = a + (i + r) * rowBytes,
 * pw_c = w + (j + c) * rowBytes, one v128 accumulator per tile cell named `<p><r><c>`, and writes the tile
 * to out[(i + r) * ldo + j + c].
 */
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const get = (x: string): string => `(local.get $${x})`;
const set = (x: string, v: string): string => `(local.set $${x} ${v})`;
const locals = (type: string, names: string[]): string => names.map((x) => `(local $${x} ${type})`).join(' ');
const ZERO_I32X4 = '(v128.const i32x4 0 0 0 0)';
const ZERO_I64X2 = '(v128.const i64x2 0 0)';

/** An R x C register tile: its rows and columns, and the accumulator names `<p><r><c>` row by row. */
interface Tile {
  rows: number[];
  cols: number[];
}
const tile = (R: number, C: number): Tile => ({ rows: range(R), cols: range(C) });
const cells = (t: Tile, p: string): string[] => t.rows.flatMap((r) => t.cols.map((c) => `${p}${r}${c}`));
/** The pointer locals of a tile: pa_r per row, pw_c per column, po into the output. */
const pointers = (t: Tile): string[] => [...t.rows.map((r) => `pa${r}`), ...t.cols.map((c) => `pw${c}`), 'po'];

/** p_0 = base + index * stride, p_n = p_(n-1) + stride: the n row pointers of a tile. */
function rowPointers(p: string, n: number[], base: string, index: string, stride: string): string[] {
  return n.map((r) => set(`${p}${r}`, r === 0 ? `(i32.add ${get(base)} (i32.mul ${get(index)} ${get(stride)}))` : `(i32.add ${get(`${p}${r - 1}`)} ${get(stride)})`));
}

/** Stores the tile: po = out + (i*ldo + j) * size, then row r at po + r*ldo*size, column c at offset c*size. */
function storeTile(t: Tile, store: string, log2Size: number, value: (r: number, c: number) => string): string[] {
  const size = 2 ** log2Size;
  return [
    set('po', `(i32.add ${get('out')} (i32.shl (i32.add (i32.mul ${get('i')} ${get('ldo')}) ${get('j')}) (i32.const ${log2Size})))`),
    ...t.rows.flatMap((r) => [
      ...(r === 0 ? [] : [set('po', `(i32.add ${get('po')} (i32.shl ${get('ldo')} (i32.const ${log2Size})))`)]),
      ...t.cols.map((c) => `(${store}${c === 0 ? '' : ` offset=${c * size}`} ${get('po')} ${value(r, c)})`),
    ]),
  ];
}

/** One 16-byte step of an i16 dot tile: load w_c, then per row x = a_r[k] and c_rc += dot_i16x8_s(x, w_c). */
function dotStep(t: Tile): string[] {
  return [
    ...t.cols.map((c) => set(`w${c}`, `(v128.load (i32.add ${get(`pw${c}`)} ${get('k')}))`)),
    ...t.rows.flatMap((r) => [
      set('x', `(v128.load (i32.add ${get(`pa${r}`)} ${get('k')}))`),
      ...t.cols.map((c) => set(`c${r}${c}`, `(i32x4.add ${get(`c${r}${c}`)} (i32x4.dot_i16x8_s ${get('x')} ${get(`w${c}`)}))`)),
    ]),
    set('k', `(i32.add ${get('k')} (i32.const 16))`),
  ];
}

/** Returns when any of the named dimensions is 0. */
const returnIfEmpty = (m: string, n: string, k: string): string =>
  `(if (i32.or (i32.eqz ${get(m)}) (i32.or (i32.eqz ${get(n)}) (i32.eqz ${get(k)}))) (then (return)))`;
const step = (x: string, by: number): string => set(x, `(i32.add ${get(x)} (i32.const ${by}))`);
const zero = (names: string[], z: string): string => names.map((x) => set(x, z)).join(' ');
const lines = (xs: string[], indent: string): string => xs.join(`\n${indent}`);
/** The sum of the four i32 lanes; of the two i64 lanes. */
const HSUM = `(func $hsum (param $v v128) (result i32)
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
      (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))`;
const HSUM64 = `(func $hsum64 (param $v v128) (result i64)
    (i64.add (i64x2.extract_lane 0 (local.get $v)) (i64x2.extract_lane 1 (local.get $v))))`;

/**
 * The loop nest of the i16 kernels over R x C output tiles (rows of 2K bytes): per tile the row pointers,
 * then `inner` (the k loop leaving the sums in the tile's accumulators), then the tile's stores.
 */
function i16Tiles(t: Tile, inner: string[], stores: string[]): string {
  return `${set('rb', `(i32.shl ${get('K')} (i32.const 1))`)}
    ${returnIfEmpty('M', 'N', 'K')}
    ${set('i', '(i32.const 0)')}
    (loop $li
      ${set('j', '(i32.const 0)')}
      (loop $lj
        ${lines([...rowPointers('pa', t.rows, 'a', 'i', 'rb'), ...rowPointers('pw', t.cols, 'w', 'j', 'rb')], '        ')}
        ${lines(inner, '        ')}
        ${lines(stores, '        ')}
        ${step('j', t.cols.length)}
        (br_if $lj (i32.lt_u ${get('j')} ${get('N')})))
      ${step('i', t.rows.length)}
      (br_if $li (i32.lt_u ${get('i')} ${get('M')}))))`;
}

/** gemm_i16: a 4x2 tile of i32x4 dot accumulators, i32 results (wrapping). */
function gemmI16(): string {
  const t = tile(4, 2);
  const inner = [
    zero(cells(t, 'c'), ZERO_I32X4),
    set('k', '(i32.const 0)'),
    `(loop $lk
          ${lines(dotStep(t), '          ')}
          (br_if $lk (i32.lt_u ${get('k')} ${get('rb')})))`,
  ];
  // pb: the tile's first bias value, bias + 4j; output (r, c) = hsum(c_rc) + bias[j + c]
  const stores = [
    set('pb', `(i32.add ${get('bias')} (i32.shl ${get('j')} (i32.const 2)))`),
    ...storeTile(t, 'i32.store', 2, (r, c) => `(i32.add (call $hsum ${get(`c${r}${c}`)}) (i32.load${c === 0 ? '' : ` offset=${c * 4}`} ${get('pb')}))`),
  ];
  return `(func (export "gemm_i16") (param $a i32) (param $w i32) (param $out i32) (param $M i32) (param $N i32) (param $K i32) (param $ldo i32) (param $bias i32)
    ${locals('i32', ['i', 'j', 'k', 'rb', 'pb'])}
    ${locals('i32', pointers(t))}
    ${locals('v128', cells(t, 'c'))}
    ${locals('v128', ['x', ...t.cols.map((c) => `w${c}`)])}
    ${i16Tiles(t, inner, stores)}`;
}

/** gemm_i16_i64: a 2x2 tile of i32x4 dot accumulators c, flushed every B bytes into i64x2 accumulators d. */
function gemmI16I64(): string {
  const t = tile(2, 2);
  // d_rc += sext(low two lanes of c_rc) + sext(high two lanes)
  const flush = cells(t, '').map((rc) =>
    set(`d${rc}`, `(i64x2.add ${get(`d${rc}`)} (i64x2.add (i64x2.extend_low_i32x4_s ${get(`c${rc}`)}) (i64x2.extend_high_i32x4_s ${get(`c${rc}`)})))`),
  );
  const inner = [
    zero(cells(t, 'd'), ZERO_I64X2),
    set('k', '(i32.const 0)'),
    `(loop $lb
          ${zero(cells(t, 'c'), ZERO_I32X4)}
          ${set('kEnd', `(i32.add ${get('k')} ${get('B')})`)}
          (if (i32.gt_u ${get('kEnd')} ${get('rb')}) (then ${set('kEnd', get('rb'))}))
          (loop $lk
            ${lines(dotStep(t), '            ')}
            (br_if $lk (i32.lt_u ${get('k')} ${get('kEnd')})))
          ${lines(flush, '          ')}
          (br_if $lb (i32.lt_u ${get('k')} ${get('rb')})))`,
  ];
  return `(func (export "gemm_i16_i64") (param $a i32) (param $w i32) (param $out i32) (param $M i32) (param $N i32) (param $K i32) (param $B i32) (param $ldo i32)
    ${locals('i32', ['i', 'j', 'k', 'kEnd', 'rb'])}
    ${locals('i32', pointers(t))}
    ${locals('v128', cells(t, 'c'))}
    ${locals('v128', cells(t, 'd'))}
    ${locals('v128', ['x', ...t.cols.map((c) => `w${c}`)])}
    ${i16Tiles(t, inner, storeTile(t, 'i64.store', 3, (r, c) => `(call $hsum64 ${get(`d${r}${c}`)})`))}`;
}

/** i8x16 popcount steps between flushes: 31 * 8 = 248 < 256 per i8 lane. */
const XNOR_FLUSH_STEPS = 31;

/** xnor: a 2x2 tile of i8x16 popcount counters b, flushed every 31 steps into i16x8 counters s. */
function xnor(): string {
  const t = tile(2, 2);
  const count = cells(t, '').map((rc) =>
    set(`b${rc}`, `(i8x16.add ${get(`b${rc}`)} (i8x16.popcnt (v128.xor ${get(`x${rc[0]}`)} ${get(`w${rc[1]}`)})))`),
  );
  const flush = cells(t, '').map((rc) => set(`s${rc}`, `(i16x8.add ${get(`s${rc}`)} (i16x8.extadd_pairwise_i8x16_u ${get(`b${rc}`)}))`));
  // nBits - 2 * popcount, the popcount the sum of the widened i16 counters
  const dot = (r: number, c: number): string =>
    `(i32.sub ${get('n')} (i32.shl (call $hsum (i32x4.extadd_pairwise_i16x8_u ${get(`s${r}${c}`)})) (i32.const 1)))`;
  return `(func (export "xnor") (param $a i32) (param $w i32) (param $out i32) (param $M i32) (param $N i32) (param $bytes i32) (param $n i32) (param $ldo i32)
    ${locals('i32', ['i', 'j', 'k', 'kEnd', ...pointers(t)])}
    ${locals('v128', [...t.rows.map((r) => `x${r}`), ...t.cols.map((c) => `w${c}`)])}
    ${locals('v128', cells(t, 'b'))}
    ${locals('v128', cells(t, 's'))}
    ${returnIfEmpty('M', 'N', 'bytes')}
    ${set('i', '(i32.const 0)')}
    (loop $li
      ${lines(rowPointers('pa', t.rows, 'a', 'i', 'bytes'), '      ')}
      ${set('j', '(i32.const 0)')}
      (loop $lj
        ${lines(rowPointers('pw', t.cols, 'w', 'j', 'bytes'), '        ')}
        ${zero(cells(t, 's'), ZERO_I32X4)}
        ${set('k', '(i32.const 0)')}
        (loop $lb
          ${zero(cells(t, 'b'), ZERO_I32X4)}
          ${set('kEnd', `(i32.add ${get('k')} (i32.const ${XNOR_FLUSH_STEPS * 16}))`)}
          (if (i32.gt_u ${get('kEnd')} ${get('bytes')}) (then ${set('kEnd', get('bytes'))}))
          (loop $lk
            ${lines(t.rows.map((r) => set(`x${r}`, `(v128.load (i32.add ${get(`pa${r}`)} ${get('k')}))`)), '            ')}
            ${lines(t.cols.map((c) => set(`w${c}`, `(v128.load (i32.add ${get(`pw${c}`)} ${get('k')}))`)), '            ')}
            ${lines(count, '            ')}
            ${step('k', 16)}
            (br_if $lk (i32.lt_u ${get('k')} ${get('kEnd')})))
          ${lines(flush, '          ')}
          (br_if $lb (i32.lt_u ${get('k')} ${get('bytes')})))
        ${lines(storeTile(t, 'i32.store', 2, dot), '        ')}
        ${step('j', t.cols.length)}
        (br_if $lj (i32.lt_u ${get('j')} ${get('N')})))
      ${step('i', t.rows.length)}
      (br_if $li (i32.lt_u ${get('i')} ${get('M')}))))`;
}

/**
 * The element types a staged operand can have (gemm_wasm.ts copies 8-bit typed arrays as they are and
 * converts everything else to int16): per type the log2 of its size, how one value loads as i32, and how
 * 8 consecutive values load as i16x8.
 */
export const OPERAND_CODE = { int8: 0, uint8: 1, int16: 2 } as const;
const OPERAND_TYPES = [
  { code: OPERAND_CODE.int8, shift: 0, load: 'i32.load8_s', load8: 'v128.load8x8_s' },
  { code: OPERAND_CODE.uint8, shift: 0, load: 'i32.load8_u', load8: 'v128.load8x8_u' },
  { code: OPERAND_CODE.int16, shift: 1, load: 'i32.load16_s', load8: 'v128.load' },
] as const;

/** `body(type)` for the operand type `code` names, one copy per type (the branch outside the loops). */
const perType = (body: (ty: (typeof OPERAND_TYPES)[number]) => string): string =>
  OPERAND_TYPES.map((ty) => `(if (i32.eq ${get('code')} (i32.const ${ty.code})) (then\n      ${body(ty)}))`).join('\n    ');

/** i16 zeros at dst row pd from element k to Kp (the padding of a row). */
const zeroTail = `(if (i32.lt_u ${get('k')} ${get('Kp')}) (then (loop $lz
          (i32.store16 (i32.add ${get('pd')} (i32.shl ${get('k')} (i32.const 1))) (i32.const 0))
          ${step('k', 1)}
          (br_if $lz (i32.lt_u ${get('k')} ${get('Kp')})))))`;

/** widen_rows: rows of int8/uint8/int16 values into zero-padded i16 rows (see the header). */
function widenRows(): string {
  const src = (ty: (typeof OPERAND_TYPES)[number]): string => `(i32.add ${get('ps')} (i32.shl ${get('k')} (i32.const ${ty.shift})))`;
  const dst = `(i32.add ${get('pd')} (i32.shl ${get('k')} (i32.const 1)))`;
  return `(func (export "widen_rows") (param $src i32) (param $dst i32) (param $rows i32) (param $K i32) (param $Kp i32) (param $srcRow i32) (param $code i32)
    ${locals('i32', ['r', 'k', 'k8', 'ps', 'pd'])}
    (if (i32.eqz ${get('rows')}) (then (return)))
    ${set('k8', `(i32.and ${get('K')} (i32.const -8))`)}
    ${perType((ty) => `${set('r', '(i32.const 0)')}
      (loop $lr
        ${set('ps', `(i32.add ${get('src')} (i32.mul ${get('r')} ${get('srcRow')}))`)}
        ${set('pd', `(i32.add ${get('dst')} (i32.shl (i32.mul ${get('r')} ${get('Kp')}) (i32.const 1)))`)}
        ${set('k', '(i32.const 0)')}
        (if (i32.gt_u ${get('k8')} (i32.const 0)) (then (loop $l8
          (v128.store ${dst} (${ty.load8} ${src(ty)}))
          ${step('k', 8)}
          (br_if $l8 (i32.lt_u ${get('k')} ${get('k8')})))))
        (if (i32.lt_u ${get('k')} ${get('K')}) (then (loop $l1
          (i32.store16 ${dst} (${ty.load} ${src(ty)}))
          ${step('k', 1)}
          (br_if $l1 (i32.lt_u ${get('k')} ${get('K')})))))
        ${zeroTail}
        ${step('r', 1)}
        (br_if $lr (i32.lt_u ${get('r')} ${get('rows')})))`)})`;
}

/** pack_wt: `count` columns of a K x N W as zero-padded i16 rows (see the header). */
function packWT(): string {
  return `(func (export "pack_wt") (param $src i32) (param $dst i32) (param $K i32) (param $N i32) (param $count i32) (param $Kp i32) (param $code i32)
    ${locals('i32', ['r', 'k', 'ps', 'pd', 'rowBytes'])}
    (if (i32.or (i32.eqz ${get('count')}) (i32.eqz ${get('K')})) (then (return)))
    ${perType((ty) => `${set('rowBytes', `(i32.shl ${get('N')} (i32.const ${ty.shift}))`)}
      ${set('r', '(i32.const 0)')}
      (loop $lr
        ${set('ps', `(i32.add ${get('src')} (i32.shl ${get('r')} (i32.const ${ty.shift})))`)}
        ${set('pd', `(i32.add ${get('dst')} (i32.shl (i32.mul ${get('r')} ${get('Kp')}) (i32.const 1)))`)}
        ${set('k', '(i32.const 0)')}
        (loop $lk
          (i32.store16 (i32.add ${get('pd')} (i32.shl ${get('k')} (i32.const 1))) (${ty.load} ${get('ps')}))
          ${set('ps', `(i32.add ${get('ps')} ${get('rowBytes')})`)}
          ${step('k', 1)}
          (br_if $lk (i32.lt_u ${get('k')} ${get('K')})))
        ${zeroTail}
        ${step('r', 1)}
        (br_if $lr (i32.lt_u ${get('r')} ${get('count')})))`)})`;
}

export const GEMM_WAT = `(module
  (import "env" "memory" (memory 1 65536 shared))
  ${HSUM}
  ${gemmI16()}
  ${HSUM64}
  ${gemmI16I64()}
  ${xnor()}
  ${widenRows()}
  ${packWT()}
)`;

/** `GEMM_WAT` compiled by `watToWasm`; refreshed by `npx tsx src/kernels/build_wasm.ts`. */
export const GEMM_WASM_BASE64 =
  'AGFzbQEAAAABIARgAXsBf2AIf39/f39/f38AYAF7AX5gB39/f39/f38AAhIBA2VudgZtZW1vcnkCAwGAgAQDCAcAAQIBAQMDBzkFCGdlbW1faTE2AAEMZ2VtbV9pMTZfaTY0AAMEeG5vcgAECndpZGVuX3Jvd3MABQdwYWNrX3d0AAYKkBYHGQAgAP0bACAA/RsBaiAA/RsCIAD9GwNqaguNBQIMfwt7IAVBAXQhCyADRSAERSAFRXJyBEAPC0EAIQgDQEEAIQkDQCAAIAggC2xqIQ0gDSALaiEOIA4gC2ohDyAPIAtqIRAgASAJIAtsaiERIBEgC2ohEv0MAAAAAAAAAAAAAAAAAAAAACEU/QwAAAAAAAAAAAAAAAAAAAAAIRX9DAAAAAAAAAAAAAAAAAAAAAAhFv0MAAAAAAAAAAAAAAAAAAAAACEX/QwAAAAAAAAAAAAAAAAAAAAAIRj9DAAAAAAAAAAAAAAAAAAAAAAhGf0MAAAAAAAAAAAAAAAAAAAAACEa/QwAAAAAAAAAAAAAAAAAAAAAIRtBACEKA0AgESAKav0ABAAhHSASIApq/QAEACEeIA0gCmr9AAQAIRwgFCAcIB39ugH9rgEhFCAVIBwgHv26Af2uASEVIA4gCmr9AAQAIRwgFiAcIB39ugH9rgEhFiAXIBwgHv26Af2uASEXIA8gCmr9AAQAIRwgGCAcIB39ugH9rgEhGCAZIBwgHv26Af2uASEZIBAgCmr9AAQAIRwgGiAcIB39ugH9rgEhGiAbIBwgHv26Af2uASEbIApBEGohCiAKIAtJDQALIAcgCUECdGohDCACIAggBmwgCWpBAnRqIRMgEyAUEAAgDCgCAGo2AgAgEyAVEAAgDCgCBGo2AgQgEyAGQQJ0aiETIBMgFhAAIAwoAgBqNgIAIBMgFxAAIAwoAgRqNgIEIBMgBkECdGohEyATIBgQACAMKAIAajYCACATIBkQACAMKAIEajYCBCATIAZBAnRqIRMgEyAaEAAgDCgCAGo2AgAgEyAbEAAgDCgCBGo2AgQgCUECaiEJIAkgBEkNAAsgCEEEaiEIIAggA0kNAAsLDQAgAP0dACAA/R0BfAusBAIKfwt7IAVBAXQhDCADRSAERSAFRXJyBEAPC0EAIQgDQEEAIQkDQCAAIAggDGxqIQ0gDSAMaiEOIAEgCSAMbGohDyAPIAxqIRD9DAAAAAAAAAAAAAAAAAAAAAAhFv0MAAAAAAAAAAAAAAAAAAAAACEX/QwAAAAAAAAAAAAAAAAAAAAAIRj9DAAAAAAAAAAAAAAAAAAAAAAhGUEAIQoDQP0MAAAAAAAAAAAAAAAAAAAAACES/QwAAAAAAAAAAAAAAAAAAAAAIRP9DAAAAAAAAAAAAAAAAAAAAAAhFP0MAAAAAAAAAAAAAAAAAAAAACEVIAogBmohCyALIAxLBEAgDCELCwNAIA8gCmr9AAQAIRsgECAKav0ABAAhHCANIApq/QAEACEaIBIgGiAb/boB/a4BIRIgEyAaIBz9ugH9rgEhEyAOIApq/QAEACEaIBQgGiAb/boB/a4BIRQgFSAaIBz9ugH9rgEhFSAKQRBqIQogCiALSQ0ACyAWIBL9xwEgEv3IAf3OAf3OASEWIBcgE/3HASAT/cgB/c4B/c4BIRcgGCAU/ccBIBT9yAH9zgH9zgEhGCAZIBX9xwEgFf3IAf3OAf3OASEZIAogDEkNAAsgAiAIIAdsIAlqQQN0aiERIBEgFhACNwMAIBEgFxACNwMIIBEgB0EDdGohESARIBgQAjcDACARIBkQAjcDCCAJQQJqIQkgCSAESQ0ACyAIQQJqIQggCCADSQ0ACwuiBAIJfwx7IANFIARFIAVFcnIEQA8LQQAhCANAIAAgCCAFbGohDCAMIAVqIQ1BACEJA0AgASAJIAVsaiEOIA4gBWohD/0MAAAAAAAAAAAAAAAAAAAAACEZ/QwAAAAAAAAAAAAAAAAAAAAAIRr9DAAAAAAAAAAAAAAAAAAAAAAhG/0MAAAAAAAAAAAAAAAAAAAAACEcQQAhCgNA/QwAAAAAAAAAAAAAAAAAAAAAIRX9DAAAAAAAAAAAAAAAAAAAAAAhFv0MAAAAAAAAAAAAAAAAAAAAACEX/QwAAAAAAAAAAAAAAAAAAAAAIRggCkHwA2ohCyALIAVLBEAgBSELCwNAIAwgCmr9AAQAIREgDSAKav0ABAAhEiAOIApq/QAEACETIA8gCmr9AAQAIRQgFSARIBP9Uf1i/W4hFSAWIBEgFP1R/WL9biEWIBcgEiAT/VH9Yv1uIRcgGCASIBT9Uf1i/W4hGCAKQRBqIQogCiALSQ0ACyAZIBX9ff2OASEZIBogFv19/Y4BIRogGyAX/X39jgEhGyAcIBj9ff2OASEcIAogBUkNAAsgAiAIIAdsIAlqQQJ0aiEQIBAgBiAZ/X8QAEEBdGs2AgAgECAGIBr9fxAAQQF0azYCBCAQIAdBAnRqIRAgECAGIBv9fxAAQQF0azYCACAQIAYgHP1/EABBAXRrNgIEIAlBAmohCSAJIARJDQALIAhBAmohCCAIIANJDQALC8wEAQV/IAJFBEAPCyADQXhxIQkgBkEARgRAQQAhBwNAIAAgByAFbGohCiABIAcgBGxBAXRqIQtBACEIIAlBAEsEQANAIAsgCEEBdGogCiAIQQB0av0BAwD9CwQAIAhBCGohCCAIIAlJDQALCyAIIANJBEADQCALIAhBAXRqIAogCEEAdGosAAA7AQAgCEEBaiEIIAggA0kNAAsLIAggBEkEQANAIAsgCEEBdGpBADsBACAIQQFqIQggCCAESQ0ACwsgB0EBaiEHIAcgAkkNAAsLIAZBAUYEQEEAIQcDQCAAIAcgBWxqIQogASAHIARsQQF0aiELQQAhCCAJQQBLBEADQCALIAhBAXRqIAogCEEAdGr9AgMA/QsEACAIQQhqIQggCCAJSQ0ACwsgCCADSQRAA0AgCyAIQQF0aiAKIAhBAHRqLQAAOwEAIAhBAWohCCAIIANJDQALCyAIIARJBEADQCALIAhBAXRqQQA7AQAgCEEBaiEIIAggBEkNAAsLIAdBAWohByAHIAJJDQALCyAGQQJGBEBBACEHA0AgACAHIAVsaiEKIAEgByAEbEEBdGohC0EAIQggCUEASwRAA0AgCyAIQQF0aiAKIAhBAXRq/QAEAP0LBAAgCEEIaiEIIAggCUkNAAsLIAggA0kEQANAIAsgCEEBdGogCiAIQQF0ai4BADsBACAIQQFqIQggCCADSQ0ACwsgCCAESQRAA0AgCyAIQQF0akEAOwEAIAhBAWohCCAIIARJDQALCyAHQQFqIQcgByACSQ0ACwsLtgMBBX8gBEUgAkVyBEAPCyAGQQBGBEAgA0EAdCELQQAhBwNAIAAgB0EAdGohCSABIAcgBWxBAXRqIQpBACEIA0AgCiAIQQF0aiAJLAAAOwEAIAkgC2ohCSAIQQFqIQggCCACSQ0ACyAIIAVJBEADQCAKIAhBAXRqQQA7AQAgCEEBaiEIIAggBUkNAAsLIAdBAWohByAHIARJDQALCyAGQQFGBEAgA0EAdCELQQAhBwNAIAAgB0EAdGohCSABIAcgBWxBAXRqIQpBACEIA0AgCiAIQQF0aiAJLQAAOwEAIAkgC2ohCSAIQQFqIQggCCACSQ0ACyAIIAVJBEADQCAKIAhBAXRqQQA7AQAgCEEBaiEIIAggBUkNAAsLIAdBAWohByAHIARJDQALCyAGQQJGBEAgA0EBdCELQQAhBwNAIAAgB0EBdGohCSABIAcgBWxBAXRqIQpBACEIA0AgCiAIQQF0aiAJLgEAOwEAIAkgC2ohCSAIQQFqIQggCCACSQ0ACyAIIAVJBEADQCAKIAhBAXRqQQA7AQAgCEEBaiEIIAggBUkNAAsLIAdBAWohByAHIARJDQALCws=';
