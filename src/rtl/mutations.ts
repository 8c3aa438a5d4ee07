import type { Mutation } from './mutate.js';

/**
 * The RTL mutation catalogue (`lowbit verify --mutate`, test/rtl/mutation.rtl.test.ts): for each real
 * unit, faults of the kinds co-simulation must catch. Each is an exact text pattern in a named file and
 * its replacement; a pattern that no longer occurs is reported as a stale mutation, never skipped.
 */
export const MUTATIONS: readonly Mutation[] = [];
