import type { CommandModule } from 'yargs';
import { verifyCommand } from './verify.js';
import { simulateCommand } from './simulate.js';
import { estimateCommand } from './estimate.js';
import { inferCommand } from './infer.js';
import { trainCommand } from './train.js';
import { quantizeCommand } from './quantize.js';
import { compressCommand } from './compress.js';
import { sweepCommand } from './sweep.js';
import { reportCommand } from './report.js';
import { runCommand } from './run.js';
import { demoCommand } from './demo.js';

/**
 * Every `lowbit` command, one file each in this folder; `main.ts` registers them in this order.
 * A command module is thin: it parses options, calls the library, prints results (stdout) and progress
 * (stderr), and throws a LowbitError (exit 1 or 2) when something is wrong.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [verifyCommand, simulateCommand, estimateCommand, quantizeCommand, compressCommand, trainCommand, inferCommand, sweepCommand, reportCommand, runCommand, demoCommand];
