/**
 * The `lowbit autoquant` report: accuracy against the budget metric (every fine-tuned configuration, the
 * chosen one, the front points and every uniform scheme), the comparison with every uniform scheme at the
 * same cost, the predicted Pareto front, and the per-layer sensitivities. Numbers are the measured ones.
 */
import type { Report, Section } from '../report/document.js';
import { configName } from '../explore/bitwidth.js';
import { METRIC_UNITS } from '../explore/bitwidth_cost.js';
import type { AutoquantResult, TrainedPoint } from './autoquant.js';

const pct = (x: number): string => `${(x * 100).toFixed(2)} %`;
const num = (x: number): string => (Number.isInteger(x) ? String(x) : x.toPrecision(6));
const sci = (x: number): string => x.toExponential(2);

/** Sample variance of a point's per-seed test accuracies (0 with one seed). */
function variance(t: TrainedPoint): number {
  const n = t.accuracies.length;
  if (n < 2) return 0;
  return t.accuracies.reduce((a, x) => a + (x - t.testAccuracy) ** 2, 0) / (n - 1);
}

/** Accuracy cell: the mean, and with several seeds its sample standard deviation and the per-seed values. */
function accCell(t: TrainedPoint): string {
  if (t.accuracies.length < 2) return pct(t.testAccuracy);
  return `${pct(t.testAccuracy)} +- ${(Math.sqrt(variance(t)) * 100).toFixed(2)} (${t.accuracies.map((a) => (a * 100).toFixed(2)).join(', ')})`;
}

/**
 * Difference a - b of mean test accuracies in points and whether it exceeds the seed-to-seed noise: the
 * standard error of a difference of two means of n_a and n_b independent runs is
 * sqrt(s_a^2 / n_a + s_b^2 / n_b) (s^2 the sample variances); a difference is called real when it is more
 * than twice that. One seed gives no noise estimate.
 */
export function difference(a: TrainedPoint, b: TrainedPoint): { points: number; se: number | null; real: boolean | null } {
  const points = (a.testAccuracy - b.testAccuracy) * 100;
  if (a.accuracies.length < 2 || b.accuracies.length < 2) return { points, se: null, real: null };
  const se = Math.sqrt(variance(a) / a.accuracies.length + variance(b) / b.accuracies.length) * 100;
  return { points, se, real: Math.abs(points) > 2 * se };
}

function differenceText(a: TrainedPoint, b: TrainedPoint): string {
  const d = difference(a, b);
  const what = d.points > 0 ? `better by ${d.points.toFixed(2)} points` : d.points === 0 ? 'equal' : `worse by ${(-d.points).toFixed(2)} points`;
  if (d.se === null) return `${what} (one fine-tuning seed: no noise estimate)`;
  return `${what} (s.e. of the difference ${d.se.toFixed(2)} over ${a.accuracies.length} and ${b.accuracies.length} seeds: ${d.real ? 'larger than 2 s.e., a real difference' : 'within 2 s.e., not distinguishable from the seed-to-seed spread'})`;
}

/**
 * The verdict, both ways of reading "the best uniform scheme of equal or higher cost": among the uniform
 * schemes within the same budget that cost at least the chosen model (cost in [chosen, budget]), and among
 * all uniform schemes costing at least the chosen model, whatever their cost; and against the most accurate
 * uniform scheme that runs on the Design at all (any cost, cheaper ones included).
 */
export function verdict(r: AutoquantResult): string {
  const c = r.chosen;
  const vs = (u: TrainedPoint | null, what: string): string => {
    if (!u) return `No uniform scheme ${what}.`;
    return `Against the best uniform scheme ${what}, ${u.name} (${num(u.cost)}) at ${pct(u.testAccuracy)}: ${differenceText(c, u)}.`;
  };
  const within = r.trained.filter((t) => t.kind === 'uniform' && t.cost >= c.cost && t.cost <= r.budget).reduce<TrainedPoint | null>((a, t) => (a === null || t.testAccuracy > a.testAccuracy ? t : a), null);
  const best = r.trained.filter((t) => t.kind === 'uniform').reduce<TrainedPoint | null>((a, t) => (a === null || t.testAccuracy > a.testAccuracy ? t : a), null);
  return `The chosen model (${c.name}, ${num(c.cost)} ${r.options.metric}) reaches ${pct(c.testAccuracy)}. ${vs(within, `costing at least as much within the budget ${num(r.budget)}`)} ${vs(r.bestUniformAtOrAbove, 'costing at least as much, any cost')} ${vs(best, 'that runs on the Design, any cost')}`;
}

