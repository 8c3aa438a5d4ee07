/**
 * The FP32 checkpoint (docs/quant.md, "FP32 checkpoint"): what training writes and quantization reads.
 *
 * On disk, a directory:
 * - `checkpoint.json`: `{format: 'lowbit-fp32', version: 1, arch, inputShape, layers: [...], meta?}`.
 *   Each layer is `{kind, ...sizes, <param>: "<blob file name>"}`.
 * - one blob per parameter tensor: raw little-endian float32, row-major, no header.
 *
 * Layouts (PyTorch's): activations are CHW per sample (a flat vector is `[n]`); `dense.weight` is
 * `[out][in]`, `conv2d.weight` is `[outC][inC][k][k]`; biases `[out]` / `[outC]`; batch-norm holds
 * `gamma, beta, mean, var` of `[channels]` and computes `y = gamma * (x - mean) / sqrt(var + eps) + beta`
 * per channel (channel = feature for a `[n]` tensor, the C axis of a `[C,H,W]` tensor).
 */
// Inside writeDirAtomic's temporary directory a plain write is enough: the final rename publishes it.
import { existsSync, readFileSync, readdirSync, writeFileSync as writeFileSyncPlain } from 'node:fs';
import { join } from 'node:path';
import { InputError, badValue } from '../util/errors.js';
import { readInputFile, readInputText, writeDirAtomic } from '../util/fsafe.js';

export interface DenseCkpt { kind: 'dense'; in: number; out: number; weight: Float32Array; bias: Float32Array | null }
export interface Conv2dCkpt {
  kind: 'conv2d'; inC: number; outC: number; k: number; stride: number; pad: number;
  weight: Float32Array; bias: Float32Array | null;
}
export interface BatchNormCkpt {
  kind: 'batchnorm'; channels: number; eps: number;
  gamma: Float32Array; beta: Float32Array; mean: Float32Array; var: Float32Array;
}
export interface ActivationCkpt { kind: 'relu' | 'hardtanh' | 'sign' | 'flatten' }
export interface MaxPoolCkpt { kind: 'maxpool2d'; k: number }
export type CkptLayer = DenseCkpt | Conv2dCkpt | BatchNormCkpt | ActivationCkpt | MaxPoolCkpt;
export type CkptLayerKind = CkptLayer['kind'];

export const CKPT_LAYER_KINDS: readonly CkptLayerKind[] = [
  'dense', 'conv2d', 'batchnorm', 'relu', 'hardtanh', 'sign', 'maxpool2d', 'flatten',
];

export interface Checkpoint {
  format: 'lowbit-fp32';
  version: 1;
  /** Free-form architecture name, e.g. `sfc`, `tfc`, `cnn`. */
  arch: string;
  /** Shape of one input sample: `[n]` or `[C, H, W]`. */
  inputShape: number[];
  layers: CkptLayer[];
  /** Anything the writer wants to keep (training log, accuracy, seed); copied through unchanged. */
  meta?: Record<string, unknown>;
}

/** Parameter tensors of each kind, in blob order, and their lengths. */
export function paramSpecs(l: CkptLayer): { name: string; length: number; optional: boolean }[] {
  switch (l.kind) {
    case 'dense':
      return [{ name: 'weight', length: l.out * l.in, optional: false }, { name: 'bias', length: l.out, optional: true }];
    case 'conv2d':
      return [
        { name: 'weight', length: l.outC * l.inC * l.k * l.k, optional: false },
        { name: 'bias', length: l.outC, optional: true },
      ];
    case 'batchnorm':
      return ['gamma', 'beta', 'mean', 'var'].map((name) => ({ name, length: l.channels, optional: false }));
    default:
      return [];
  }
}

/** Number of float32 parameters of a checkpoint (every tensor of every layer, biases and batch-norm included). */
export function checkpointParamCount(c: Checkpoint): number {
  let n = 0;
  for (const l of c.layers) {
    for (const p of paramSpecs(l)) if ((l as unknown as Record<string, unknown>)[p.name] !== null) n += p.length;
  }
  return n;
}

/**
 * The per-sample shape after every layer (`shapes[0]` = input, `shapes[i+1]` = after layer i); throws an
 * InputError naming `where` and the layer when sizes do not chain.
 */
