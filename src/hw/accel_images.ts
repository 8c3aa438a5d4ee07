import { join } from 'node:path';
import { formatBits } from '../arith/format.js';
import { writeFileAtomic } from '../util/fs.js';
import { DESCRIPTOR_FIELDS, descriptor, geometry, type AccelLayer, type AccelProgram } from './accel_program.js';
import { peWeights } from './pe_kind.js';

/**
 * The accelerator's memory images — the `$readmemh` files `hdl/accel_top.sv` loads at time 0:
 *   prog.hex  one descriptor per layer, DESCRIPTOR_FIELDS x 32 bits (field 0 in the low bits);
 *   wmem.hex  weight words of `wordBits` bits (layout below);
 *   bmem.hex, mmem.hex, smem.hex, tmem.hex  one row per parameter group (a mac fold, or an xnor/serial
 *             output): C lanes of bias' (32 bits), multiplier (32), shift (6, two's complement; unsigned 0..63 in shift mode) and
 *             `steps` thresholds (32 each, lane c threshold t at bits (c*steps + t)*32); xnor/serial
 *             groups use lane 0 only;
 *   gmem.hex  (a Design with accumulator.group only) the group multipliers: row gBase + f*P + j of a layer
 *             with per-group weight scales holds fold f's weight group j, lane c = m[f*C + c][j] as an
 *             unsigned multiplierBits-bit field (0 past N); P = the layer's weight groups per patch.
 * Weight words, element/lane 0 in the least significant bits:
 *   mac     word wBase + f*K + k, lane c (vBits wide, two's complement) = w'[f*C + c][k] (0 past N); on the
 *           shift PE (array.pe "shift") the lane is the weight's power-of-two code {nz, neg, e} instead;
 *   xnor    word wBase + n*Wd + i*S + s (kernel row i, segment s of S = ceil(kw*C/L)), bit e =
 *           (w'[n][i*kw*C + s*L + e] == +1) (0 past the row's kw*C elements); a dense layer has one row;
 *   serial  word wBase + (n*Bw + b)*Wd + i*S + s, bit e = bit b of that w' in Bw-bit two's complement.
 */
export interface AccelImages {
  prog: bigint[];
  wmem: bigint[];
  bmem: bigint[];
  mmem: bigint[];
  smem: bigint[];
  tmem: bigint[];
  /** present when the Design has accumulator.group */
  gmem?: bigint[];
}

/** Widths in bits of the words of each image, in the order of AccelImages' fields. */
export function imageWidths(p: AccelProgram): Record<keyof AccelImages, number> {
  const { C } = geometry(p.design);
  return {
    prog: DESCRIPTOR_FIELDS * 32, wmem: p.wordBits, bmem: C * 32, mmem: C * 32, smem: C * 6, tmem: C * p.steps * 32,
    gmem: C * (p.design.accumulator.group?.multiplierBits ?? 1),
  };
}

export function buildImages(p: AccelProgram): AccelImages {
  const { C, L, vBits } = geometry(p.design);
  const img: AccelImages = {
    prog: p.layers.map((l) => packFields(descriptor(l), 32)),
    wmem: new Array<bigint>(p.wDepth).fill(0n),
    bmem: new Array<bigint>(p.pDepth).fill(0n),
    mmem: new Array<bigint>(p.pDepth).fill(0n),
    smem: new Array<bigint>(p.pDepth).fill(0n),
    tmem: new Array<bigint>(p.pDepth).fill(0n),
  };
  const mBits = p.design.accumulator.group?.multiplierBits;
  if (mBits !== undefined) img.gmem = new Array<bigint>(p.gDepth).fill(0n);
  for (const l of p.layers) {
    // the MAC array's weight lanes: integers, or power-of-two codes on the shift PE (pe_kind.ts)
    const w = l.engine === 'mac' ? peWeights(p.design, l.weights, `layer ${l.name}`) : l.weights;
    writeWeights(l, w, img.wmem, C, L, vBits);
    writeParams(l, img, C, p.steps);
    if (img.gmem && l.wgroup) writeGroupMultipliers(l, img.gmem, C, mBits!);
  }
  return img;
}