/**
 * The uniform schemes that do not run on the Design, with the compiler's reason: they are not competitors
 * (a scheme whose weights exceed the weight buffer, or whose layers no engine of the Design takes, cannot be
 * deployed on it at any cost).
 */
export function excludedUniform(r: AutoquantResult): string {
  const out = r.uniform.filter((u) => u.cost === null);
  if (out.length === 0) return `Every uniform scheme of the candidate bits runs on the Design (weight buffer ${num(r.weightCapacity)} bits).`;
  return `Uniform schemes excluded (they do not run on the Design, weight buffer ${num(r.weightCapacity)} bits, so they are not competitors): ${out.map((u) => `${u.name} (${u.error ?? 'does not compile'})`).join('; ')}.`;
}

/** A trained point without its model (the report's data: the chosen model is written by --out). */
function noModel({ model: _m, ...t }: TrainedPoint): Omit<TrainedPoint, 'model'> {
  return t;
}

/** The best fine-tuned mixed configuration (chosen or front) costing at most `cost`. */
function bestMixedUnder(r: AutoquantResult, cost: number): TrainedPoint | null {
  return r.trained.filter((t) => t.kind !== 'uniform' && t.cost <= cost).reduce<TrainedPoint | null>((a, t) => (a === null || t.testAccuracy > a.testAccuracy ? t : a), null);
}

