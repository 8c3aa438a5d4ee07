import type { ArgumentsCamelCase } from 'yargs';
import type { DemoArgs } from '../args/demo.js';
import { runDemo } from '../../flows/demo.js';
import { CheckFailedError, checkInt } from '../../util/errors.js';
import { formatRun } from './run.js';
import { checkOutDir } from '../options.js';
import { REPORT_OUTPUT } from '../../report/document.js';
import { shippedModelsDir } from '../../model/locate.js';

/** `lowbit demo` (`npm start`): the main job — shipped models on the accelerator model and its RTL, a report. */

/** Runs `lowbit demo` (its options: cli/args/demo.ts). */
export async function demoHandler(argv: ArgumentsCamelCase<DemoArgs>): Promise<void> {
  checkInt('--images', argv.images, 1, 10000);
  checkInt('--rtl-images', argv['rtl-images'], 0, 10000);
  checkOutDir(argv.out, REPORT_OUTPUT, { '--models': argv.models }); // before the long run: a folder lowbit did not write is refused
  const rs = await runDemo({ modelsDir: argv.models ?? shippedModelsDir(), out: argv.out, images: argv.images, rtlImages: argv['rtl-images'] });
  process.stdout.write(argv.json ? JSON.stringify(rs, null, 1) + '\n' : rs.map((r) => formatRun(r)).join('\n') + `\nreport: ${argv.out}/index.md, ${argv.out}/index.html\n`);
  const bad = rs.find((r) => r.disagreement);
  if (bad?.disagreement) {
    const d = bad.disagreement;
    throw new CheckFailedError(`${bad.model}: ${d.between} disagree at image ${d.image}, layer ${d.layer}, element ${d.element}`);
  }
}
