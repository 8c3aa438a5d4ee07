/**
 * SCALE-Sim v2 (github.com/scalesim-project/scale-sim-v2) input files for a Design and a GEMM workload,
 * so the same accelerator can be run through SCALE-Sim for comparison:
 *
 *     python3 -m scalesim.scale -c <dir>/<name>.cfg -t <dir>/<name>_gemm.csv -i gemm
 *
 * Config (`.cfg`, read by `scale_config.read_conf_file`): `[general] run_name`; `[architecture_presets]`
 * ArrayHeight = rows, ArrayWidth = cols, Ifmap/Filter/OfmapSramSzkB = the activation/weight/output buffers
 * in KiB (rounded up), the default offsets, Bandwidth = off-chip bytes per cycle (rounded up; SCALE-Sim
 * counts one-byte words), Dataflow, MemoryBanks 1; `[sparsity]` with sparsity off (some versions require
 * the section); `[run_presets] InterfaceBandwidth: USER`.
 *
 * GEMM topology (`-i gemm`, read by `topology_utils.load_arrays_gemm`): a header line, then one line per
 * layer `name, M, N, K,` — note the column order M, N, K and the trailing comma: SCALE-Sim drops the last
 * comma-separated field of each row. It maps a row to a convolution with an M x K ifmap and N filters of
 * 1 x K, i.e. exactly lowbit's `Y (M x N) = A (M x K) W (K x N)`.
 *
 * `scaleSimCycles` gives SCALE-Sim's compute-cycle formulas (docs/architecture.md): os `ceil(M/R) ceil(N/C)` folds
 * of `K + R + C - 2`, ws `ceil(K/R) ceil(N/C)` folds of `2R + C + M - 2`, is `ceil(K/R) ceil(M/C)` folds
 * of `2R + C + N - 2`. SCALE-Sim reports the index of the last cycle, one less than the count.
 */
import { join } from 'node:path';
import { badValue, checkInt } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import type { Design } from './design.js';

export interface GemmLayer {
  name: string;
  M: number;
  K: number;
  N: number;
}

function checkLayer(l: GemmLayer, i: number): void {
  if (typeof l.name !== 'string' || !/^[A-Za-z0-9_.\- ]+$/.test(l.name) || l.name.trim() === '') {
    throw badValue(`layers[${i}].name`, l.name, 'letters, digits, spaces, _ . - (no commas)');
  }
  for (const k of ['M', 'K', 'N'] as const) checkInt(`layers[${i}].${k}`, l[k], 1, 2 ** 31);
}

/** The `.cfg` text for a Design. */
export function scaleSimConfig(design: Design, runName: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(runName)) throw badValue('runName', runName, 'letters, digits, _ . -');
  const kib = (bytes: number): number => Math.max(1, Math.ceil(bytes / 1024));
  return [
    '[general]',
    `run_name = ${runName}`,
    '',
    '[architecture_presets]',
    `ArrayHeight:    ${design.array.rows}`,
    `ArrayWidth:     ${design.array.cols}`,
    `IfmapSramSzkB:    ${kib(design.buffers.activationBytes)}`,
    `FilterSramSzkB:   ${kib(design.buffers.weightBytes)}`,
    `OfmapSramSzkB:    ${kib(design.buffers.outputBytes)}`,
    'IfmapOffset:    0',
    'FilterOffset:   10000000',
    'OfmapOffset:    20000000',
    `Bandwidth : ${Math.max(1, Math.ceil(design.offchipBytesPerCycle))}`,
    `Dataflow : ${design.array.dataflow}`,
    'MemoryBanks: 1',
    '',
    '[sparsity]',
    'SparsitySupport : false',
    'SparseRep : ellpack_block',
    'OptimizedMapping : false',
    'BlockSize : 8',
    'RandomNumberGeneratorSeed : 40',
    '',
    '[run_presets]',
    'InterfaceBandwidth: USER',
    '',
  ].join('\n');
}

/** The GEMM topology `.csv` text (`Layer, M, N, K,` rows with SCALE-Sim's trailing comma). */
export function scaleSimTopology(layers: GemmLayer[]): string {
  if (layers.length === 0) throw badValue('layers', layers, 'at least one GEMM layer');
  layers.forEach(checkLayer);
  return ['Layer, M, N, K,', ...layers.map((l) => `${l.name}, ${l.M}, ${l.N}, ${l.K},`)].join('\n') + '\n';
}

/** Writes `<dir>/<runName>.cfg` and `<dir>/<runName>_gemm.csv` atomically; returns their paths. */
export function writeScaleSim(dir: string, design: Design, layers: GemmLayer[], runName?: string): { cfg: string; topology: string; command: string } {
  const name = runName ?? `lowbit_${design.name.replace(/[^A-Za-z0-9_.-]/g, '_')}_${design.array.rows}x${design.array.cols}_${design.array.dataflow}`;
  const cfgText = scaleSimConfig(design, name);
  const topoText = scaleSimTopology(layers);
  const cfg = join(dir, `${name}.cfg`);
  const topology = join(dir, `${name}_gemm.csv`);
  writeFileAtomic(cfg, cfgText);
  writeFileAtomic(topology, topoText);
  return { cfg, topology, command: `python3 -m scalesim.scale -c ${cfg} -t ${topology} -i gemm` };
}

/** SCALE-Sim v2's compute cycles for one GEMM (see the file header). */
export function scaleSimCycles(design: Design, M: number, K: number, N: number): {
  folds: number; cyclesPerFold: number; cycles: number; reportedLastCycle: number;
} {
  const R = design.array.rows;
  const C = design.array.cols;
  const cd = (a: number, b: number): number => Math.ceil(a / b);
  let folds: number;
  let per: number;
  switch (design.array.dataflow) {
    case 'os':
      folds = cd(M, R) * cd(N, C);
      per = K + R + C - 2;
      break;
    case 'ws':
      folds = cd(K, R) * cd(N, C);
      per = 2 * R + C + M - 2;
      break;
    case 'is':
      folds = cd(K, R) * cd(M, C);
      per = 2 * R + C + N - 2;
      break;
  }
  return { folds, cyclesPerFold: per, cycles: folds * per, reportedLastCycle: folds * per - 1 };
}