export function layerShapes(inputShape: number[], layers: CkptLayer[], where = 'checkpoint'): number[][] {
  const shapes: number[][] = [inputShape.slice()];
  let s = inputShape.slice();
  const size = (): number => s.reduce((a, b) => a * b, 1);
  layers.forEach((l, i) => {
    const at = `${where}: layers[${i}] (${l.kind})`;
    const bad = (field: string, v: unknown, allowed: string): InputError => badValue(`${at}.${field}`, v, allowed);
    switch (l.kind) {
      case 'dense':
        if (l.in !== size()) throw bad('in', l.in, `${size()} (the size of the input, shape [${s.join(',')}])`);
        s = [l.out];
        break;
      case 'conv2d': {
        if (s.length !== 3) throw new InputError(`${at}: needs a [C,H,W] input; got shape [${s.join(',')}]`);
        if (l.inC !== s[0]) throw bad('inC', l.inC, `${s[0]} (channels of the input)`);
        const h = Math.floor((s[1] + 2 * l.pad - l.k) / l.stride) + 1;
        const w = Math.floor((s[2] + 2 * l.pad - l.k) / l.stride) + 1;
        if (h < 1 || w < 1) throw bad('k', l.k, `a kernel that fits the padded input ${s[1]}x${s[2]} (pad ${l.pad})`);
        s = [l.outC, h, w];
        break;
      }
      case 'batchnorm':
        if (l.channels !== s[0]) throw bad('channels', l.channels, `${s[0]} (channels of the input)`);
        break;
      case 'maxpool2d':
        if (s.length !== 3) throw new InputError(`${at}: needs a [C,H,W] input; got shape [${s.join(',')}]`);
        if (s[1] < l.k || s[2] < l.k) throw bad('k', l.k, `at most ${Math.min(s[1], s[2])}`);
        s = [s[0], Math.floor(s[1] / l.k), Math.floor(s[2] / l.k)];
        break;
      case 'flatten':
        s = [size()];
        break;
      default:
        break; // elementwise
    }
    shapes.push(s.slice());
  });
  return shapes;
}

const POSITIVE_INT = (name: string, v: unknown, max = 1 << 24): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) throw badValue(name, v, `an integer 1..${max}`);
  return v;
};

/** Checks a checkpoint held in memory (field types, sizes, tensor lengths, shape chain). */
export function validateCheckpoint(c: Checkpoint, where = 'checkpoint'): void {
  if (c.format !== 'lowbit-fp32') throw badValue(`${where}: format`, c.format, '"lowbit-fp32"');
  if (c.version !== 1) throw badValue(`${where}: version`, c.version, '1');
  if (typeof c.arch !== 'string') throw badValue(`${where}: arch`, c.arch, 'a string');
  if (!Array.isArray(c.inputShape) || (c.inputShape.length !== 1 && c.inputShape.length !== 3)) {
    throw badValue(`${where}: inputShape`, c.inputShape, '[n] or [C,H,W]');
  }
  c.inputShape.forEach((d, i) => POSITIVE_INT(`${where}: inputShape[${i}]`, d));
  if (!Array.isArray(c.layers)) throw badValue(`${where}: layers`, c.layers, 'an array of layers');
  c.layers.forEach((l, i) => {
    const at = `${where}: layers[${i}]`;
    if (!CKPT_LAYER_KINDS.includes(l?.kind)) throw badValue(`${at}.kind`, l?.kind, `one of ${CKPT_LAYER_KINDS.join(', ')}`);
    const ints: Record<string, string[]> = {
      dense: ['in', 'out'], conv2d: ['inC', 'outC', 'k', 'stride'], batchnorm: ['channels'], maxpool2d: ['k'],
    };
    const rec = l as unknown as Record<string, unknown>;
    for (const f of ints[l.kind] ?? []) POSITIVE_INT(`${at}.${f}`, rec[f]);
    if (l.kind === 'conv2d' && (typeof l.pad !== 'number' || !Number.isInteger(l.pad) || l.pad < 0 || l.pad >= l.k)) {
      throw badValue(`${at}.pad`, l.pad, `an integer 0..${l.k - 1}`);
    }
    if (l.kind === 'batchnorm' && !(typeof l.eps === 'number' && l.eps >= 0 && Number.isFinite(l.eps))) {
      throw badValue(`${at}.eps`, l.eps, 'a finite number >= 0');
    }
    for (const p of paramSpecs(l)) {
      const t = rec[p.name];
      if (t === null && p.optional) continue;
      if (!(t instanceof Float32Array)) throw badValue(`${at}.${p.name}`, typeof t, `a Float32Array of ${p.length}`);
      if (t.length !== p.length) throw badValue(`${at}.${p.name}.length`, t.length, `${p.length}`);
    }
  });
  layerShapes(c.inputShape, c.layers, where);
}

