// Inside writeDirAtomic's temporary directory plain writes are enough: the final rename publishes it.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../util/errors.js';
import { readInputFile, readInputText, writeDirAtomic } from '../util/fsafe.js';
import { MODEL_OUTPUT } from './format.js';
import { FLOAT_ACTS, groupCount, woShapes, type WeightOnlyModel, type WoLayer, type WoWeight } from './weight_only.js';

/**
 * On-disk WeightOnlyModel: a folder with
 *   model.json   {format: 'lowbit-weight-only-model', schemaVersion: 1, name, inputShape, activation,
 *                provenance, layers}; a dense/conv layer's `weight` is {bits, group, codes, scales} and its
 *                `bias` a file name or null
 *   blobs/<i>_<name>.codes.bin    int8 weight codes [out][K]
 *   blobs/<i>_<name>.scales.bin   float32 scales [out][ceil(K / group)]
 *   blobs/<i>_<name>.bias.bin     float32 bias [out]
 * (raw little-endian, no header). The loader checks every field and blob length, the codes against
 * their bits, the scales finite and positive, and the layer shapes; errors name the file and the field.
 */
export const WEIGHT_ONLY_FORMAT = 'lowbit-weight-only-model';

/** True when `dir/model.json` declares a weight-only model (a cheap look at the manifest). */
export function isWeightOnlyDir(dir: string): boolean {
  const f = join(dir, 'model.json');
  if (!existsSync(f)) return false;
  try {
    return (JSON.parse(readInputText(f, 'model manifest')) as { format?: unknown }).format === WEIGHT_ONLY_FORMAT;
  } catch {
    return false;
  }
}

/** Writes the folder atomically; an existing folder is replaced only if lowbit wrote a model there (or `force`). */
export function saveWeightOnlyModel(m: WeightOnlyModel, dir: string, force = false): void {
  woShapes(m);
  writeDirAtomic(dir, (tmp) => {
    mkdirSync(join(tmp, 'blobs'), { recursive: true });
    const layers = m.layers.map((l, i) => {
      if (l.kind !== 'dense' && l.kind !== 'conv2d') return l;
      const base = `blobs/${i}_${l.name}`;
      writeFileSync(join(tmp, `${base}.codes.bin`), Int8Array.from(l.weight.data));
      writeFileSync(join(tmp, `${base}.scales.bin`), new Uint8Array(l.weight.scale.buffer, l.weight.scale.byteOffset, l.weight.scale.byteLength));
      if (l.bias) writeFileSync(join(tmp, `${base}.bias.bin`), new Uint8Array(l.bias.buffer, l.bias.byteOffset, l.bias.byteLength));
      return { ...l, weight: { bits: l.weight.bits, group: l.weight.group, codes: `${base}.codes.bin`, scales: `${base}.scales.bin` }, bias: l.bias ? `${base}.bias.bin` : null };
    });
    writeFileSync(join(tmp, 'model.json'), JSON.stringify({ ...m, layers }, null, 1) + '\n');
  }, { ...MODEL_OUTPUT, force });
}

