import type { UnitSpec } from '../unit.js';
import { accelTopUnit } from './accel_top.js';
import { macArrayUnit } from './mac_array.js';
import { macPeUnit } from './mac_pe.js';
import { macPeShiftUnit } from './mac_pe_shift.js';
import { requantizerUnit } from './requantizer.js';
import { xnorPopcountUnit } from './xnor_popcount.js';
import { convWindowUnit } from './conv_window.js';
import { maxPoolUnit } from './max_pool.js';

/**
 * The registry of hardware units that `lowbit verify --unit NAME` and `--all` cover. Each adapter
 * `src/rtl/units/<unit>.ts` (written by the unit's owner) exports a `UnitSpec`; add it here when it lands.
 */
export const UNITS: readonly UnitSpec[] = [macPeUnit, macPeShiftUnit, macArrayUnit, requantizerUnit, xnorPopcountUnit, convWindowUnit, maxPoolUnit, accelTopUnit];

/** Names of the registered units, in registry order. */
export function unitNames(): string[] {
  return UNITS.map((u) => u.name);
}
