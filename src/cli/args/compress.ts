import type { Argv, CommandModule } from 'yargs';
import { DESCRIBE } from '../commands/list.js';
import { withForce } from '../options.js';

/** `lowbit compress`: its options (light, all that --help and parsing load); the work is `compressHandler` in
 * commands/compress.ts, loaded when the command runs. */
export interface CompressArgs {
  checkpoint: string;
  prune: number;
  clusters: number;
  huffman: boolean;
  seed: number;
  images: number;
  data?: string;
  out?: string;
  force: boolean;
  json: boolean;
}

export const compressCommand: CommandModule<object, CompressArgs> = {
  command: 'compress',
  describe: DESCRIBE.compress,
  builder: (y) =>
    withForce(y)
      .option('checkpoint', { type: 'string', demandOption: true, describe: 'FP32 checkpoint folder (lowbit train output)' })
      .option('prune', { type: 'number', default: 0, describe: 'fraction of each weight tensor pruned by magnitude, 0 <= P < 1' })
      .option('clusters', { type: 'number', default: 0, describe: 'k-means clusters per weight tensor (0: no sharing)' })
      .option('huffman', { type: 'boolean', default: false, describe: 'Huffman-code the cluster indices and sparse gaps' })
      .option('seed', { type: 'number', default: 1, describe: 'k-means++ seed' })
      .option('images', { type: 'number', default: 10000, describe: 'MNIST test images for the accuracy (0: skip)' })
      .option('data', { type: 'string', describe: 'folder of MNIST-shaped IDX files (default: the MNIST files shipped with lowbit)' })
      .option('out', { type: 'string', describe: 'write the compressed (decoded) weights as an FP32 checkpoint here' })
      .example('$0 compress --checkpoint ckpt/tfc --prune 0.9 --clusters 16 --huffman --images 1000', 'ckpt/tfc: from the `lowbit train` example') as unknown as Argv<CompressArgs>,
  handler: async (argv) => (await import('../commands/compress.js')).compressHandler(argv),
};
