/**
 * `lowbit autoquant`: hardware-aware automatic mixed precision for an MLP on a Design.
 *  1. Train the FP32 network (dropout 0, so its gradient is deterministic for the Hessian).
 *  2. Sensitivity of every weighted layer at every candidate bit-width (src/train/sensitivity.ts): HAWQ's
 *     Omega from the Hutchinson trace of the layer's Hessian (src/train/hessian.ts), and the measured
 *     validation loss/accuracy with that layer alone quantized (weights, and the activation after it).
 *  3. The cost of every layer choice on the Design from lowbit's cost model (src/explore/bitwidth_cost.ts)
 *     and the exact Pareto front of (cost, predicted loss increase) over all per-layer configurations
 *     (src/explore/bitwidth.ts); the configuration of least predicted increase within the budget is chosen.
 *     Predicted increase = sum_l sW_l(w_l) + sum_l sA_l(a_l): sW = HAWQ's Omega (`sensitivity: 'hessian'`)
 *     or the measured loss increase (`'measured'`), sA = the measured loss increase (HAWQ has no trace for
 *     activations).
 *  4. QAT fine-tuning, from the FP32 weights, of the chosen configuration, of `frontPoints` other front
 *     configurations spread over the cost range, and of every uniform scheme (same epochs, same data, same
 *     seed): each exported QuantizedModel is evaluated on the MNIST test set with integerInference and
 *     costed on the Design as it is (the cost of the trained model, not of the probe). With `seeds` N > 1
 *     every configuration is fine-tuned N times (training seeds seed..seed+N-1: data order, held-out split,
 *     augmentation; the FP32 start is the same) and its accuracy is the mean, with the per-seed values kept
 *     so that the report can say whether a difference exceeds the seed-to-seed spread.
 * The selection uses only the training split (validation images held out of it); the test set only measures.
 */
import { loadMnist, type ImageDataset } from '../data/mnist.js';
import { gatherBatch, headView, trainValSplit, type DatasetView } from '../data/batches.js';
import { buildNetwork, type ArchName } from '../train/arch.js';
import { Dense } from '../train/dense.js';
import { BatchNorm } from '../train/norm.js';
import type { Network } from '../train/network.js';
import { testAccuracy, train, type TrainConfig } from '../train/trainer.js';
import { trainConfigFor, integerAccuracy } from '../train/run.js';
import { exportQuantized } from '../train/export.js';
import { networkHessianTraces, type GroupTrace } from '../train/hessian.js';
import { layerSensitivities, type LayerSensitivity, type LossAcc } from '../train/sensitivity.js';
import type { Design } from '../hw/design.js';
import type { QuantizedModel } from '../model/types.js';
import { bestUnder, bitFront, configName, uniformConfigs, type BitConfig, type BitPoint } from '../explore/bitwidth.js';
import { configModel, fillCostTable, modelCost, withoutWeightLimit, type CostContext, type CostMetric } from '../explore/bitwidth_cost.js';
import { InputError } from '../util/errors.js';

export interface AutoquantOptions {
  arch: Exclude<ArchName, 'cnn' | 'cnv'>;
  hidden?: number[];
  design: Design;
  metric: CostMetric;
  /** the budget in the metric's units, or the name of a uniform scheme (`w2a2`) whose cost it is */
  budget: number | string;
  wBits: number[];
  aBits: number[];
  sensitivity: 'hessian' | 'measured';
  fpEpochs: number;
  epochs: number;
  trainImages?: number;
  valImages: number;
  /** images of the fixed batch the Hessian is taken on, and Rademacher samples */
  hessianImages: number;
  hessianSamples: number;
  frontPoints: number;
  seed: number;
  /** fine-tuning runs per configuration (training seeds seed..seed+seeds-1); default 1 */
  seeds?: number;
  batch: number;
  dataDir?: string;
  log?: (line: string) => void;
}