export function loadWeightOnlyModel(dir: string): WeightOnlyModel {
  const where = join(dir, 'model.json');
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(readInputText(where, 'model manifest')) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${where}: not valid JSON (${(e as Error).message})`);
  }
  const bad = (field: string, v: unknown, want: string): InputError => new InputError(`${where}: ${field}: got ${JSON.stringify(v)}; expected ${want}`);
  if (j.format !== WEIGHT_ONLY_FORMAT) throw bad('format', j.format, `"${WEIGHT_ONLY_FORMAT}"`);
  if (j.schemaVersion !== 1) throw bad('schemaVersion', j.schemaVersion, '1');
  if (!FLOAT_ACTS.includes(j.activation as never)) throw bad('activation', j.activation, FLOAT_ACTS.join(', '));
  if (!Array.isArray(j.inputShape) || !j.inputShape.every((v) => Number.isInteger(v) && v > 0)) throw bad('inputShape', j.inputShape, 'positive integers');
  if (!Array.isArray(j.layers)) throw bad('layers', j.layers, 'an array');
  const blob = (field: string, file: unknown, bytes: number): Buffer => {
    if (typeof file !== 'string' || !/^blobs\/[\w.-]+$/.test(file)) throw bad(field, file, 'a file name under blobs/');
    const b = readInputFile(join(dir, file), 'model blob');
    if (b.length !== bytes) throw new InputError(`${join(dir, file)}: ${b.length} bytes; expected ${bytes} (${field})`);
    return b;
  };
  const f32 = (b: Buffer): Float32Array => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
  const layers: WoLayer[] = (j.layers as Record<string, unknown>[]).map((l, i) => {
    const at = `layers[${i}]`;
    const int = (k: string, lo = 1): number => {
      if (!Number.isInteger(l[k]) || (l[k] as number) < lo) throw bad(`${at}.${k}`, l[k], `an integer >= ${lo}`);
      return l[k] as number;
    };
    const name = typeof l.name === 'string' ? l.name : `${i}`;
    switch (l.kind) {
      case 'relu': case 'hardtanh': case 'flatten':
        return { kind: l.kind, name };
      case 'maxpool2d':
        return { kind: 'maxpool2d', name, k: int('k') };
      case 'dense': case 'conv2d': {
        const rows = l.kind === 'dense' ? int('out') : int('outC');
        const K = l.kind === 'dense' ? int('in') : int('inC') * int('k') ** 2;
        const w = (l.weight ?? {}) as Record<string, unknown>;
        const bits = w.bits;
        if (!Number.isInteger(bits) || (bits as number) < 2 || (bits as number) > 8) throw bad(`${at}.weight.bits`, bits, 'an integer 2..8');
        if (!Number.isInteger(w.group) || (w.group as number) < 1 || (w.group as number) > K) throw bad(`${at}.weight.group`, w.group, `an integer 1..${K}`);
        const G = groupCount(K, w.group as number);
        const cb = blob(`${at}.weight.codes`, w.codes, rows * K);
        const codes = Int32Array.from(new Int8Array(cb.buffer, cb.byteOffset, cb.length));
        const qmax = 2 ** ((bits as number) - 1) - 1;
        const badCode = codes.findIndex((q) => q < -qmax || q > qmax);
        if (badCode >= 0) throw new InputError(`${join(dir, String(w.codes))}: code ${badCode} = ${codes[badCode]} outside int${bits} [-${qmax}, ${qmax}]`);
        const scale = f32(blob(`${at}.weight.scales`, w.scales, 4 * rows * G));
        const badScale = scale.findIndex((s) => !(s > 0 && Number.isFinite(s)));
        if (badScale >= 0) throw new InputError(`${join(dir, String(w.scales))}: scale ${badScale} = ${scale[badScale]}; scales are finite and > 0`);
        const bias = l.bias === null ? null : f32(blob(`${at}.bias`, l.bias, 4 * rows));
        const weight: WoWeight = { bits: bits as number, data: codes, group: w.group as number, scale };
        return l.kind === 'dense'
          ? { kind: 'dense', name, in: K, out: rows, weight, bias }
          : { kind: 'conv2d', name, inC: int('inC'), outC: rows, k: int('k'), stride: int('stride'), pad: int('pad', 0), weight, bias };
      }
      default:
        throw bad(`${at}.kind`, l.kind, 'dense, conv2d, relu, hardtanh, maxpool2d or flatten');
    }
  });
  const m: WeightOnlyModel = {
    format: WEIGHT_ONLY_FORMAT, schemaVersion: 1, name: String(j.name), inputShape: j.inputShape as number[],
    activation: j.activation as WeightOnlyModel['activation'], layers, provenance: j.provenance as WeightOnlyModel['provenance'],
  };
  try {
    woShapes(m);
  } catch (e) {
    throw new InputError(`${where}: ${(e as Error).message}`);
  }
  return m;
}
