import { InputError } from '../../util/errors.js';
import type { ActQuant, Layer, MaxPool2dLayer } from '../types.js';
import { attr, attrInt, attrInts, type NodeProto, type TensorValue } from './proto.js';

/**
 * FINN's lowered convolutions (qonnx `LowerConvsToMatMul`, FINN `MakeMaxPoolNHWC`), read back as lowbit layers.
 * The definitions are in docs/qonnx.md ("Lowered convolutions"):
 *   Im2Col on NHWC x [1, H, W, C] -> patches [1, OH, OW, kh * kw * C], patch element (ky, kx, c) at index
 *     (ky * kw + kx) * C + c reading x[oy * sh + ky - pt][ox * sw + kx - pl][c] (pad_value where outside);
 *   MatMul(patches, W [kh * kw * C, O]) = Conv with OIHW weights w[o][c][ky][kx] = W[(ky * kw + kx) * C + c][o];
 *   MaxPoolNHWC = MaxPool on the NCHW transpose (same kernel_shape, strides, pads, ceil_mode);
 *   XnorPopcountMatMul of {0, 1} data and weights = (bipolar dot product + K) / 2.
 */

/** Kernel, stride and padding [top, left, bottom, right] of a convolution. */
export interface ConvGeometry {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number, number, number];
}

/** Row of the lowered weight matrix holding conv weight (c, ky, kx): FINN's patch order (ky, kx, c). */
export function patchRow(c: number, ky: number, kx: number, C: number, kw: number): number {
  return (ky * kw + kx) * C + c;
}

/**
 * A row-major [kh * kw * C, O] matrix (rows in patch order) -> the same values in OIHW order [O, C, kh, kw]:
 * out[((o * C + c) * kh + ky) * kw + kx] = a[patchRow(c, ky, kx) * O + o].
 */
export function patchMatrixToOihw<T>(a: readonly T[], O: number, C: number, kh: number, kw: number): T[] {
  const out = new Array<T>(a.length);
  for (let o = 0; o < O; o++) {
    for (let c = 0; c < C; c++) {
      for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) out[((o * C + c) * kh + ky) * kw + kx] = a[patchRow(c, ky, kx, C, kw) * O + o]!;
    }
  }
  return out;
}

/** The geometry of an Im2Col node reading an NHWC map whose lowbit (NCHW) shape is `shape` = [C, H, W]. */
export function im2colGeometry(node: NodeProto, shape: readonly number[], where: string): ConvGeometry {
  const fail = (why: string): never => {
    throw new InputError(`${where}: ${why}`);
  };
  const k = attrInts(node, 'kernel_size') ?? fail('missing kernel_size');
  const s = attrInts(node, 'stride') ?? fail('missing stride');
  const p = attrInts(node, 'pad_amount') ?? [0, 0, 0, 0];
  if (k.length !== 2 || s.length !== 2 || p.length !== 4) fail(`kernel_size [${k}], stride [${s}], pad_amount [${p}]: lowbit reads 2-D kernels ([kh, kw], [sh, sw], [top, left, bottom, right])`);
  if ((attrInts(node, 'dilations') ?? [1, 1]).some((d) => d !== 1)) fail(`dilations [${attrInts(node, 'dilations')}]: lowbit's conv2d has no dilation (only 1, 1)`);
  if (attrInt(node, 'depthwise', 0) !== 0) fail('depthwise 1: lowbit has no depthwise (grouped) convolution');
  const padValue = attrInt(node, 'pad_value', 0);
  if (padValue !== 0 && p.some((v) => v !== 0)) fail(`pad_value ${padValue}: lowbit's conv2d pads with the real value 0 (the input zero point); only pad_value 0 is representable`);
  const [C, H, W] = shape as [number, number, number];
  const declared = String(attr(node, 'input_shape') ?? '').replace(/[()\s[\]]/g, '').split(',').filter((d) => d !== '').map(Number);
  if (declared.length !== 4 || declared[1] !== H || declared[2] !== W || declared[3] !== C) fail(`input_shape "${attr(node, 'input_shape') ?? ''}" does not match the NHWC map (1,${H},${W},${C}) it reads`);
  if (k.some((v) => v < 1) || s.some((v) => v < 1) || p.some((v) => v < 0)) fail(`kernel_size [${k}], stride [${s}] must be positive and pad_amount [${p}] not negative`);
  return { kernel: [k[0]!, k[1]!], stride: [s[0]!, s[1]!], padding: [p[0]!, p[1]!, p[2]!, p[3]!] };
}

