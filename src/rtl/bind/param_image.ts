import { codeFormat } from '../../arith/format.js';
import type { Conv2dLayer, DenseLayer, QuantizedModel } from '../../model/types.js';
import { InputError } from '../../util/errors.js';

/**
 * The parameter image of a QuantizedModel: what an accelerator bound with `"model": "accelerator"` receives
 * on its load stream (one `addr`/`data` transaction per word, addresses 0, 1, 2, ... in order, every word
 * before the first image), so that its RTL holds exactly the integers lowbit's integer reference uses.
 *
 * Layout for a data port of D bits. Every dense/conv2d layer, in model order, contributes these tensors,
 * back to back, each starting at a new word:
 *   weight             N x K  (dense [out][in]; conv [outC][inC*kh*kw], OIHW order), the stored integers:
 *                      `bits` two's complement (signed) or unsigned; binary weights 1 bit, 1 = +1, 0 = -1
 *   weight_zero_point  1 x Z  int32, only when a weight zero point is not 0 (Z = 1 per tensor, or N)
 *   group_multiplier   N x G  int32, only with per-group scales (G groups per row, model/group.ts)
 *   bias               1 x N  int32, only when the layer has a bias
 *   the output stage's arrays:
 *     threshold              thresholds  C x T int32 (C = 1 or N channels, T steps, ascending in a row)
 *     requantize multiplier  multiplier  1 x C int32, then shift 1 x C int8 (TFLite shift, -31..30)
 *     requantize shift       shift       1 x C int8 (right shift 0..62)
 *     requantize onnx        scale       1 x C float32 bit patterns
 *     accumulator            (none)
 * A tensor of R x Cols elements of E bits puts P = floor(D / E) elements in a word, element j of row r in
 * word `base + r * ceil(Cols / P) + floor(j / P)`, bits [(j mod P) * E, (j mod P) * E + E): every row
 * starts at a new word (a sequential engine reads a row as ceil(Cols / P) whole words); unused bits are 0.
 * Scalars (zero points of activations, clamp bounds, threshold offset and bipolar flag, rounding) and the
 * shapes are the network's constants, read from model.json, not from the image.
 */
export interface ImageRegion {
  /** `dense0.weight` */
  name: string;
  base: number;
  words: number;
  rows: number;
  cols: number;
  elemBits: number;
  signed: boolean;
  perWord: number;
}

export interface ParamImage {
  dataBits: number;
  words: bigint[];
  regions: ImageRegion[];
}

/** The widest element of any tensor: the data port must hold one. */
export const IMAGE_MAX_ELEM_BITS = 32;

/** The image for a `dataBits`-bit data port (`where` names the port in an error). */
export function paramImage(model: QuantizedModel, dataBits: number, where = 'parameter image'): ParamImage {
  if (!Number.isInteger(dataBits) || dataBits < IMAGE_MAX_ELEM_BITS) throw new InputError(`${where}: a ${dataBits}-bit data port cannot hold the image's 32-bit elements; make it at least ${IMAGE_MAX_ELEM_BITS} bits`);
  const words: bigint[] = [];
  const regions: ImageRegion[] = [];
  const put = (name: string, rows: number, cols: number, elemBits: number, signed: boolean, value: (r: number, j: number) => number): void => {
    const perWord = Math.floor(dataBits / elemBits);
    const rowWords = Math.ceil(cols / perWord);
    const base = words.length;
    for (let r = 0; r < rows; r++) {
      for (let w = 0; w < rowWords; w++) {
        let word = 0n;
        for (let i = 0; i < perWord && w * perWord + i < cols; i++) {
          word |= BigInt.asUintN(elemBits, BigInt(value(r, w * perWord + i))) << BigInt(i * elemBits);
        }
        words.push(word);
      }
    }
    regions.push({ name, base, words: rows * rowWords, rows, cols, elemBits, signed, perWord });
  };
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (const l of model.layers) {
    if (l.kind !== 'dense' && l.kind !== 'conv2d') continue;
    const { N, K } = l.kind === 'dense' ? { N: l.outFeatures, K: l.inFeatures } : convShape(l);
    const wf = codeFormat(l.weight.format);
    const bin = l.weight.format.type === 'binary';
    const w = l.weight.data;
    put(`${l.name}.weight`, N, K, wf.bits, wf.signed, (r, j) => (bin ? (w[r * K + j] > 0 ? 1 : 0) : w[r * K + j]));
    const zp = l.weight.zeroPoint;
    if (zp.some((z) => z !== 0)) put(`${l.name}.weight_zero_point`, 1, zp.length, 32, true, (_r, j) => zp[j]);
    const grp = l.weight.group;
    if (grp !== undefined) {
      const G = grp.multiplier.length / N;
      put(`${l.name}.group_multiplier`, N, G, 32, true, (r, j) => grp.multiplier[r * G + j]);
    }
    const bias = l.bias;
    if (bias !== null) put(`${l.name}.bias`, 1, N, 32, true, (_r, j) => bias[j]);
    putStage(l, put, f32, u32);
  }
  return { dataBits, words, regions };
}

function convShape(l: Conv2dLayer): { N: number; K: number } {
  return { N: l.outChannels, K: l.inChannels * l.kernel[0] * l.kernel[1] };
}

type Put = (name: string, rows: number, cols: number, elemBits: number, signed: boolean, value: (r: number, j: number) => number) => void;

function putStage(l: DenseLayer | Conv2dLayer, put: Put, f32: Float32Array, u32: Uint32Array): void {
  const st = l.output;
  if (st.kind === 'threshold') {
    put(`${l.name}.thresholds`, st.channels, st.steps, 32, true, (r, j) => st.thresholds[r * st.steps + j]);
  } else if (st.kind === 'requantize') {
    const s = st.scaling;
    if (s.kind === 'multiplier') put(`${l.name}.multiplier`, 1, s.multiplier.length, 32, true, (_r, j) => s.multiplier[j]);
    if (s.kind === 'multiplier' || s.kind === 'shift') put(`${l.name}.shift`, 1, s.shift.length, 8, true, (_r, j) => s.shift[j]);
    if (s.kind === 'onnx') {
      put(`${l.name}.scale`, 1, s.scale.length, 32, false, (_r, j) => {
        f32[0] = s.scale[j];
        return u32[0];
      });
    }
  }
}

/** `dense0.weight @0 (256 x 784, 1-bit, 64 per word, 3328 words)`, one per region. */
export function regionText(g: ImageRegion): string {
  return `${g.name} @${g.base} (${g.rows} x ${g.cols}, ${g.elemBits}-bit${g.signed ? ' signed' : ''}, ${g.perWord} per word, ${g.words} words)`;
}
