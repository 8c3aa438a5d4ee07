import { expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveUnit, verifyJob, type VerifyResult } from '../../../src/rtl/verify.js';

/**
 * Co-simulates one Design of a registered unit through the verify machinery (`verifyJob`: every output in
 * every cycle, and the unit's traced registers through the VCD) and expects a full match; on a mismatch
 * the test fails with the machinery's report (first cycle, signal, values, reproduce command, VCD).
 */
export async function expectMatch(unit: string, label: string, seed: number, cases: number): Promise<VerifyResult> {
  const spec = await resolveUnit(unit);
  const ud = spec.designs().find((d) => d.label === label);
  if (!ud) throw new Error(`${unit}: no design ${label}; have ${spec.designs().map((d) => d.label).join(', ')}`);
  const r = await verifyJob({ unit, label, design: ud.design, seed, cases, vcdDir: mkdtempSync(join(tmpdir(), `lowbit-${unit}-vcd-`)) });
  expect(r.ok, r.report).toBe(true);
  expect(r.cycles).toBeGreaterThan(cases);
  return r;
}
