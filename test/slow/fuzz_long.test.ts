/**
 * The long fuzz run (issue 17 item 6, the slow tier): the unit tier's properties over every parser
 * (test/unit/fuzz_parsers.test.ts) and every CLI command's options (test/unit/fuzz_cli.test.ts), with
 * LOWBIT_FUZZ_RUNS samples per property — 2,000 unless set, i.e. 13x the parsers' and 50x the CLI's
 * bounded unit-tier runs. The assertions are those files' own; a failure prints fast-check's seed and the
 * shrunk counterexample.
 */
process.env.LOWBIT_FUZZ_RUNS ??= '2000';
await import('../unit/fuzz_parsers.test.js');
await import('../unit/fuzz_cli.test.js');