/** Rows gBase + f*P + j: lane c = m[f*C + c][j] (see the file header). */
function writeGroupMultipliers(l: AccelLayer, gmem: bigint[], C: number, bits: number): void {
  const { count, multiplier } = l.wgroup!;
  for (let f = 0; f < l.prows; f++) {
    for (let j = 0; j < count; j++) {
      const lanes: number[] = [];
      for (let c = 0; c < C; c++) lanes.push(f * C + c < l.N ? multiplier[(f * C + c) * count + j] : 0);
      gmem[l.gBase + f * count + j] = packFields(lanes, bits);
    }
  }
}

function writeWeights(l: AccelLayer, w: Int32Array, wmem: bigint[], C: number, L: number, vBits: number): void {
  const { K, N } = l;
  if (l.engine === 'mac') {
    for (let f = 0; f < l.prows; f++) {
      for (let k = 0; k < K; k++) {
        const lanes: number[] = [];
        for (let c = 0; c < C; c++) lanes.push(f * C + c < N ? w[(f * C + c) * K + k] : 0);
        wmem[l.wBase + f * K + k] = packFields(lanes, vBits);
      }
    }
    return;
  }
  if (l.engine === 'pool') return;
  const planes = l.engine === 'serial' ? formatBits(l.wFormat) : 1;
  const rowLen = l.win.kw * l.win.C;
  const S = Math.ceil(rowLen / L);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < planes; b++) {
      for (let i = 0; i < l.win.kh; i++) {
        for (let s = 0; s < S; s++) {
          let word = 0n;
          for (let e = Math.min(L, rowLen - s * L) - 1; e >= 0; e--) {
            const v = w[n * K + i * rowLen + s * L + e];
            const bit = l.engine === 'xnor' ? v > 0 : ((v >> b) & 1) === 1;
            word = (word << 1n) | (bit ? 1n : 0n);
          }
          wmem[l.wBase + (n * planes + b) * l.wd + i * S + s] = word;
        }
      }
    }
  }
}

function writeParams(l: AccelLayer, img: AccelImages, C: number, steps: number): void {
  const lanes = l.engine === 'mac' ? C : 1;
  for (let g = 0; g < l.prows; g++) {
    const bias: number[] = [];
    const mult: number[] = [];
    const shift: number[] = [];
    const thr: number[] = [];
    for (let c = 0; c < lanes; c++) {
      const n = l.engine === 'mac' ? g * C + c : g;
      const inRange = n < l.N;
      bias.push(inRange ? l.bias[n] : 0);
      mult.push(inRange && l.stage.kind === 'requant' ? l.stage.multiplier[n] : 0);
      shift.push(inRange && l.stage.kind === 'requant' ? l.stage.shift[n] : 0);
      for (let t = 0; t < steps; t++) {
        const st = l.stage;
        thr.push(inRange && st.kind === 'threshold' && t < st.steps ? st.thresholds[n * st.steps + t] : 0);
      }
    }
    img.bmem[l.pBase + g] = packFields(bias, 32);
    img.mmem[l.pBase + g] = packFields(mult, 32);
    img.smem[l.pBase + g] = packFields(shift, 6);
    img.tmem[l.pBase + g] = packFields(thr, 32);
  }
}

/** Packs integers as `bits`-bit two's complement fields, field 0 in the least significant bits. */
export function packFields(values: readonly number[], bits: number): bigint {
  let word = 0n;
  for (let i = values.length - 1; i >= 0; i--) word = (word << BigInt(bits)) | BigInt.asUintN(bits, BigInt(values[i]));
  return word;
}

/** `$readmemh` text: one word per line, ceil(width/4) hex digits. */
export function hexText(words: readonly bigint[], width: number): string {
  const digits = Math.ceil(width / 4);
  return words.map((w) => w.toString(16).padStart(digits, '0')).join('\n') + '\n';
}

/** The images' files: `<name>.hex` -> its `$readmemh` text (gmem.hex only with accumulator.group). */
export function imageTexts(p: AccelProgram, img: AccelImages = buildImages(p)): Record<string, string> {
  const widths = imageWidths(p);
  const out: Record<string, string> = {};
  for (const name of Object.keys(img) as (keyof AccelImages)[]) out[`${name}.hex`] = hexText(img[name]!, widths[name]);
  return out;
}

/** Writes the images into `dir` as `<name>.hex` (atomically each). */
export function writeImages(p: AccelProgram, dir: string, img: AccelImages = buildImages(p)): string[] {
  return Object.entries(imageTexts(p, img)).map(([file, text]) => {
    const path = join(dir, file);
    writeFileAtomic(path, text);
    return path;
  });
}
