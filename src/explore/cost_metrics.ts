/**
 * The cost metrics a bit-width search can budget (bitwidth_cost.ts computes them), in a module of their own
 * so that `lowbit autoquant --help` lists them without loading the search.
 */
export const COST_METRICS = ['cycles', 'energy', 'memory'] as const;
export type CostMetric = (typeof COST_METRICS)[number];
