import type { Argv, CommandModule } from 'yargs';
import { DESCRIBE } from '../commands/list.js';
import { withForce } from '../options.js';

/** `lowbit report`: its options (light, all that --help and parsing load); the work is `reportHandler` in
 * commands/report.ts, loaded when the command runs. */
export interface ReportArgs {
  input: string[];
  out: string;
  title?: string;
  force: boolean;
  json: boolean;
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report',
  describe: DESCRIBE.report,
  builder: (y) =>
    withForce(y)
      .option('input', { type: 'string', array: true, demandOption: true, describe: 'results.jsonl (lowbit sweep) or estimate JSON files (lowbit estimate --model --json)' })
      .option('out', { type: 'string', demandOption: true, describe: 'report folder, e.g. reports/NAME' })
      .option('title', { type: 'string', describe: 'report title' })
      .example('$0 report --input results.jsonl --out reports/sweep', 'results.jsonl: from the `lowbit sweep` example')
      .example('$0 report --input est-w1a1.json est-w8a8.json --out reports/sample', 'est-*.json: `lowbit estimate --model ... --json` outputs') as unknown as Argv<ReportArgs>,
  handler: async (argv) => (await import('../commands/report.js')).reportHandler(argv),
};
