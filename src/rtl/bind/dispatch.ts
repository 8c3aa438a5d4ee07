import { resolve } from 'node:path';
import type { VerifyResult } from '../verify.js';
import { isUnitBinding, readBindingJson } from './spec.js';
import { verifyUnitBound } from './unit_bind.js';
import { imageIndex } from './report.js';
import { verifyBound, type BoundJob, type BoundResult } from './verify.js';

/**
 * One bound check of either kind: a stream binding (`"model"`: transaction or cycle comparison with a
 * golden model, src/rtl/bind/verify.ts) or a unit binding (`"unit"`: a registered unit's own every-cycle
 * check through a generated wrapper, src/rtl/bind/unit_bind.ts). `first` names the first mismatch in one
 * line (`output transaction 25 on outputs[0], cycle 64` or `cycle 12, output y_o`).
 */
export type BoundOutcome =
  | { kind: 'stream'; ok: boolean; first?: string; report?: string; result: BoundResult }
  | { kind: 'unit'; ok: boolean; first?: string; report?: string; result: VerifyResult };

export async function runBinding(job: BoundJob): Promise<BoundOutcome> {
  const json = readBindingJson(resolve(job.cwd ?? process.cwd(), job.bind));
  if (isUnitBinding(json)) {
    const r = await verifyUnitBound(job, json);
    const first = r.mismatch !== undefined ? `cycle ${r.mismatch.cycle}, ${r.mismatch.signal}` : undefined;
    return { kind: 'unit', ok: r.ok, first, report: r.report, result: r };
  }
  const r = await verifyBound(job);
  const m = r.comparison.first;
  const i = m !== undefined && m.kind !== 'stalled' ? imageIndex(r, m.txn) : undefined;
  const image = i !== undefined ? `image ${i}, ` : '';
  const first = m !== undefined ? `${m.kind} ${image}${m.kind === 'stalled' ? 'input' : 'output'} transaction ${m.txn}, cycle ${m.cycle}` : undefined;
  return { kind: 'stream', ok: r.ok, first, report: r.report, result: r };
}