/** MaxPoolNHWC -> maxpool2d (lowbit computes it on its NCHW map; the window is the same). */
export function maxPoolNhwcLayer(node: NodeProto, where: string): MaxPool2dLayer {
  const fail = (why: string): never => {
    throw new InputError(`${where}: ${why}`);
  };
  if (attrInt(node, 'ceil_mode', 0) !== 0) fail('ceil_mode 1 is not supported (lowbit pools floor((H + pads - k) / s) + 1 windows)');
  const k = attrInts(node, 'kernel_shape') ?? fail('missing kernel_shape');
  const s = attrInts(node, 'strides') ?? fail('missing strides');
  const p = attrInts(node, 'pads') ?? fail('missing pads');
  if (k.length !== 2 || s.length !== 2 || p.length !== 4) fail(`kernel_shape [${k}], strides [${s}], pads [${p}]: lowbit reads 2-D pooling`);
  return { kind: 'maxpool2d', name: node.name || 'maxpool', kernel: [k[0]!, k[1]!], stride: [s[0]!, s[1]!], padding: [p[0]!, p[1]!, p[2]!, p[3]!] };
}

/**
 * XnorPopcountMatMul (qonnx `xnorpopcount.py`, made by `ConvertBipolarMatMulToXnorPopcount`) reads {0, 1} data
 * a and weights w: P = #{k : a_k = w_k} = (a' . w' + K) / 2 with the bipolar a' = 2a - 1, w' = 2w - 1. lowbit
 * reads the data as the bipolar output of the single-threshold stage that made it (the transform turned that
 * MultiThreshold from out_scale 2, out_bias -1 into out_scale 1, out_bias 0): the stage (the last multiply layer,
 * through max pools and flattens, which commute with 2a - 1) becomes bipolar, in place, and `q` becomes binary.
 */
export function bipolarFromBinary(layers: readonly Layer[], q: ActQuant, where: string): void {
  const fail = (why: string): never => {
    throw new InputError(`${where}: ${why}`);
  };
  let at = layers.length - 1;
  while (at >= 0 && (layers[at]!.kind === 'maxpool2d' || layers[at]!.kind === 'flatten')) at--;
  const l = layers[at];
  const stage = l && (l.kind === 'dense' || l.kind === 'conv2d') ? l.output : undefined;
  if (stage?.kind !== 'threshold' || stage.output !== q || stage.steps !== 1 || stage.offset !== 0 || stage.bipolar || q.scale !== 1 || q.zeroPoint !== 0) {
    throw new InputError(`${where}: XnorPopcountMatMul reads {0, 1} data: lowbit takes it as the bipolar output of the MultiThreshold before it (one threshold, out_scale 1, out_bias 0), which it is not`);
  }
  if (layers.some((x) => 'input' in x && x.input === q)) fail('the {0, 1} data is also read by another layer as integers');
  stage.bipolar = true;
  q.format = { type: 'binary' };
}

/** {0, 1} XnorPopcountMatMul weights -> the bipolar values 2w - 1. */
export function bipolarWeights(v: TensorValue, where: string): number[] {
  const bad = v.values.findIndex((x) => x !== 0 && x !== 1);
  if (bad >= 0) throw new InputError(`${where}: XnorPopcountMatMul weight element ${bad} is ${v.values[bad]}; allowed 0 or 1`);
  return v.values.map((x) => 2 * x - 1);
}
