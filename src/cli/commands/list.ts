import type { CommandModule } from 'yargs';

/**
 * The `lowbit` commands by name, each with its one-line description and a loader of its options module
 * (cli/args/NAME.ts), so that main.ts loads only the options of the command being run (start-up time:
 * bench/startup.bench.ts); the others are listed in `--help` from this table. Each options module takes its
 * `describe` from DESCRIBE, and imports its handler (cli/commands/NAME.ts) only when the command runs.
 */
export const DESCRIBE = {
  verify: 'check RTL against the TS models through Verilator (bit- and cycle-exact)',
  simulate: 'run one GEMM Y = A W on a Design (functional or cycle-accurate)',
  estimate: 'estimate cycles, throughput, memory and energy of a workload on a Design (no simulation)',
  quantize: 'post-training quantization of an FP32 checkpoint (or import of a quantized ONNX model) into a QuantizedModel',
  compress: 'Deep Compression of an FP32 checkpoint: pruning, k-means weight sharing, Huffman coding; size and accuracy per stage',
  train: 'train an MLP/CNN on MNIST, FP32 or quantization-aware, and export it',
  infer: 'run the integer reference inference of a quantized model on a .npy batch',
  export: 'write a quantized model as standard ONNX (ONNX Runtime runs it with the same outputs) or QONNX (FINN)',
  sweep: 'estimate every point of a design space (worker pool, resumable, shardable); print the Pareto front',
  report: 'write a Markdown + standalone HTML report with SVG plots from sweep results or estimate outputs',
  run: 'run a quantized model on the modelled accelerator (and its RTL): accuracy, agreement, cycles, memory',
  autoquant: 'hardware-aware mixed precision of an MLP: per-layer bits under a cycles/energy/memory budget of a Design, QAT fine-tuned, with a report',
  demo: 'the main job: shipped models on the TS accelerator (whole MNIST test set) and the RTL (1,000 images per model), with a report',
} as const;

export type CommandName = keyof typeof DESCRIBE;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCommand = CommandModule<any, any>;

/** Registration order of `lowbit --help`, and each command's module. */
export const COMMAND_LOADERS: { name: CommandName; load: () => Promise<AnyCommand> }[] = [
  { name: 'verify', load: async () => (await import('../args/verify.js')).verifyCommand },
  { name: 'simulate', load: async () => (await import('../args/simulate.js')).simulateCommand },
  { name: 'estimate', load: async () => (await import('../args/estimate.js')).estimateCommand },
  { name: 'quantize', load: async () => (await import('../args/quantize.js')).quantizeCommand },
  { name: 'compress', load: async () => (await import('../args/compress.js')).compressCommand },
  { name: 'train', load: async () => (await import('../args/train.js')).trainCommand },
  { name: 'infer', load: async () => (await import('../args/infer.js')).inferCommand },
  { name: 'export', load: async () => (await import('../args/export.js')).exportCommand },
  { name: 'sweep', load: async () => (await import('../args/sweep.js')).sweepCommand },
  { name: 'report', load: async () => (await import('../args/report.js')).reportCommand },
  { name: 'run', load: async () => (await import('../args/run.js')).runCommand },
  { name: 'autoquant', load: async () => (await import('../args/autoquant.js')).autoquantCommand },
  { name: 'demo', load: async () => (await import('../args/demo.js')).demoCommand },
];
