#!/usr/bin/env node
import { COMMAND_LOADERS, DESCRIBE } from './commands/list.js';
import { InputError, badValue, didYouMean } from '../util/errors.js';
import { closest } from '../util/suggest.js';
import { lowbitVersion } from '../util/package.js';
import { renamedOptionMessage } from './names.js';
import { parseSize, setMemoryBudget } from '../util/budget.js';
import { reportFailure } from './fail.js';
import { setRawArgs } from './options.js';
import { installSignalCleanup } from '../util/fsafe.js';
import { helpLayoutFor, leanYargs, type HelpLayout } from './yargs_lean.js';
import { NotAsciiText } from './ascii_layout.js';
import { setKernelThreads } from '../kernels/threads.js';
import { availableParallelism } from 'node:os';

/**
 * The `lowbit` command line. Results go to stdout (`--json` for machines), progress and logs to stderr.
 * Exit codes: 0 ok, 1 a check failed, 2 bad usage, bad input or a missing tool.
 */
export async function main(argv: string[]): Promise<number> {
  const renamed = renamedOptionMessage(argv);
  if (renamed !== undefined) {
    process.stderr.write(`lowbit: ${renamed}\n`);
    return 2;
  }
  setRawArgs(argv);
  return parseWith(argv, helpLayoutFor(argv));
}

/** Parses `argv` and runs its command; help is laid out with `layout` (src/cli/yargs_lean.ts). */
async function parseWith(argv: string[], layout: HelpLayout): Promise<number> {
  let exitCode = 0;
  let cli = (await leanYargs(argv, layout))
    .scriptName('lowbit')
    .exitProcess(false)
    .usage('$0 <command> [options]\n\nLow-precision neural-network hardware: quantize, train, model, verify, estimate.')
    .option('json', { type: 'boolean', default: false, global: true, describe: 'print results as JSON on stdout' })
    .option('max-memory', { type: 'string', global: true, describe: 'memory budget: requests that need more are refused up front (e.g. 512M, 8G; default half the RAM, at most 16G)' })
    .option('threads', { type: 'number', global: true, describe: `threads for the GEMM kernels: large GEMMs split their rows over them, results identical (default: all ${availableParallelism()} cores)` })
    .middleware((args) => {
      if (args.maxMemory !== undefined) setMemoryBudget(parseSize('--max-memory', String(args.maxMemory)));
      setKernelThreads(args.threads === undefined ? availableParallelism() : Number(args.threads));
    })
    .strict()
    .check((args) => {
      // yargs turns a repeated option into an array; only options declared as arrays may repeat
      const o = (cli as unknown as { getOptions(): { key: Record<string, unknown>; array: string[]; number: string[]; string: string[] } }).getOptions();
      for (const [k, v] of Object.entries(args)) {
        if (Array.isArray(v) && k in o.key && !o.array.includes(k)) throw new InputError(`--${k} given ${v.length} times (${v.join(', ')}): give it once`);
      }
      // a number or string option typed without its value (yargs would silently use the default)
      for (const k of [...o.number, ...o.string]) {
        const at = argv.indexOf(`--${k}`);
        if (at >= 0 && (at + 1 >= argv.length || argv[at + 1]!.startsWith('--'))) throw new InputError(`--${k} needs a value (e.g. --${k} ${o.number.includes(k) ? '4' : 'VALUE'}); see --help`);
      }
      // a number option given text (yargs would pass NaN on, and the message would say "got NaN")
      for (const k of o.number) {
        const v = args[k];
        if (typeof v === 'number' && Number.isNaN(v)) throw badValue(`--${k}`, rawValue(argv, k) ?? 'NaN', 'a number, e.g. 4');
      }
      return true;
    })
    .demandCommand(1, 'name a command; `lowbit --help` lists them')
    .help()
    .alias('h', 'help')
    .version(lowbitVersion())
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .fail((msg, err) => {
      if (err) throw err;
      // the options yargs knows at this point (the failing command's, as yargs parses it in place)
      const known = Object.keys((cli as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key);
      const names = COMMAND_LOADERS.map((c) => c.name);
      // a first word that names no command: yargs calls it an unknown argument
      const line = named === undefined && first !== undefined && /^Unknown arguments?: /.test(msg)
        ? `${badValue('command', first, `one of ${names.join(', ')}${didYouMean(first, names)}`).message}; see lowbit --help`
        : withSuggestions(msg.split('\n').join(' '), known, named?.name);
      process.stderr.write(`lowbit: ${line}\n`);
      exitCode = 2;
      throw new UsageExit();
    });
  // only the command being run (the first word that is not an option) is loaded, with what it imports;
  // the others are listed by name and description
  const first = commandWord(argv);
  const named = COMMAND_LOADERS.find((c) => c.name === first);
  for (const c of COMMAND_LOADERS) {
    cli = cli.command(c === named ? await c.load() : { command: c.name, describe: DESCRIBE[c.name], handler: () => undefined });
  }
  try {
    await cli.parseAsync();
  } catch (e) {
    if (e instanceof UsageExit) return 2;
    // help text the ASCII layout cannot measure: nothing is printed yet; lay it out with yargs' packages
    if (e instanceof NotAsciiText && layout === 'ascii') return parseWith(argv, 'unicode');
    return reportFailure(e);
  }
  return exitCode || Number(process.exitCode ?? 0);
}

class UsageExit extends Error {}

/** The global options that take a value (`--threads 2 run ...`: the 2 is not the command). */
const GLOBAL_VALUED = ['--max-memory', '--threads'];

/** The command word: the first argument that is neither an option nor the value of a global option before it. */
function commandWord(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i]!.startsWith('-')) return argv[i];
    if (GLOBAL_VALUED.includes(argv[i]!)) i++;
  }
  return undefined;
}

