import type { CommandModule } from 'yargs';
import { runDemo } from '../../flows/demo.js';
import { CheckFailedError, checkInt } from '../../util/errors.js';
import { formatRun } from './run.js';
import { checkOutDir } from '../options.js';
import { REPORT_OUTPUT } from '../../report/document.js';
import { shippedModelsDir } from '../../model/locate.js';
import { DESCRIBE } from './list.js';

/** `lowbit demo` (`npm start`): the main job — shipped models on the accelerator model and its RTL, a report. */
interface DemoArgs {
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
  handler: async (argv) => {
    checkInt('--images', argv.images, 1, 10000);
    checkInt('--rtl-images', argv['rtl-images'], 0, 10000);
    checkOutDir(argv.out, REPORT_OUTPUT); // before the long run: a folder lowbit did not write is refused
    const rs = await runDemo({ modelsDir: argv.models ?? shippedModelsDir(), out: argv.out, images: argv.images, rtlImages: argv['rtl-images'] });
    process.stdout.write(argv.json ? JSON.stringify(rs, null, 1) + '\n' : rs.map(formatRun).join('\n') + `\nreport: ${argv.out}/index.md, ${argv.out}/index.html\n`);
    const bad = rs.find((r) => r.disagreement);
    if (bad?.disagreement) {
      const d = bad.disagreement;
      throw new CheckFailedError(`${bad.model}: ${d.between} disagree at image ${d.image}, layer ${d.layer}, element ${d.element}`);
    }
  },
};