/** Writes `ckpt` to `dir` atomically (the whole directory appears at once or not at all). */
export function saveCheckpoint(dir: string, ckpt: Checkpoint, opts: { force?: boolean } = {}): void {
  validateCheckpoint(ckpt, dir);
  writeDirAtomic(dir, (tmp) => {
    const layers = ckpt.layers.map((l, i) => {
      const rec: Record<string, unknown> = { ...l };
      for (const p of paramSpecs(l)) {
        const t = (l as unknown as Record<string, Float32Array | null>)[p.name];
        if (t === null) {
          rec[p.name] = null;
          continue;
        }
        const file = `l${i}_${l.kind}.${p.name}.f32`;
        writeFloat32LE(join(tmp, file), t);
        rec[p.name] = file;
      }
      return rec;
    });
    const json = { format: ckpt.format, version: ckpt.version, arch: ckpt.arch, inputShape: ckpt.inputShape, layers, meta: ckpt.meta };
    writeFileSyncPlain(join(tmp, 'checkpoint.json'), JSON.stringify(json, null, 1) + '\n');
  }, { ...CHECKPOINT_OUTPUT, force: opts.force });
}

/** What a checkpoint folder is to safe outputs (fsafe.ts): its marker kind and how to recognise an older one. */
export const CHECKPOINT_OUTPUT = { kind: 'checkpoint', legacy: legacyCheckpointDir } as const;

/** A checkpoint folder written before output markers existed: checkpoint.json of this format and .f32 blobs. */
function legacyCheckpointDir(dir: string, entries: string[]): boolean {
  if (!entries.every((e) => e === 'checkpoint.json' || e === 'train-log.json' || /^l\d+_[a-z0-9]+\.[a-z]+\.f32$/.test(e))) return false;
  try {
    return (JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')) as { format?: unknown }).format === 'lowbit-fp32';
  } catch {
    return false;
  }
}

/** Reads and validates a checkpoint directory; every problem is an InputError naming the file and field. */
export function loadCheckpoint(dir: string): Checkpoint {
  const file = join(dir, 'checkpoint.json');
  if (!existsSync(file)) {
    const hint = existsSync(dir) ? `has ${readdirSync(dir).slice(0, 5).join(', ') || 'no files'}` : 'does not exist';
    throw new InputError(`${file}: not found (the directory ${hint}); expected an FP32 checkpoint written by lowbit train`);
  }
  let raw: Record<string, unknown>;
  const text = readInputText(file, 'checkpoint manifest');
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(raw.layers)) throw badValue(`${file}: layers`, raw.layers, 'an array of layers');
  const layers = (raw.layers as Record<string, unknown>[]).map((rl, i) => {
    const at = `${file}: layers[${i}]`;
    if (rl === null || typeof rl !== 'object') throw badValue(at, rl, 'a layer object');
    if (!CKPT_LAYER_KINDS.includes(rl.kind as CkptLayerKind)) {
      throw badValue(`${at}.kind`, rl.kind, `one of ${CKPT_LAYER_KINDS.join(', ')}`);
    }
    const l: Record<string, unknown> = { ...rl };
    for (const p of paramSpecs(rl as unknown as CkptLayer)) {
      const name = rl[p.name];
      if ((name === null || name === undefined) && p.optional) {
        l[p.name] = null;
        continue;
      }
      if (typeof name !== 'string' || name.includes('/') || name.includes('\\')) {
        throw badValue(`${at}.${p.name}`, name, 'a blob file name inside the checkpoint directory');
      }
      const blobPath = join(dir, name);
      if (!existsSync(blobPath)) throw new InputError(`${at}.${p.name}: blob ${blobPath} not found`);
      const want = Number.isInteger(p.length) ? p.length * 4 : NaN;
      const bytes = readInputFile(blobPath, `${at}.${p.name}: blob`, { inside: dir, maxBytes: Number.isFinite(want) ? want : 0 });
      if (bytes.length !== want) {
        throw new InputError(`${at}.${p.name}: blob ${blobPath} has ${bytes.length} bytes; expected ${want} (${p.length} float32)`);
      }
      l[p.name] = readFloat32LE(bytes);
    }
    return l as unknown as CkptLayer;
  });
  const ckpt: Checkpoint = {
    format: raw.format as 'lowbit-fp32', version: raw.version as 1, arch: raw.arch as string,
    inputShape: raw.inputShape as number[], layers,
  };
  if (raw.meta !== undefined && raw.meta !== null) ckpt.meta = raw.meta as Record<string, unknown>;
  validateCheckpoint(ckpt, file);
  return ckpt;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function writeFloat32LE(path: string, t: Float32Array): void {
  const buf = Buffer.alloc(t.length * 4);
  if (LITTLE_ENDIAN) buf.set(new Uint8Array(t.buffer, t.byteOffset, t.byteLength));
  else for (let i = 0; i < t.length; i++) buf.writeFloatLE(t[i], i * 4);
  writeFileSyncPlain(path, buf);
}

function readFloat32LE(bytes: Buffer): Float32Array {
  const out = new Float32Array(bytes.length / 4);
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes);
  else for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}