/** The text typed after `--name` (or in `--name=text`), before yargs parsed it. */
function rawValue(argv: string[], name: string): string | undefined {
  const at = argv.indexOf(`--${name}`);
  if (at >= 0) return argv[at + 1];
  return argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

/**
 * Adds "did you mean --x?" to yargs' "Unknown argument(s): a, b" using the command's known options; says
 * yargs' "Missing required argument(s): a, b" as the options to give.
 */
function withSuggestions(msg: string, known: string[], command?: string): string {
  const missing = /^Missing required arguments?: (.+)$/.exec(msg);
  if (missing) {
    const opts = missing[1]!.split(', ').map((a) => `--${a}`);
    return `missing ${opts.length > 1 ? `${opts.slice(0, -1).join(', ')} and ${opts.at(-1)}` : opts[0]} (required); see lowbit ${command ?? ''} --help`.replace('  ', ' ');
  }
  const inv = /Argument: ([\w-]+), Given: "([^"]*)", Choices: (.+)$/.exec(msg);
  if (inv) {
    const choices = [...inv[3].matchAll(/"([^"]*)"/g)].map((c) => c[1]);
    return badValue(`--${inv[1]}`, inv[2], `one of ${choices.join(', ')}${didYouMean(inv[2], choices)}`).message;
  }
  const m = /^Unknown arguments?: (.+)$/.exec(msg);
  if (!m) return msg;
  const hints = m[1]
    .split(', ')
    .map((a) => [a, closest(a, known)] as const)
    .filter(([, near]) => near !== undefined)
    .map(([a, near]) => `--${a}: did you mean --${near}?`);
  return hints.length > 0 ? `${msg} (${hints.join('; ')}); see --help` : `${msg}; see --help`;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (invokedDirectly || process.argv[1]?.endsWith('/lowbit') || process.argv[1]?.endsWith('main.js')) {
  installSignalCleanup();
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.exitCode = reportFailure(e);
    },
  );
}
