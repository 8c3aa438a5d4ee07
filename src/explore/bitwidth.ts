/**
 * Per-layer bit allocation of a chain network (an MLP) as a two-objective Pareto dynamic program
 * (`lowbit autoquant`): every weighted layer l picks weight bits w_l and (all but the last) the bits a_l of
 * the activation after it. A configuration has
 *   sensitivity S = sum_l sW[l](w_l) + sum_{l < L-1} sA[l](a_l)   (predicted loss increase, HAWQ-style),
 *   cost        C = c0 + sum_l c_l(a_{l-1}, w_l, a_l)            (a_{-1}: the input; a_{L-1}: raw logits),
 * where c_l is the layer's cost on the Design (bitwidth_cost.ts); an infeasible triple has no cost.
 * Layer l's cost depends on its own input and output bits only, so the problem is a chain: after layer l the
 * state is a_l, and for each state we keep the Pareto set of partial (cost, sensitivity) pairs (a partial
 * configuration dominated in both by another one with the same state can never complete to a front point,
 * since both complete identically). The result is the exact Pareto front of (C, S) over all configurations,
 * ascending in cost, strictly descending in sensitivity.
 *
 * With a capacity (the Design's weight buffer, `buffers.weightBytes`), each configuration also occupies
 *   M = sum_l m_l(a_{l-1}, w_l, a_l)   bits of weight memory (m_l: layer l's words x word bits, bitwidth_cost.ts),
 * and only configurations with M <= the capacity compile. Then a partial is kept unless another one with the
 * same state is at most as dear in cost, sensitivity AND memory (a partial dominated in (C, S) alone may
 * use less memory and be the only one that completes within the capacity), and a partial whose memory
 * already exceeds the capacity is dropped (m_l >= 0). The result is the exact Pareto front of (C, S)
 * over the configurations that fit.
 */

export interface LayerBits {
  w: number;
  /** bits of the activation after the layer (absent for the last layer) */
  a?: number;
}

export type BitConfig = LayerBits[];

/** The key of one layer's cost entry: its index, input bits (0: the network input), weight and output bits (0: raw). */
export function tripleKey(l: number, aIn: number, w: number, aOut: number): string {
  return `${l}:${aIn}:${w}:${aOut}`;
}

/** The (aIn, w, aOut) of every layer of a configuration, as `tripleKey`s. */
export function configTriples(cfg: BitConfig): string[] {
  return cfg.map((c, l) => tripleKey(l, l === 0 ? 0 : cfg[l - 1]!.a!, c.w, c.a ?? 0));
}

export interface BitProblem {
  layers: number;
  wBits: readonly number[];
  aBits: readonly number[];
  /** sW[l].get(w), sA[l].get(a) (l < layers - 1) */
  sW: ReadonlyMap<number, number>[];
  sA: ReadonlyMap<number, number>[];
  /** c_l by `tripleKey`; a missing key is infeasible */
  cost: ReadonlyMap<string, number>;
  /** the cost every configuration shares (c0) */
  base: number;
  /** weight memory bits m_l by `tripleKey` and the capacity M must not exceed (absent: no limit) */
  capacity?: { bits: ReadonlyMap<string, number>; limit: number };
}

export interface BitPoint {
  config: BitConfig;
  cost: number;
  sensitivity: number;
}

interface Partial {
  cost: number;
  sens: number;
  /** weight memory bits so far */
  mem: number;
  config: BitConfig;
}

/** Pareto-minimal partials (cost, sens), ascending cost; of equal pairs the first is kept. */
function prune(ps: Partial[]): Partial[] {
  const sorted = [...ps].sort((a, b) => a.cost - b.cost || a.sens - b.sens);
  const out: Partial[] = [];
  for (const p of sorted) if (out.length === 0 || p.sens < out[out.length - 1]!.sens) out.push(p);
  return out;
}

/** Partials not dominated in (cost, sens, mem) by another (of equal triples the first is kept), ascending cost. */
function prune3(ps: Partial[]): Partial[] {
  const sorted = [...ps].sort((a, b) => a.cost - b.cost || a.sens - b.sens || a.mem - b.mem);
  const out: Partial[] = [];
  for (const p of sorted) if (!out.some((q) => q.sens <= p.sens && q.mem <= p.mem)) out.push(p);
  return out;
}

/** The exact Pareto front of (cost, sensitivity) over all feasible configurations. */
export function bitFront(p: BitProblem): BitPoint[] {
  const L = p.layers;
  // states: the bits of the previous activation (0 before the first layer)
  const cap = p.capacity;
  let states = new Map<number, Partial[]>([[0, [{ cost: p.base, sens: 0, mem: 0, config: [] }]]]);
  for (let l = 0; l < L; l++) {
    const last = l === L - 1;
    const next = new Map<number, Partial[]>();
    for (const [aIn, parts] of states) {
      for (const w of p.wBits) {
        for (const aOut of last ? [0] : p.aBits) {
          const key = tripleKey(l, aIn, w, aOut);
          const c = p.cost.get(key);
          if (c === undefined) continue;
          const m = cap ? cap.bits.get(key) : 0;
          if (m === undefined) throw new Error(`no weight memory for the layer choice ${key}`);
          const s = p.sW[l]!.get(w)! + (last ? 0 : p.sA[l]!.get(aOut)!);
          const list = next.get(aOut) ?? [];
          for (const q of parts) {
            if (cap && q.mem + m > cap.limit) continue;
            list.push({ cost: q.cost + c, sens: q.sens + s, mem: q.mem + m, config: [...q.config, last ? { w } : { w, a: aOut }] });
          }
          next.set(aOut, list);
        }
      }
    }
    states = new Map([...next].map(([k, v]) => [k, cap ? prune3(v) : prune(v)]));
  }
  return prune(states.get(0) ?? []).map((q) => ({ config: q.config, cost: q.cost, sensitivity: q.sens }));
}

/** The front point of least sensitivity whose cost is at most `budget` (null: none fits). */
export function bestUnder(front: readonly BitPoint[], budget: number): BitPoint | null {
  let best: BitPoint | null = null;
  for (const q of front) if (q.cost <= budget && (best === null || q.sensitivity < best.sensitivity)) best = q;
  return best;
}

/** Every uniform configuration: one (w, a) for all layers (the last layer's w too). */
export function uniformConfigs(layers: number, wBits: readonly number[], aBits: readonly number[]): { name: string; config: BitConfig }[] {
  return wBits.flatMap((w) => aBits.map((a) => ({
    name: `w${w}a${a}`,
    config: Array.from({ length: layers }, (_, l) => (l === layers - 1 ? { w } : { w, a })),
  })));
}

/** A configuration as text: `w2a4 w4a4 w1a1 w8` (one token per layer). */
export function configName(cfg: BitConfig): string {
  return cfg.map((c) => `w${c.w}${c.a !== undefined ? `a${c.a}` : ''}`).join(' ');
}
