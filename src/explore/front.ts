import { paretoFront, type Objective } from './pareto.js';
import type { SweepResult } from './sweep.js';

/**
 * The sweep's Pareto front: accuracy (max, when measured), inferences/s (max), on-chip memory bits (min),
 * energy per inference (min) and LUTs (min, when synthesized). Points that failed to compile (`error`)
 * take no part. An objective missing from every point is dropped; one missing from some points makes
 * them NaN, which never dominates nor is dominated (see pareto.ts).
 */
export function sweepObjectives(results: readonly SweepResult[]): Objective<SweepResult>[] {
  const ok = results.filter((r) => r.metrics.error === undefined);
  const has = (k: string): boolean => ok.some((r) => typeof r.metrics[k] === 'number');
  const num = (k: string) => (r: SweepResult): number => (typeof r.metrics[k] === 'number' ? (r.metrics[k] as number) : NaN);
  const all: Objective<SweepResult>[] = [
    { name: 'accuracy', sense: 'max', value: num('accuracy') },
    { name: 'inferencesPerSecond', sense: 'max', value: num('inferencesPerSecond') },
    { name: 'onChipMemoryBits', sense: 'min', value: num('onChipMemoryBits') },
    { name: 'energyPJ', sense: 'min', value: num('energyPJ') },
    { name: 'luts', sense: 'min', value: num('luts') },
  ];
  return all.filter((o) => has(o.name));
}

/** The non-dominated results (in index order). */
export function sweepFront(results: readonly SweepResult[]): SweepResult[] {
  const ok = results.filter((r) => r.metrics.error === undefined);
  return paretoFront(ok, sweepObjectives(ok)).map((i) => ok[i]);
}
