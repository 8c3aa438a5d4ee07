/**
 * FP32 reference inference over a Checkpoint (the float network before quantization).
 *
 * Per sample, layer by layer (layouts as in checkpoint.ts, activations CHW):
 * - dense:     `y[o] = b[o] + sum_i W[o][i] * x[i]`
 * - conv2d:    `y[o][r][c] = b[o] + sum_{i,u,v} W[o][i][u][v] * x[i][r*s+u-p][c*s+v-p]` (zero padding)
 * - batchnorm: `y = gamma * (x - mean) / sqrt(var + eps) + beta` per channel
 * - relu `max(x,0)`, hardtanh `clamp(x,-1,1)`, sign `x >= 0 ? +1 : -1` (0 -> +1, as arith/binary.ts)
 * - maxpool2d: non-overlapping k x k windows (stride k, no padding, remainder rows/cols dropped)
 * - flatten: no-op on the data (CHW order is kept).
 * Sums run in float64 and are stored as float32.
 */
import { badValue } from '../util/errors.js';
import type { Checkpoint, CkptLayer } from './checkpoint.js';
import { layerShapes } from './checkpoint.js';

/** Called after each layer with its output (batch x per-sample size) and per-sample shape. */
export type LayerVisitor = (layerIndex: number, output: Float32Array, shape: number[]) => void;

/**
 * Runs `batch` samples `x` (batch x prod(inputShape), float32) through the checkpoint and writes the final
 * layer's outputs into `out` (allocated when omitted). `visit` sees every intermediate output.
 */
export function fp32Inference(ckpt: Checkpoint, x: Float32Array, batch: number, out?: Float32Array, visit?: LayerVisitor): Float32Array {
  const shapes = layerShapes(ckpt.inputShape, ckpt.layers);
  const inSize = prod(shapes[0]);
  if (x.length !== batch * inSize) throw badValue('fp32Inference: x.length', x.length, `batch * ${inSize} = ${batch * inSize}`);
  const outSize = prod(shapes[shapes.length - 1]);
  if (out !== undefined && out.length !== batch * outSize) {
    throw badValue('fp32Inference: out.length', out.length, `batch * ${outSize} = ${batch * outSize}`);
  }
  let cur = x;
  ckpt.layers.forEach((l, i) => {
    const last = i === ckpt.layers.length - 1;
    const n = batch * prod(shapes[i + 1]);
    const y = last && out !== undefined ? out : new Float32Array(n);
    runLayer(l, cur, batch, shapes[i], y);
    cur = y;
    visit?.(i, y, shapes[i + 1]);
  });
  if (ckpt.layers.length === 0) {
    const y = out ?? new Float32Array(x.length);
    y.set(x);
    return y;
  }
  return cur;
}

/** One layer over a batch: `x` has shape `inShape` per sample; `y` receives the output. */
export function runLayer(l: CkptLayer, x: Float32Array, batch: number, inShape: number[], y: Float32Array): void {
  const inSize = prod(inShape);
  switch (l.kind) {
    case 'dense':
      denseF32(x, batch, l.in, l.out, l.weight, l.bias, y);
      return;
    case 'conv2d':
      conv2dF32(x, batch, inShape, l.outC, l.k, l.stride, l.pad, l.weight, l.bias, y);
      return;
    case 'batchnorm': {
      const hw = inSize / l.channels;
      for (let b = 0; b < batch; b++) {
        for (let c = 0; c < l.channels; c++) {
          const a = l.gamma[c] / Math.sqrt(l.var[c] + l.eps);
          const sh = l.beta[c] - a * l.mean[c];
          const base = b * inSize + c * hw;
          for (let j = 0; j < hw; j++) y[base + j] = a * x[base + j] + sh;
        }
      }
      return;
    }
    case 'relu':
      for (let i = 0; i < x.length; i++) y[i] = x[i] > 0 ? x[i] : 0;
      return;
    case 'hardtanh':
      for (let i = 0; i < x.length; i++) y[i] = x[i] > 1 ? 1 : x[i] < -1 ? -1 : x[i];
      return;
    case 'sign':
      for (let i = 0; i < x.length; i++) y[i] = x[i] >= 0 ? 1 : -1;
      return;
    case 'flatten':
      y.set(x);
      return;
    case 'maxpool2d':
      maxpool2dF32(x, batch, inShape, l.k, y);
      return;
  }
}

