/**
 * One name per concept across the commands (README "Options" table):
 *   --model PATH|NAME   a QuantizedModel: a models/NAME folder, a quantized .onnx file or a shipped model's name
 *   --checkpoint DIR    an FP32 checkpoint (lowbit train --wbits 32 --abits 32 output)
 *   --images N          MNIST test images; the other image counts are --calib-images, --train-images,
 *                       --val-images, --rtl-images
 *   --out PATH          what the command writes (a file or folder); secondary outputs are --<what>-dir
 *   --input FILE..      input data files (.npy batches, results files)
 *   --jobs N            parallel workers, default: the machine's parallelism (os.availableParallelism())
 *
 * RENAMED lists, per command, the spellings this replaced: giving one exits 2 naming the new option.
 */
export const RENAMED: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  quantize: { 'from-onnx': 'model', 'test-images': 'images' },
  compress: { model: 'checkpoint', 'test-images': 'images' },
  train: { 'max-train': 'train-images', val: 'val-images', batch: 'batch-size' },
  run: { emit: 'out' },
  estimate: { scalesim: 'scalesim-dir' },
  report: { from: 'input' },
};

const camel = (s: string): string => s.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/**
 * The message for the first old option spelling in `argv` (its command is the first word not starting
 * with `-`), or undefined. `--old`, `--old=value` and yargs' camel-case `--oldName` all count.
 */
export function renamedOptionMessage(argv: readonly string[]): string | undefined {
  const command = argv.find((a) => !a.startsWith('-'));
  const table = command === undefined ? undefined : RENAMED[command];
  if (table === undefined) return undefined;
  for (const a of argv) {
    if (!a.startsWith('--')) continue;
    const name = a.slice(2).split('=')[0];
    for (const [old, now] of Object.entries(table)) {
      if (name === old || name === camel(old)) return `${command} --${old} is now --${now} (one name per option across lowbit's commands; see ${command} --help)`;
    }
  }
  return undefined;
}
