/**
 * Writes the generated SystemVerilog in hdl/ from its TypeScript definitions:
 *   hdl/accel_pkg.svh  the accelerator's layer descriptor (src/hw/accel_desc.ts, accelPackage).
 * Run after changing a definition: `npx tsx scripts/gen-hdl.ts` (test/unit/accel_desc.test.ts fails while
 * a checked-in file differs from what this writes).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { accelPackage } from '../src/hw/accel_desc.js';

const out = fileURLToPath(new URL('../hdl/accel_pkg.svh', import.meta.url));
writeFileSync(out, accelPackage());
console.error(`wrote ${out}`);
