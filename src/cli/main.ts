#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands/index.js';
import { LowbitError } from '../util/errors.js';

/**
 * The `lowbit` command line. Results go to stdout (`--json` for machines), progress and logs to stderr.
 * Exit codes: 0 ok, 1 a check failed, 2 bad usage, bad input or a missing tool.
 */
export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  let cli = yargs(argv)
    .scriptName('lowbit')
    .usage('$0 <command> [options]\n\nLow-precision neural-network hardware: quantize, train, model, verify, estimate.')
    .option('json', { type: 'boolean', default: false, global: true, describe: 'print results as JSON on stdout' })
    .strict()
    .recommendCommands()
    .demandCommand(1, 'name a command; `lowbit --help` lists them')
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`lowbit: ${msg.split('\n').join(' ')}\n`);
      exitCode = 2;
      throw new UsageExit();
    });
  for (const c of commands) cli = cli.command(c);
  try {
    await cli.parseAsync();
  } catch (e) {
    if (e instanceof UsageExit) return 2;
    if (e instanceof LowbitError) {
      process.stderr.write(`lowbit: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
  return exitCode || Number(process.exitCode ?? 0);
}

class UsageExit extends Error {}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (invokedDirectly || process.argv[1]?.endsWith('/lowbit') || process.argv[1]?.endsWith('main.js')) {
  main(hideBin(process.argv)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`lowbit: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 2;
    },
  );
}