export interface TrainedPoint {
  kind: 'chosen' | 'front' | 'uniform';
  name: string;
  config: BitConfig;
  /** predicted (the search's) and measured (the trained model's) cost */
  predictedCost: number;
  cost: number;
  sensitivity: number | null;
  /** mean over the fine-tuning seeds of the MNIST test (and validation) accuracy */
  testAccuracy: number;
  valAccuracy: number;
  /** test accuracy of each fine-tuning seed (seed, seed+1, ...); the first is `model`'s */
  accuracies: number[];
  /** the model fine-tuned with the first seed */
  model: QuantizedModel;
}

export interface AutoquantResult {
  options: Omit<AutoquantOptions, 'design' | 'log'> & { design: string };
  fp32: { testAccuracy: number; val: LossAcc };
  traces: GroupTrace[];
  sensitivities: LayerSensitivity[];
  budget: number;
  /** the Design's weight buffer in bits: configurations whose weights need more do not compile */
  weightCapacity: number;
  front: BitPoint[];
  /** every uniform scheme; `cost` null and `error` the compiler's message when it does not run on the Design */
  uniform: { name: string; config: BitConfig; cost: number | null; error?: string }[];
  infeasible: [string, string][];
  trained: TrainedPoint[];
  chosen: TrainedPoint;
  /** the best uniform scheme costing at least the chosen model's cost (null: none costs that much) */
  bestUniformAtOrAbove: TrainedPoint | null;
  seconds: number;
}

/** Copies the FP32 network's weights and batch-norm state into a QAT network of the same layer sequence. */
export function initFrom(fp: Network, q: Network): void {
  const dense = (net: Network): Dense[] => net.layers.filter((l): l is Dense => l instanceof Dense);
  const norms = (net: Network): BatchNorm[] => net.layers.filter((l): l is BatchNorm => l instanceof BatchNorm);
  const [fd, qd] = [dense(fp), dense(q)];
  const [fb, qb] = [norms(fp), norms(q)];
  if (fd.length !== qd.length || fb.length !== qb.length) throw new InputError('initFrom: the FP32 and QAT networks have different layer sequences');
  fd.forEach((d, i) => qd[i]!.weight.value.set(d.weight.value));
  fb.forEach((b, i) => {
    const t = qb[i]!;
    t.gamma.value.set(b.gamma.value);
    t.beta.value.set(b.beta.value);
    t.mean.set(b.mean);
    t.var.set(b.var);
  });
}

function viewBatch(v: DatasetView, n: number): { x: Float32Array; y: Uint8Array; n: number } {
  const m = Math.min(n, v.indices.length);
  const x = new Float32Array(m * v.data.rows * v.data.cols);
  const y = new Uint8Array(m);
  gatherBatch(v.data, v.indices, 0, m, x, y);
  return { x, y, n: m };
}

