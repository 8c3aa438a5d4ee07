import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InputError, didYouMean } from '../util/errors.js';
import { packageRoot } from '../util/package.js';
import { loadQuantizedModel, MANIFEST } from './format.js';
import { importOnnx } from './onnx/import.js';
import { isWeightOnlyDir } from './weight_only_io.js';
import type { QuantizedModel } from './types.js';

/**
 * The model argument (`--model` of every command, and the library's way to name a shipped model): a
 * QuantizedModel folder (`model.json` + blobs), a quantized `.onnx` file (imported on the fly, named after the file), or the
 * name of a model shipped with lowbit (`sfc-w4a4`), looked up in the package's `models/` folder when no
 * file of that name exists. Relative paths are relative to the working directory.
 */

/** The folder of lowbit's shipped models (inside the installed package). */
export function shippedModelsDir(): string {
  return join(packageRoot(), 'models');
}

/** Names of the shipped models (`sfc-w1a1`, `sfc-w4a4`, ...). */
export function shippedModels(): string[] {
  const dir = shippedModelsDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => existsSync(join(dir, n, MANIFEST))).sort();
}

/** The folder of the shipped model `name`; an InputError listing the shipped models if there is none. */
export function shippedModel(name: string): string {
  const dir = join(shippedModelsDir(), name);
  if (!existsSync(join(dir, MANIFEST))) throw new InputError(`no shipped model "${name}"; shipped: ${shippedModels().join(', ')}${didYouMean(name, shippedModels())}`);
  return dir;
}

/** Resolves a model argument to a path: the path itself if it exists, else a shipped model of that name. */
export function resolveModelPath(arg: string): string {
  if (existsSync(arg)) return arg;
  const name = arg.replace(/^models\//, '').replace(/\/+$/, '');
  if (shippedModels().includes(name)) return shippedModel(name);
  throw new InputError(`model ${arg}: no such file or folder, and no shipped model of that name (shipped: ${shippedModels().join(', ')})${didYouMean(name, shippedModels())}`);
}

/** The path of a model argument when it is a weight-only model folder, else null. */
export function weightOnlyPath(arg: string): string | null {
  if (!existsSync(arg) && !shippedModels().includes(arg.replace(/^models\//, '').replace(/\/+$/, ''))) return null;
  const path = resolveModelPath(arg);
  return isWeightOnlyDir(path) ? path : null;
}

/** Loads a model argument: a QuantizedModel folder, a quantized .onnx file or a shipped model's name. */
export function loadModel(arg: string): QuantizedModel {
  const path = resolveModelPath(arg);
  if (isWeightOnlyDir(path)) {
    throw new InputError(`model ${arg} is a weight-only model (integer weights, float activations): \`lowbit infer\`, \`run\` and \`estimate\` take it; this command needs integer activations (quantize with --scheme wXaY)`);
  }
  // an .onnx file is named after the file, as `quantize --model` names it (exporters' graph names are
  // generic: PyTorch's is "main_graph" for every model)
  return /\.onnx$/i.test(path) ? importOnnx(path, { name: basename(path).replace(/\.onnx$/i, '') }) : loadQuantizedModel(path);
}
