import type { ModelRun, Txn } from './models.js';
import { unpackField, type ResolvedBinding, type ResolvedField } from './resolve.js';
import type { CycleLog } from './harness.js';

/**
 * Comparing a bound design's run with the model, per transaction.
 *
 * Transaction mode: the k-th transaction on each output stream (a cycle where its valid and ready are both
 * 1) must carry the model's k-th output transaction, field by field, lane by lane; no transaction may be
 * missing (the run ends at a cycle limit) or extra (the run continues `tail` cycles after the last one).
 * Cycle mode (a stated latency L): output transaction k must appear exactly in cycle `accept(to[k]) + L + b`,
 * where accept(i) is the cycle whose rising edge accepted input transaction i on its last stream and b
 * counts the output transactions before k that share its last input (0 but for an accelerator's beats), and
 * valid must be 0 in every other cycle: every output every cycle.
 * Measured in both modes: latency of each output transaction (its cycle minus accept(to[k])), cycles
 * between successive output transactions, backpressure cycles (output valid while not ready) and input
 * stall cycles (input valid while not ready).
 */
export interface TxnMismatch {
  kind: 'value' | 'missing' | 'unexpected' | 'early' | 'late' | 'stalled';
  /** output transaction index (input transaction index for `stalled`) */
  txn: number;
  /** the cycle it happened in (for `missing`/`stalled`: the last cycle run) */
  cycle: number;
  /** `outputs[0]` */
  stream: string;
  field?: ResolvedField;
  lane?: number;
  expected?: bigint;
  actual?: bigint;
  /** cycle mode: where the transaction was due */
  dueCycle?: number;
}

export interface Spread {
  min: number;
  median: number;
  max: number;
  count: number;
}

export interface BindStats {
  latency?: Spread;
  /** cycles between successive output transactions (on outputs[0]) */
  interval?: Spread;
  backpressureCycles: number;
  inputStallCycles: number;
}

export interface BindComparison {
  first?: TxnMismatch;
  /** output transactions compared and how many of them differ */
  compared: number;
  badTxns: number;
  stats: BindStats;
  /** accept(i): the cycle input transaction i completed its handshake on every input stream (-1: never) */
  accepted: number[];
  /** per output stream, the cycles of its transactions */
  outCycles: number[][];
}

function spread(xs: number[]): Spread | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { min: s[0], median, max: s[s.length - 1], count: s.length };
}

