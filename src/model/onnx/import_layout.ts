import { InputError } from '../../util/errors.js';
import { attrInt, attrInts, type NodeProto } from './proto.js';

/**
 * Layout ops of ONNX graphs as exporters write them around the quantized part (PyTorch's `nn.Flatten`,
 * `x.view(N, -1)`, NHWC inputs): Flatten, Reshape, Squeeze, Unsqueeze, Transpose, Identity. They change the
 * per-sample shape and, for Transpose, the order of the elements; the batch dimension (axis 0) must stay.
 *
 * `src` is the per-sample element order: element k of the result is element `src[k]` of the tensor the
 * layout ops started from (null: unchanged order, a pure reshape). Row-major throughout, so Flatten,
 * Reshape, Squeeze and Unsqueeze never change the order.
 */
export interface Layout {
  /** per-sample shape after the op */
  shape: number[];
  /** element order relative to the start of the layout chain, or null when unchanged */
  src: Int32Array | null;
}

export const LAYOUT_OPS = new Set(['Flatten', 'Reshape', 'Squeeze', 'Unsqueeze', 'Transpose', 'Identity']);

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** The per-sample layout after one layout op applied to a tensor of per-sample layout `x`. */
export function applyLayout(node: NodeProto, op: string, x: Layout, constAt: (i: number) => number[] | undefined, where: string): Layout {
  const full = [1, ...x.shape]; // batch dimension first, as in the graph
  const n = size(x.shape);
  const axesOf = (): number[] => {
    const a = attrInts(node, 'axes') ?? constAt(1);
    if (!a) throw new InputError(`${where}: ${op} without axes is not supported; give the axes explicitly`);
    return a;
  };
  let shape: number[];
  switch (op) {
    case 'Identity':
      return x;
    case 'Flatten': {
      const axis = attrInt(node, 'axis', 1);
      if (axis !== 1) throw new InputError(`${where}: Flatten axis ${axis} would merge the batch dimension or keep a 2-D sample; lowbit folds only axis 1`);
      shape = [n];
      break;
    }
    case 'Reshape': {
      const t = constAt(1) ?? [];
      if (t[0] !== -1 && t[0] !== 0 && t[0] !== 1) throw new InputError(`${where}: Reshape to [${t}] changes the batch dimension; allowed: [N or -1 or 0, ...per-sample shape]`);
      const dims = t.slice(1).map((d, i) => (d === 0 ? full[i + 1]! : d));
      const known = size(dims.filter((d) => d !== -1));
      if (dims.filter((d) => d === -1).length > 1 || dims.some((d) => d < -1)) throw new InputError(`${where}: Reshape target [${t}] is not valid`);
      shape = dims.map((d) => (d === -1 ? n / known : d));
      if (size(shape) !== n || shape.some((d) => !Number.isInteger(d))) {
        throw new InputError(`${where}: Reshape to [${t}] does not keep the ${n} values of a sample of shape [${x.shape}]`);
      }
      break;
    }
    case 'Squeeze': {
      const axes = axesOf().map((a) => (a < 0 ? a + full.length : a));
      if (axes.some((a) => a <= 0 || full[a] !== 1)) throw new InputError(`${where}: Squeeze axes [${axesOf()}] of shape [N, ${x.shape}]: only per-sample axes of size 1`);
      shape = full.filter((_, i) => i > 0 && !axes.includes(i));
      break;
    }
    case 'Unsqueeze': {
      const rank = full.length + axesOf().length;
      const axes = axesOf().map((a) => (a < 0 ? a + rank : a));
      if (axes.some((a) => a <= 0)) throw new InputError(`${where}: Unsqueeze axis 0 would add a dimension before the batch`);
      const out: number[] = [];
      let k = 1;
      for (let i = 1; i < rank; i++) out.push(axes.includes(i) ? 1 : full[k++]!);
      shape = out;
      break;
    }
    case 'Transpose': {
      const perm = attrInts(node, 'perm') ?? full.map((_, i) => full.length - 1 - i);
      if (perm[0] !== 0) throw new InputError(`${where}: Transpose perm [${perm}] moves the batch dimension`);
      const p = perm.slice(1).map((a) => a - 1);
      shape = p.map((a) => x.shape[a]!);
      // strides of the input; element at output multi-index i reads input index sum_j i[j] * stride[p[j]]
      const stride = new Array<number>(x.shape.length).fill(1);
      for (let j = x.shape.length - 2; j >= 0; j--) stride[j] = stride[j + 1]! * x.shape[j + 1]!;
      const src = new Int32Array(n);
      const idx = new Array<number>(shape.length).fill(0);
      for (let k = 0; k < n; k++) {
        let s = 0;
        for (let j = 0; j < shape.length; j++) s += idx[j]! * stride[p[j]!]!;
        src[k] = x.src ? x.src[s]! : s;
        for (let j = shape.length - 1; j >= 0; j--) {
          if (++idx[j]! < shape[j]!) break;
          idx[j] = 0;
        }
      }
      const identity = src.every((v, k) => v === k);
      return { shape, src: identity ? null : src };
    }
    default:
      throw new InputError(`${where}: ${op} is not a layout op`);
  }
  return { shape, src: x.src };
}

/** Dense weights [rows][K] with column k moved to column src[k]: sum_k W[o][k] x[src[k]] = sum_j W'[o][j] x[j]. */
export function permuteColumns(w: Int32Array, K: number, src: Int32Array): Int32Array {
  const out = new Int32Array(w.length);
  for (let r = 0; r < w.length / K; r++) for (let k = 0; k < K; k++) out[r * K + src[k]!] = w[r * K + k]!;
  return out;
}