export function autoquant(o: AutoquantOptions): AutoquantResult {
  const t0 = performance.now();
  const log = o.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const data = loadMnist('train', o.dataDir);
  const test = loadMnist('test', o.dataDir);
  // 1. FP32
  const fpCfg: TrainConfig = { ...trainConfigFor({ ...runBase(o, o.seed), wbits: 32, abits: 32, epochs: o.fpEpochs }), label: `${o.arch} fp32` };
  const fp = train(fpCfg, data).net;
  const split = trainValSplit(data, o.valImages, o.seed ^ 0x5eed);
  const val = viewBatch(split.val, o.valImages);
  const fpTest = testAccuracy(fp, test);
  // 2. sensitivities: the Hessian on a fixed batch of training images, the measurements on the validation images
  const hb = viewBatch(headView(split.train, o.hessianImages), o.hessianImages);
  log(`autoquant: Hessian traces (${o.hessianSamples} Rademacher samples on ${hb.n} images)`);
  const traces = networkHessianTraces(fp, hb.x, hb.y, hb.n, { samples: o.hessianSamples, seed: o.seed });
  const sens = layerSensitivities(fp, traces, val.x, val.y, val.n, o.wBits, o.aBits);
  const L = traces.length;
  const sW = sens.layers.map((s) => new Map(o.wBits.map((b) => [b, o.sensitivity === 'hessian' ? s.hawq.get(b)! : s.weight.get(b)!.loss - sens.base.loss])));
  const sA = sens.layers.slice(0, L - 1).map((s) => new Map(o.aBits.map((b) => [b, s.act!.get(b)!.loss - sens.base.loss])));
  // 3. costs and the front
  const ctx: CostContext = { design: o.design, metric: o.metric, batch: o.batch };
  const costOf = (cfg: BitConfig) => modelCost(configModel(o.arch, o.hidden, cfg), ctx);
  log(`autoquant: per-layer ${o.metric} on ${o.design.name}`);
  // the table on the Design without its weight-buffer capacity; the search enforces the capacity on the sum
  const unlimited: CostContext = { ...ctx, design: withoutWeightLimit(o.design) };
  const table = fillCostTable(L, o.wBits, o.aBits, (cfg) => modelCost(configModel(o.arch, o.hidden, cfg), unlimited), 3, (n) => { if (n % 20 === 0) log(`  ${n} configurations compiled`); });
  const weightCapacity = o.design.buffers.weightBytes * 8;
  const front = bitFront({ layers: L, wBits: o.wBits, aBits: o.aBits, sW, sA, cost: table.cost, base: table.shared, capacity: { bits: table.weightBits, limit: weightCapacity } });
  const uniform = uniformConfigs(L, o.wBits, o.aBits).map((u) => {
    try {
      return { ...u, cost: costOf(u.config).total };
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      return { ...u, cost: null, error: e.message };
    }
  });
  const budget = typeof o.budget === 'number' ? o.budget : uniformBudget(o.budget, uniform);
  const pick = bestUnder(front, budget);
  if (!pick) throw new InputError(`--budget ${o.budget}: no configuration costs at most ${budget} ${o.metric} on ${o.design.name} (the cheapest costs ${front[0]?.cost ?? 'n/a'}); raise the budget`);
  // 4. fine-tuning: the chosen point, front points spread over the uniform schemes' cost range, every uniform scheme
  const maxUniform = Math.max(...uniform.flatMap((u) => (u.cost === null ? [] : [u.cost])), pick.cost);
  // a front point that is a uniform configuration is fine-tuned among the uniform schemes already
  const uniformNames = new Set(uniform.map((u) => configName(u.config)));
  const others = spread(front.filter((p) => p !== pick && p.cost <= maxUniform && !uniformNames.has(configName(p.config))), o.frontPoints);
  const jobs: { kind: TrainedPoint['kind']; name: string; config: BitConfig; predictedCost: number; sensitivity: number | null }[] = [
    { kind: 'chosen', name: configName(pick.config), config: pick.config, predictedCost: pick.cost, sensitivity: pick.sensitivity },
    ...others.map((p) => ({ kind: 'front' as const, name: configName(p.config), config: p.config, predictedCost: p.cost, sensitivity: p.sensitivity })),
    ...uniform.flatMap((u) => (u.cost === null ? [] : [{ kind: 'uniform' as const, name: u.name, config: u.config, predictedCost: u.cost, sensitivity: null }])),
  ];
  const seeds = Array.from({ length: o.seeds ?? 1 }, (_, i) => o.seed + i);
  const trained = jobs.map((j, k): TrainedPoint => {
    const runs = seeds.map((seed) => {
      log(`autoquant: fine-tuning ${k + 1}/${jobs.length}${seeds.length > 1 ? ` (seed ${seed})` : ''}: ${j.kind} ${j.name}`);
      return fineTune(o, fp, data, test, j, seed);
    });
    const mean = (f: (r: FineTuned) => number): number => runs.reduce((a, r) => a + f(r), 0) / runs.length;
    const first = runs[0]!;
    return { ...j, cost: modelCost(first.model, ctx).total, testAccuracy: mean((r) => r.testAccuracy), valAccuracy: mean((r) => r.valAccuracy), accuracies: runs.map((r) => r.testAccuracy), model: first.model };
  });
  const chosen = trained[0]!;
  const above = trained.filter((t) => t.kind === 'uniform' && t.cost >= chosen.cost);
  const bestUniformAtOrAbove = above.reduce<TrainedPoint | null>((a, t) => (a === null || t.testAccuracy > a.testAccuracy ? t : a), null);
  const { design: _d, log: _l, ...opts } = o;
  return {
    options: { ...opts, design: o.design.name }, fp32: { testAccuracy: fpTest, val: sens.base }, traces, sensitivities: sens.layers, budget, weightCapacity, front,
    uniform, infeasible: [...table.infeasible], trained, chosen, bestUniformAtOrAbove, seconds: (performance.now() - t0) / 1000,
  };
}