export function autoquantReport(r: AutoquantResult, command: string): Report {
  const o = r.options;
  const unit = METRIC_UNITS[o.metric];
  const rows = r.trained.map((t) => ({ kind: t.kind, configuration: t.name, cost: t.cost, accuracy: Number((t.testAccuracy * 100).toFixed(2)) }));
  const compare: Section = {
    heading: 'Comparison with every uniform scheme at the same cost',
    paragraphs: [
      'For each uniform scheme (every layer the same weight and activation bits, fine-tuned the same way), the best fine-tuned mixed configuration whose measured cost is at most the scheme\'s.',
      verdict(r),
      excludedUniform(r),
    ],
    table: {
      columns: ['uniform', `cost (${unit})`, 'test accuracy', 'best mixed at <= cost', 'its cost', 'its accuracy', 'difference (points)', 'real (> 2 s.e.)'],
      rows: r.uniform.map((u) => {
        const t = r.trained.find((x) => x.kind === 'uniform' && x.name === u.name);
        if (!t) return [u.name, 'does not run on the Design', '-', '-', '-', '-', (u.error ?? '').slice(0, 160), '-'];
        const m = bestMixedUnder(r, t.cost);
        const d = m ? difference(m, t) : null;
        const real = d === null || d.se === null ? '-' : `${d.real ? 'yes' : 'no'} (s.e. ${d.se.toFixed(2)})`;
        return [u.name, num(t.cost), accCell(t), m ? m.name : '-', m ? num(m.cost) : '-', m ? accCell(m) : '-', d ? d.points.toFixed(2) : '-', real];
      }),
    },
  };
  const sensRows = r.sensitivities.map((s, l) => [
    `layer ${l}`, `${sci(r.traces[l]!.trace)} +- ${sci(r.traces[l]!.stderr)}`, String(r.traces[l]!.size),
    o.wBits.map((b) => `w${b} ${sci(s.hawq.get(b)!)}`).join(', '),
    o.wBits.map((b) => `w${b} ${sci(s.weight.get(b)!.loss - r.fp32.val.loss)} (${((s.weight.get(b)!.accuracy - r.fp32.val.accuracy) * 100).toFixed(2)})`).join(', '),
    s.act ? o.aBits.map((b) => `a${b} ${sci(s.act!.get(b)!.loss - r.fp32.val.loss)} (${((s.act!.get(b)!.accuracy - r.fp32.val.accuracy) * 100).toFixed(2)})`).join(', ') : '-',
  ]);
  return {
    title: `autoquant: ${o.arch} on ${o.design}, ${o.metric} budget ${num(r.budget)}`,
    generated: new Date().toISOString(),
    sections: [
      {
        heading: 'Result',
        paragraphs: [
          `Command: \`${command}\` (${r.seconds.toFixed(0)} s).`,
          `Chosen per-layer bits (first to last layer; wXaY = X-bit weights, Y-bit activation after the layer): **${r.chosen.name}**, ${num(r.chosen.cost)} ${unit} (budget ${num(r.budget)}${typeof o.budget === 'string' ? `, the cost of uniform ${o.budget}` : ''}), MNIST test accuracy ${pct(r.chosen.testAccuracy)} (exported integer model, integerInference, 10,000 images). FP32 network: ${pct(r.fp32.testAccuracy)}.`,
          verdict(r),
          excludedUniform(r),
          `Fine-tuning: ${o.epochs} epoch(s) of QAT from the FP32 weights${o.trainImages ? ` on ${o.trainImages} training images per epoch` : ''}, the same for every configuration${(o.seeds ?? 1) > 1 ? `, ${o.seeds} times with training seeds ${o.seed}..${o.seed + o.seeds! - 1} (accuracies are means; +- the sample standard deviation, the per-seed values in brackets)` : ''}; FP32 training ${o.fpEpochs} epoch(s). Sensitivity for the search: ${o.sensitivity === 'hessian' ? "HAWQ's Omega for weights" : 'the measured loss increase for weights'}, the measured loss increase for activations.`,
        ],
      },
      {
        heading: `Accuracy against ${o.metric}`,
        paragraphs: ['Every fine-tuned configuration at its measured cost on the Design (the exported model compiled and estimated).'],
        table: { columns: ['kind', 'configuration', `cost (${unit})`, 'predicted cost', 'predicted loss increase', 'test accuracy', 'val accuracy'], rows: r.trained.map((t) => [t.kind, t.name, num(t.cost), num(t.predictedCost), t.sensitivity === null ? '-' : sci(t.sensitivity), accCell(t), pct(t.valAccuracy)]) },
        charts: [{ id: 'accuracy-vs-cost', title: `MNIST test accuracy vs ${o.metric} (${o.arch}, ${o.design})`, data: rows, mark: 'point', x: { field: 'cost', title: unit, scale: 'log' }, y: { field: 'accuracy', title: 'test accuracy (%)' }, color: 'kind', tooltip: ['configuration', 'cost', 'accuracy'] }],
      },
      compare,
      {
        heading: 'Predicted Pareto front',
        paragraphs: [`The exact Pareto front of (cost, predicted loss increase) over all ${o.wBits.length}^${r.traces.length} x ${o.aBits.length}^${r.traces.length - 1} per-layer configurations, by dynamic programming over the layer chain: ${r.front.length} points. Layer choices that do not compile on the Design: ${r.infeasible.length}${r.infeasible.length ? ` (e.g. ${r.infeasible[0]![0]}: ${r.infeasible[0]![1].slice(0, 140)})` : ''}.`],
        table: { columns: ['configuration', `cost (${unit})`, 'predicted loss increase'], rows: r.front.map((p) => [configName(p.config), num(p.cost), sci(p.sensitivity)]) },
        charts: [{ id: 'front', title: `Predicted front: loss increase vs ${o.metric}`, data: r.front.map((p) => ({ configuration: configName(p.config), cost: p.cost, loss: p.sensitivity })), mark: 'line', x: { field: 'cost', title: unit, scale: 'log' }, y: { field: 'loss', title: 'predicted loss increase', scale: 'log' }, tooltip: ['configuration'] }],
      },
      {
        heading: 'Per-layer sensitivity',
        paragraphs: [
          `Hessian trace of each layer's weights (Hutchinson, ${o.hessianSamples} Rademacher samples, Hessian-vector products by central differences of the training gradients, on ${o.hessianImages} training images), HAWQ's Omega = 1/2 Tr(H)/n |Q(W) - W|^2, and the measured change of validation loss (accuracy, points) with the layer alone quantized (${o.valImages} held-out images; FP32 loss ${r.fp32.val.loss.toFixed(4)}, accuracy ${pct(r.fp32.val.accuracy)}).`,
        ],
        table: { columns: ['layer', 'Tr(H) +- s.e.', 'n', 'HAWQ Omega (weights)', 'measured dLoss (dAcc) weights', 'measured dLoss (dAcc) activation'], rows: sensRows },
      },
    ],
    data: { ...r, trained: r.trained.map(noModel), chosen: noModel(r.chosen), bestUniformAtOrAbove: r.bestUniformAtOrAbove ? noModel(r.bestUniformAtOrAbove) : null, sensitivities: r.sensitivities.map((s) => ({ layer: s.layer, hawq: [...s.hawq], weight: [...s.weight], act: s.act ? [...s.act] : null })) },
  };
}
