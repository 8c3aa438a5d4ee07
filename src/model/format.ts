import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { badValue, checkEnum, checkInt, InputError } from '../util/errors.js';
import { readInputFile, readInputText, writeDirAtomic } from '../util/fsafe.js';
import { blobBytes, decodeBlob, dtypeFor, isInsideName, encodeBlob, parseBlobRef, type BlobRef } from './blob.js';
import { int32Image, memoryImage, parseReadmemh, toReadmemh, type MemoryImage } from './memimage.js';
import { formatBits, LAYER_KINDS, SCHEMA_VERSION, type Conv2dLayer, type DenseLayer, type Layer, type QuantizedModel, type TensorFormat } from './types.js';
import { validateModel } from './validate.js';
import { docPath } from '../util/package.js';

/**
 * On-disk QuantizedModel: a folder `models/<name>/` with
 *   model.json            the manifest: {format: 'lowbit-quantized-model', schemaVersion, name, inputShape,
 *                         provenance, layers, memoryImages}; each layer as in types.ts, except that typed
 *                         arrays are replaced by blob references {file, dtype, count}
 *   blobs/*.bin           raw little-endian weights, biases, thresholds, group multipliers (blob.ts)
 *   mem/*.hex             `$readmemh` memory images (memimage.ts): weights packed into `wordBits` words,
 *                         biases and thresholds one int32 per 32-bit word
 * Saving is atomic (the whole folder appears at once). Loading validates every field (validate.ts), every
 * blob's size, and that every memory image equals the one the weights produce.
 */
export const MANIFEST = 'model.json';
export const MANIFEST_FORMAT = 'lowbit-quantized-model';

/** A memory image listed in the manifest. */
export interface MemoryImageRef {
  layer: string;
  tensor: 'weight' | 'bias' | 'thresholds';
  file: string;
  wordBits: number;
  words: number;
}

export interface SaveOptions {
  /** word width of the weight memory images, default 32 */
  wordBits?: number;
  /** replace `dir` even if it is not an earlier model folder (the CLI's --force) */
  force?: boolean;
}

/** What a model folder is to safe outputs (fsafe.ts): its marker kind and how to recognise an older one. */
export const MODEL_OUTPUT = { kind: 'quantized-model', legacy: legacyModelDir } as const;

/** A model folder written before output markers existed: model.json of this format, only model files. */
function legacyModelDir(dir: string, entries: string[]): boolean {
  if (!entries.every((e) => [MANIFEST, 'blobs', 'mem', 'train-log.json'].includes(e))) return false;
  try {
    return (JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as { format?: unknown }).format === MANIFEST_FORMAT;
  } catch {
    return false;
  }
}

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** The images of one layer (weight; bias; thresholds), in manifest order. */
export function layerImages(l: DenseLayer | Conv2dLayer, wordBits: number): { tensor: MemoryImageRef['tensor']; img: MemoryImage }[] {
  const r: { tensor: MemoryImageRef['tensor']; img: MemoryImage }[] = [{ tensor: 'weight', img: memoryImage(l, wordBits) }];
  if (l.bias) r.push({ tensor: 'bias', img: int32Image(l.bias) });
  if (l.output.kind === 'threshold') r.push({ tensor: 'thresholds', img: int32Image(l.output.thresholds) });
  return r;
}