/** The training options every run of the flow shares (dropout 0: a deterministic gradient for the Hessian). */
function runBase(o: AutoquantOptions, seed: number) {
  return { arch: o.arch, ...(o.hidden ? { hidden: o.hidden } : {}), seed, dropout: 0, valCount: o.valImages, ...(o.trainImages ? { maxTrain: o.trainImages } : {}) };
}

interface FineTuned { model: QuantizedModel; testAccuracy: number; valAccuracy: number }

/** QAT of one configuration from the FP32 network with training seed `seed`, exported and measured on the test set. */
function fineTune(o: AutoquantOptions, fp: Network, data: ImageDataset, test: ImageDataset, j: { kind: TrainedPoint['kind']; name: string; config: BitConfig }, seed: number): FineTuned {
  const cfg: TrainConfig = { ...trainConfigFor({ ...runBase(o, seed), wbits: 8, abits: 4, method: 'pact', epochs: o.epochs }), label: `${j.kind} ${j.name}` };
  cfg.net = { ...cfg.net, layerBits: j.config };
  const net = buildNetwork(cfg.net, seed);
  initFrom(fp, net);
  const r = train(cfg, data, { net });
  const valAccuracy = r.log[r.log.length - 1]?.valAcc ?? NaN;
  const model = exportQuantized(r.net, `${o.arch}-${j.kind === 'uniform' ? j.name : 'mixed'}`, {
    tool: 'lowbit autoquant', date: new Date().toISOString(), source: `per-layer bits ${configName(j.config)}`, accuracy: [],
    notes: `QAT fine-tuned ${o.epochs} epochs from FP32, seed ${seed} (${j.kind === 'uniform' ? 'uniform scheme' : `autoquant, ${o.metric} on ${o.design.name}`})`,
  });
  const testAccuracy = integerAccuracy(model, test);
  model.provenance.accuracy.push({ dataset: 'mnist-test', metric: 'top1', value: testAccuracy, samples: test.count });
  return { model, testAccuracy, valAccuracy };
}

/** The cost of the named uniform scheme (`--budget w2a2`). */
function uniformBudget(name: string, uniform: { name: string; cost: number | null; error?: string }[]): number {
  const u = uniform.find((x) => x.name === name);
  if (!u) throw new InputError(`--budget ${name}: not a number or a uniform scheme of the candidate bits; allowed: a number or one of ${uniform.map((x) => x.name).join(', ')}`);
  if (u.cost === null) throw new InputError(`--budget ${name}: that uniform scheme does not run on the Design (${u.error}); use a number or another scheme`);
  return u.cost;
}

/** Up to k points of an ascending-cost list, evenly spread by index (first and last included). */
function spread<T>(xs: T[], k: number): T[] {
  if (k <= 0 || xs.length === 0) return [];
  if (xs.length <= k) return xs;
  const idx = new Set(Array.from({ length: k }, (_, i) => Math.round((i * (xs.length - 1)) / Math.max(1, k - 1))));
  return [...idx].map((i) => xs[i]!);
}
