import { defineConfig } from 'vitest/config';

// Three tiers: `unit` (pure TS, seconds), `rtl` (Verilator co-simulation, runs in CI),
// `slow` (training runs and long sweeps; `npm run test:slow`, not in the default run).
export default defineConfig({
  test: {
    // two files at a time: on a 2-core CI machine vitest would otherwise run one (CPUs - 1), leaving a core
    // idle while a Verilator build waits on the linker
    maxWorkers: 2,
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 60_000 } },
      { test: { name: 'rtl', include: ['test/rtl/**/*.test.ts'], testTimeout: 600_000, hookTimeout: 600_000 } },
      { test: { name: 'slow', include: ['test/slow/**/*.test.ts'], testTimeout: 3_600_000 } },
    ],
  },
});