export function compareBound(r: ResolvedBinding, run: ModelRun, inputs: Txn[], log: CycleLog): BindComparison {
  const nIn = inputs.length;
  const accepted = new Array<number>(nIn).fill(-1);
  let inputStallCycles = 0;
  let backpressureCycles = 0;
  const counts = new Array<number>(r.ins.length).fill(0);
  const outCycles: number[][] = r.outs.map(() => []);
  for (let c = 0; c < log.cycles; c++) {
    const w = log.ctrl[c];
    r.ins.forEach((_, s) => {
      if ((w >> s) & 1) {
        if ((w >> (8 + s)) & 1) {
          const i = counts[s]++;
          if (i < nIn) accepted[i] = Math.max(accepted[i], c);
        } else {
          inputStallCycles++;
        }
      }
    });
    r.outs.forEach((_, j) => {
      if ((w >>> (24 + j)) & 1) {
        if ((w >> (16 + j)) & 1) outCycles[j].push(c);
        else backpressureCycles++;
      }
    });
  }
  for (let i = 0; i < nIn; i++) if (r.ins.some((_, s) => counts[s] <= i)) accepted[i] = -1;

  let first: TxnMismatch | undefined;
  let badTxns = 0;
  const note = (m: TxnMismatch): void => {
    if (first === undefined || m.cycle < first.cycle) first = m;
  };
  const stalled = accepted.indexOf(-1);
  if (stalled >= 0) {
    const s = r.ins.findIndex((_, q) => counts[q] <= stalled);
    note({ kind: 'stalled', txn: stalled, cycle: log.cycles - 1, stream: r.ins[s].where });
  }
  const expected = run.outputs.length;
  const latency = r.binding.timing.mode === 'cycle' ? r.binding.timing.latency : undefined;
  let compared = 0;
  const dataOf = (j: number, c: number): bigint[] => log.values(c, j);
  r.outs.forEach((s, j) => {
    const got = outCycles[j];
    if (latency === undefined) {
      for (let k = 0; k < Math.max(expected, got.length); k++) {
        if (k >= got.length) {
          badTxns++;
          note({ kind: 'missing', txn: k, cycle: log.cycles - 1, stream: s.where });
          break;
        }
        if (k >= expected) {
          note({ kind: 'unexpected', txn: k, cycle: got[k], stream: s.where });
          break;
        }
        compared++;
        const m = compareValues(s.fields, run.outputs[k], dataOf(j, got[k]));
        if (m !== undefined) {
          badTxns++;
          note({ kind: 'value', txn: k, cycle: got[k], stream: s.where, ...m });
        }
      }
      return;
    }
    // cycle mode: valid exactly in the due cycles, the values right in them
    // output transactions that share their last input (an accelerator's output beats of one image) follow it
    // one per cycle: the b-th of them is due at accept + L + b
    const due = new Map<number, number>();
    let beat = 0;
    for (let k = 0; k < expected; k++) {
      beat = k > 0 && run.to[k] === run.to[k - 1] ? beat + 1 : 0;
      if (accepted[run.to[k]] >= 0) due.set(accepted[run.to[k]] + latency + beat, k);
    }
    let seen = 0;
    for (let c = 0; c < log.cycles; c++) {
      const valid = ((log.ctrl[c] >>> (24 + j)) & 1) === 1;
      const k = due.get(c);
      if (k === undefined) {
        if (valid) {
          badTxns++;
          const next = [...due.keys()].filter((d) => d > c).sort((a, b) => a - b)[0];
          note(next !== undefined ? { kind: 'early', txn: due.get(next)!, cycle: c, stream: s.where, dueCycle: next } : { kind: 'unexpected', txn: seen, cycle: c, stream: s.where });
        }
        continue;
      }
      if (!valid) {
        badTxns++;
        note({ kind: 'late', txn: k, cycle: c, stream: s.where, dueCycle: c });
        continue;
      }
      seen++;
      compared++;
      const m = compareValues(s.fields, run.outputs[k], dataOf(j, c));
      if (m !== undefined) {
        badTxns++;
        note({ kind: 'value', txn: k, cycle: c, stream: s.where, ...m });
      }
    }
    if (due.size < expected) note({ kind: 'missing', txn: due.size, cycle: log.cycles - 1, stream: s.where });
  });

  const lat: number[] = [];
  const got0 = outCycles[0];
  for (let k = 0; k < Math.min(expected, got0.length); k++) if (accepted[run.to[k]] >= 0) lat.push(got0[k] - accepted[run.to[k]]);
  const gaps: number[] = [];
  for (let k = 1; k < got0.length; k++) gaps.push(got0[k] - got0[k - 1]);
  return {
    first,
    compared,
    badTxns,
    stats: { latency: spread(lat), interval: spread(gaps), backpressureCycles, inputStallCycles },
    accepted,
    outCycles,
  };
}

/** The first differing field and lane of an output transaction (values compared as lane values). */
function compareValues(fields: ResolvedField[], exp: Txn, raw: bigint[]): Pick<TxnMismatch, 'field' | 'lane' | 'expected' | 'actual'> | undefined {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    const act = unpackField(f, raw[i]);
    const e = exp[f.operand];
    // every lane the model gives (an accelerator's last output beat gives only the lanes inside the vector)
    for (let l = 0; l < e.length; l++) {
      if (act[l] !== e[l]) return { field: f, lane: l, expected: e[l], actual: act[l] };
    }
  }
  return undefined;
}