/**
 * `y[b][o] = bias[o] + sum_i w[o*inN + i] * x[b*inN + i]`. Four output rows per pass over x (fewer loads);
 * each sum in float64, in input order.
 */
export function denseF32(
  x: Float32Array, batch: number, inN: number, outN: number, w: Float32Array, bias: Float32Array | null, y: Float32Array,
): void {
  for (let b = 0; b < batch; b++) {
    const xo = b * inN;
    let o = 0;
    for (; o + 3 < outN; o += 4) {
      const w0 = o * inN;
      const w1 = w0 + inN;
      const w2 = w1 + inN;
      const w3 = w2 + inN;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = 0; i < inN; i++) {
        const v = x[xo + i];
        s0 += w[w0 + i] * v;
        s1 += w[w1 + i] * v;
        s2 += w[w2 + i] * v;
        s3 += w[w3 + i] * v;
      }
      const yo = b * outN + o;
      y[yo] = s0 + (bias === null ? 0 : bias[o]);
      y[yo + 1] = s1 + (bias === null ? 0 : bias[o + 1]);
      y[yo + 2] = s2 + (bias === null ? 0 : bias[o + 2]);
      y[yo + 3] = s3 + (bias === null ? 0 : bias[o + 3]);
    }
    for (; o < outN; o++) {
      const wo = o * inN;
      let s = 0;
      for (let i = 0; i < inN; i++) s += w[wo + i] * x[xo + i];
      y[b * outN + o] = s + (bias === null ? 0 : bias[o]);
    }
  }
}

/** Direct 2-D convolution, zero padding; `inShape = [C,H,W]`, weight `[outC][C][k][k]`. */
export function conv2dF32(
  x: Float32Array, batch: number, inShape: number[], outC: number, k: number, stride: number, pad: number,
  w: Float32Array, bias: Float32Array | null, y: Float32Array,
): void {
  const [C, H, W] = inShape;
  const OH = Math.floor((H + 2 * pad - k) / stride) + 1;
  const OW = Math.floor((W + 2 * pad - k) / stride) + 1;
  for (let b = 0; b < batch; b++) {
    const xb = b * C * H * W;
    for (let o = 0; o < outC; o++) {
      const bo = bias === null ? 0 : bias[o];
      for (let r = 0; r < OH; r++) {
        for (let c = 0; c < OW; c++) {
          let s = bo;
          for (let i = 0; i < C; i++) {
            const wb = ((o * C + i) * k) * k;
            const xc = xb + i * H * W;
            for (let u = 0; u < k; u++) {
              const row = r * stride + u - pad;
              if (row < 0 || row >= H) continue;
              for (let v = 0; v < k; v++) {
                const col = c * stride + v - pad;
                if (col < 0 || col >= W) continue;
                s += w[wb + u * k + v] * x[xc + row * W + col];
              }
            }
          }
          y[((b * outC + o) * OH + r) * OW + c] = s;
        }
      }
    }
  }
}

/** Max over non-overlapping k x k windows. */
export function maxpool2dF32(x: Float32Array, batch: number, inShape: number[], k: number, y: Float32Array): void {
  const [C, H, W] = inShape;
  const OH = Math.floor(H / k);
  const OW = Math.floor(W / k);
  for (let bc = 0; bc < batch * C; bc++) {
    const xb = bc * H * W;
    for (let r = 0; r < OH; r++) {
      for (let c = 0; c < OW; c++) {
        let m = -Infinity;
        for (let u = 0; u < k; u++) {
          for (let v = 0; v < k; v++) {
            const t = x[xb + (r * k + u) * W + c * k + v];
            if (t > m) m = t;
          }
        }
        y[(bc * OH + r) * OW + c] = m;
      }
    }
  }
}

function prod(s: number[]): number {
  return s.reduce((a, b) => a * b, 1);
}
