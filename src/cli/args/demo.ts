import type { CommandModule } from 'yargs';
import { DESCRIBE } from '../commands/list.js';

/** `lowbit demo`: its options (light, all that --help and parsing load); the work is `demoHandler` in
 * commands/demo.ts, loaded when the command runs. */
export interface DemoArgs {
  models?: string;
  out: string;
  images: number;
  'rtl-images': number;
  json: boolean;
}

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe: DESCRIBE.demo,
  builder: (y) =>
    y
      .option('models', { type: 'string', describe: 'folder holding the shipped models (default: the ones installed with lowbit)' })
      .option('out', { type: 'string', default: 'reports/main', describe: 'report folder' })
      .option('images', { type: 'number', default: 10000, describe: 'MNIST test images on the TS model' })
      .option('rtl-images', { type: 'number', default: 1000, describe: 'images through the RTL per model (0: none)' })
      .example('$0 demo --images 500 --rtl-images 0 --out reports/demo', 'a quick run: 500 test images per model, no RTL')
      .example('$0 demo', 'the main job (npm start): 10,000 images per model, 1,000 through the RTL, report in reports/main') as never,
  handler: async (argv) => (await import('../commands/demo.js')).demoHandler(argv),
};