/** Saves `model` into `dir` atomically (validates it first). */
export function saveQuantizedModel(model: QuantizedModel, dir: string, opts: SaveOptions = {}): void {
  validateModel(model, 'saveQuantizedModel');
  const wordBits = opts.wordBits ?? 32;
  writeDirAtomic(dir, (tmp) => {
    mkdirSync(join(tmp, 'blobs'));
    mkdirSync(join(tmp, 'mem'));
    const memoryImages: MemoryImageRef[] = [];
    const blob = (i: number, l: Layer, what: string, data: Int32Array, fmt: TensorFormat): BlobRef => {
      const file = `blobs/${i}_${safe(l.name)}.${what}.bin`;
      if (!isInsideName(file)) throw new Error(`blob name ${file} would not load`); // safe() guarantees it
      const dtype = dtypeFor(fmt);
      writeFileSync(join(tmp, file), encodeBlob(data, dtype));
      return { file, dtype, count: data.length };
    };
    const layers = model.layers.map((l, i) => {
      if (l.kind !== 'dense' && l.kind !== 'conv2d') return l;
      for (const { tensor, img } of layerImages(l, wordBits)) {
        const file = `mem/${i}_${safe(l.name)}.${tensor}.hex`;
        writeFileSync(join(tmp, file), toReadmemh(img));
        memoryImages.push({ layer: l.name, tensor, file, wordBits: img.wordBits, words: img.words.length });
      }
      const int32: TensorFormat = { type: 'int', bits: 32, signed: true };
      return {
        ...l,
        weight: {
          ...l.weight, data: blob(i, l, 'weight', l.weight.data, l.weight.format),
          ...(l.weight.group ? { group: { size: l.weight.group.size, multiplier: blob(i, l, 'group', l.weight.group.multiplier, int32) } } : {}),
        },
        bias: l.bias ? blob(i, l, 'bias', l.bias, int32) : null,
        output: l.output.kind === 'threshold' ? { ...l.output, thresholds: blob(i, l, 'thresholds', l.output.thresholds, int32) } : l.output,
      };
    });
    const manifest = {
      format: MANIFEST_FORMAT,
      schemaVersion: model.schemaVersion,
      name: model.name,
      inputShape: model.inputShape,
      provenance: model.provenance,
      layers,
      memoryImages,
    };
    writeFileSync(join(tmp, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  }, { ...MODEL_OUTPUT, force: opts.force });
}

/** Loads and validates a model folder; every problem is an InputError naming the file and the field. */
export function loadQuantizedModel(dir: string): QuantizedModel {
  const mpath = join(dir, MANIFEST);
  if (!existsSync(mpath)) throw new InputError(`${mpath}: not found; a model folder holds ${MANIFEST} (see ${docPath('model.md')})`);
  let m: Record<string, unknown>;
  const text = readInputText(mpath, 'model manifest');
  try {
    m = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`${mpath}: not valid JSON (${(e as Error).message})`);
  }
  if (m === null || typeof m !== 'object') throw badValue(mpath, m, 'a JSON object');
  if (m.format !== MANIFEST_FORMAT) throw badValue(`${mpath}: format`, m.format, JSON.stringify(MANIFEST_FORMAT));
  if (m.schemaVersion !== SCHEMA_VERSION) throw badValue(`${mpath}: schemaVersion`, m.schemaVersion, `${SCHEMA_VERSION} (this lowbit reads schema ${SCHEMA_VERSION})`);
  if (!Array.isArray(m.layers)) throw badValue(`${mpath}: layers`, m.layers, 'a list of layers');
  const readBlob = (field: string, v: unknown, fmt: TensorFormat): Int32Array => {
    const ref = parseBlobRef(`${mpath}: ${field}`, v);
    const want = dtypeFor(fmt);
    if (ref.dtype !== want) throw badValue(`${mpath}: ${field}.dtype`, ref.dtype, `${want} (the dtype of this tensor's format)`);
    const p = join(dir, ref.file);
    if (!existsSync(p)) throw new InputError(`${p}: not found (named by ${field}.file in ${mpath})`);
    return decodeBlob(readInputFile(p, `${mpath}: ${field}.file`, { inside: dir, maxBytes: blobBytes(ref.dtype, ref.count) }), ref, p);
  };
  const layers = (m.layers as unknown[]).map((raw, i) => {
    if (raw === null || typeof raw !== 'object') throw badValue(`${mpath}: layers[${i}]`, raw, 'a layer object');
    const l = raw as Record<string, unknown>;
    const kind = checkEnum(`${mpath}: layers[${i}].kind`, l.kind, LAYER_KINDS);
    if (kind !== 'dense' && kind !== 'conv2d') return l as unknown as Layer;
    const w = l.weight as Record<string, unknown> | undefined;
    if (w === null || typeof w !== 'object') throw badValue(`${mpath}: layers[${i}].weight`, w, '{format, data, zeroPoint, scale}');
    const fmt = w.format as TensorFormat;
    if (fmt === null || typeof fmt !== 'object' || (fmt.type !== 'int' && fmt.type !== 'binary')) {
      throw badValue(`${mpath}: layers[${i}].weight.format`, fmt, "{type: 'int', bits, signed} or {type: 'binary'}");
    }
    const int32: TensorFormat = { type: 'int', bits: 32, signed: true };
    const out = l.output as Record<string, unknown> | undefined;
    if (out === null || typeof out !== 'object') throw badValue(`${mpath}: layers[${i}].output`, out, 'an output stage object');
    const grp = w.group as Record<string, unknown> | undefined;
    if (grp !== undefined && (grp === null || typeof grp !== 'object')) throw badValue(`${mpath}: layers[${i}].weight.group`, grp, '{size, multiplier} or no field');
    return {
      ...l,
      weight: {
        ...w, data: readBlob(`layers[${i}].weight.data`, w.data, fmt),
        ...(grp ? { group: { size: grp.size, multiplier: readBlob(`layers[${i}].weight.group.multiplier`, grp.multiplier, int32) } } : {}),
      },
      bias: l.bias === null || l.bias === undefined ? null : readBlob(`layers[${i}].bias`, l.bias, int32),
      output: out.kind === 'threshold' ? { ...out, thresholds: readBlob(`layers[${i}].output.thresholds`, out.thresholds, int32) } : out,
    } as unknown as Layer;
  });
  const model: QuantizedModel = {
    schemaVersion: SCHEMA_VERSION,
    name: m.name as string,
    inputShape: m.inputShape as number[],
    layers,
    provenance: m.provenance as QuantizedModel['provenance'],
  };
  validateModel(model, mpath);
  checkProvenance(mpath, model.provenance);
  checkMemoryImages(dir, mpath, model, m.memoryImages);
  return model;
}

function checkProvenance(mpath: string, p: unknown): void {
  if (p === null || typeof p !== 'object') throw badValue(`${mpath}: provenance`, p, '{tool, date, source, accuracy}');
  const o = p as Record<string, unknown>;
  for (const k of ['tool', 'date', 'source']) if (typeof o[k] !== 'string') throw badValue(`${mpath}: provenance.${k}`, o[k], 'a string');
  if (!Array.isArray(o.accuracy)) throw badValue(`${mpath}: provenance.accuracy`, o.accuracy, 'a list of {dataset, metric, value, samples}');
}

/** Every dense/conv layer's images must be listed and equal what its tensors produce. */
function checkMemoryImages(dir: string, mpath: string, model: QuantizedModel, refs: unknown): void {
  if (!Array.isArray(refs)) throw badValue(`${mpath}: memoryImages`, refs, 'a list of {layer, tensor, file, wordBits, words}');
  const list = refs.map((r: unknown, i: number): MemoryImageRef => {
    const at = `${mpath}: memoryImages[${i}]`;
    if (r === null || typeof r !== 'object') throw badValue(at, r, '{layer, tensor, file, wordBits, words}');
    const o = r as Record<string, unknown>;
    if (typeof o.layer !== 'string') throw badValue(`${at}.layer`, o.layer, 'a layer name');
    if (typeof o.file !== 'string' || o.file === '' || o.file.includes('..')) throw badValue(`${at}.file`, o.file, 'a relative file name inside the model folder');
    return {
      layer: o.layer,
      tensor: checkEnum(`${at}.tensor`, o.tensor, ['weight', 'bias', 'thresholds']),
      file: o.file,
      wordBits: checkInt(`${at}.wordBits`, o.wordBits, 1, 4096),
      words: checkInt(`${at}.words`, o.words, 0, 2 ** 31 - 1),
    };
  });
  for (const l of model.layers) {
    if (l.kind !== 'dense' && l.kind !== 'conv2d') continue;
    const wref = list.find((r) => r.layer === l.name && r.tensor === 'weight');
    const wordBits = wref?.wordBits ?? 32;
    if (wordBits < formatBits(l.weight.format)) throw badValue(`${mpath}: memoryImages (${l.name}.weight).wordBits`, wordBits, `>= ${formatBits(l.weight.format)} (the weight width)`);
    for (const { tensor, img } of layerImages(l, wordBits)) {
      const ref = list.find((r) => r.layer === l.name && r.tensor === tensor);
      if (!ref) throw new InputError(`${mpath}: memoryImages: no ${tensor} image for layer ${l.name}; re-save the model`);
      const p = join(dir, ref.file);
      if (!existsSync(p)) throw new InputError(`${p}: not found (memory image of ${l.name}.${tensor})`);
      const words = parseReadmemh(readInputText(p, `${mpath}: memory image`, { inside: dir }), img.wordBits, p);
      if (words.length !== img.words.length || words.some((w, k) => w !== img.words[k])) {
        const k = words.findIndex((w, j) => w !== img.words[j]);
        throw new InputError(
          `${p}: does not match ${l.name}.${tensor} (${words.length} words, expected ${img.words.length}` +
            (k >= 0 ? `; first difference at word ${k}` : '') + '); the memory image is stale — re-save the model',
        );
      }
    }
  }
}
