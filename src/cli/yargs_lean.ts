import type { Argv } from 'yargs';
import { createRequire } from 'node:module';
import { dirname, join, basename, extname, relative, resolve } from 'node:path';
import { notStrictEqual, strictEqual } from 'node:assert';
import { inspect } from 'node:util';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { asciiStripAnsi, asciiWidth, asciiWrap } from './ascii_layout.js';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * yargs without the cost of its help-text layout. `import yargs from 'yargs'` builds yargs' factory on its
 * ESM platform shim (yargs/lib/platform-shims/esm.mjs), which imports cliui and string-width (with
 * wrap-ansi, strip-ansi, get-east-asian-width, emoji tables): most of yargs' start-up, ~1.3x `node -e 0`
 * measured (bench/startup.bench.ts), yet they are used only to lay out help text. Here the same factory
 * (yargs/build/lib/yargs-factory.js, the one `yargs` and `yargs/browser` both build on) gets a shim that
 * is field for field yargs' ESM shim, except that cliui and string-width are imported only when the
 * arguments ask for help (`withHelp`). The dependencies are resolved from yargs' own folder, so they are
 * the copies yargs itself would use. When the help text is printable ASCII (yargs' locale text and
 * lowbit's own, which test/unit/startup.test.ts checks), cliui's layout runs on the exact ASCII text
 * functions of ./ascii_layout.ts instead of string-width and wrap-ansi (~75 ms less per `--help`).
 * test/unit/startup.test.ts: every help text equals plain yargs', and a command runs without loading the
 * help layout.
 */
const yargsPkg = createRequire(import.meta.url).resolve('yargs/package.json');
const yargsDir = dirname(yargsPkg);
const fromYargs = createRequire(yargsPkg);
const fileUrl = (p: string): string => pathToFileURL(p).href;

type CliUi = (opts: { width?: number; wrap?: boolean }) => unknown;
type Factory = (shim: unknown) => (argv: string[], cwd?: string) => Argv;

/** True when `argv` asks for help: `--help`, `--help=...`, `-h`, or a cluster of short flags with h. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.some((a) => a === '--help' || a.startsWith('--help=') || /^-[^-]*h/.test(a));
}

/**
 * Is the text of the locale yargs will pick printable ASCII? yargs takes the locale from LC_ALL,
 * LC_MESSAGES, LANG or LANGUAGE (default en_US; yargs-factory.js, kGuessLocale) and y18n reads
 * locales/LOCALE.json, or LANGUAGE.json when that is missing and LOCALE has a `_`, or nothing (yargs'
 * English defaults, which are ASCII).
 */
export function localeIsAscii(env: NodeJS.ProcessEnv = process.env): boolean {
  const locale = (env.LC_ALL || env.LC_MESSAGES || env.LANG || env.LANGUAGE || 'en_US').replace(/[.:].*/, '');
  let file = join(yargsDir, 'locales', `${locale}.json`);
  if (!existsSync(file) && locale.includes('_')) file = join(yargsDir, 'locales', `${locale.split('_')[0]}.json`);
  if (!existsSync(file)) return true;
  // its strings as JSON text: printable ASCII without escapes (a \\uXXXX or \\n in the file is not ASCII text)
  const json = JSON.stringify(JSON.parse(readFileSync(file, 'utf8')));
  return /^[\u0020-\u007E]*$/.test(json) && !json.includes('\\');
}

/**
 * How help text is laid out: 'none' when `argv` does not ask for help (the layout is not loaded),
 * 'ascii' (cliui on ./ascii_layout.ts) when yargs' locale text is ASCII, else 'unicode' (cliui on
 * string-width and wrap-ansi, as plain yargs).
 */
export type HelpLayout = 'none' | 'ascii' | 'unicode';

export function helpLayoutFor(argv: readonly string[]): HelpLayout {
  return !wantsHelp(argv) ? 'none' : localeIsAscii() ? 'ascii' : 'unicode';
}

/** A yargs instance for `argv` (yargs' own behaviour and messages), with the help `layout`. */
export async function leanYargs(argv: string[], layout: HelpLayout): Promise<Argv> {
  const [{ YargsFactory }, { getProcessArgvBin }, { default: Parser }] = (await Promise.all([
    import(fileUrl(join(yargsDir, 'build/lib/yargs-factory.js'))),
    import(fileUrl(join(yargsDir, 'build/lib/utils/process-argv.js'))),
    import(fileUrl(fromYargs.resolve('yargs-parser'))),
  ])) as [{ YargsFactory: Factory }, { getProcessArgvBin: () => string }, { default: unknown }];
  let cliui: CliUi | undefined;
  let stringWidth: ((s: string) => number) | undefined;
  if (layout === 'ascii') {
    // cliui's layout itself, with the ASCII text functions instead of its Unicode packages
    const { cliui: layout } = (await import(fileUrl(join(dirname(fromYargs.resolve('cliui')), 'build/lib/index.js')))) as { cliui: (opts: unknown, mixin: unknown) => unknown };
    cliui = (opts) => layout(opts, { stringWidth: asciiWidth, stripAnsi: asciiStripAnsi, wrap: asciiWrap });
    stringWidth = asciiWidth;
  } else if (layout === 'unicode') {
    [{ default: cliui }, { default: stringWidth }] = (await Promise.all([import(fileUrl(fromYargs.resolve('cliui'))), import(fileUrl(fromYargs.resolve('string-width')))])) as [{ default: CliUi }, { default: (s: string) => number }];
  }
  const helpOnly = (what: string): never => {
    throw new Error(`yargs asked for ${what} to lay out help text, which lowbit loads only for --help/-h (src/cli/yargs_lean.ts)`);
  };
  const y18n = fromYargs('y18n') as (o: { directory: string; updateFiles: boolean }) => unknown;
  const shim = {
    assert: { notStrictEqual, strictEqual },
    cliui: (opts: Parameters<CliUi>[0]) => (cliui ?? helpOnly('cliui'))(opts),
    findUp: (start: string, fn: (dir: string, names: string[]) => string | undefined) => (fromYargs('escalade/sync') as (s: string, f: typeof fn) => string | undefined)(start, fn),
    getEnv: (key: string) => process.env[key],
    inspect,
    getProcessArgvBin,
    // the folder above node_modules that holds yargs, as yargs' ESM shim computes it
    mainFilename: yargsDir.substring(0, yargsDir.lastIndexOf('node_modules')) || process.cwd(),
    Parser,
    path: { basename, dirname, extname, relative, resolve, join },
    process: {
      argv: () => process.argv,
      cwd: process.cwd,
      emitWarning: (warning: string, type: string) => process.emitWarning(warning, type),
      execPath: () => process.execPath,
      exit: (code: number) => process.exit(code),
      nextTick: process.nextTick,
      stdColumns: typeof process.stdout.columns !== 'undefined' ? process.stdout.columns : null,
    },
    readFileSync,
    readdirSync,
    require: fromYargs,
    getCallerFile: () => {
      const callerFile = (fromYargs('get-caller-file') as (depth: number) => string)(3);
      return callerFile.match(/^file:\/\//) ? fileURLToPath(callerFile) : callerFile;
    },
    stringWidth: (s: string) => (stringWidth ?? helpOnly('string-width'))(s),
    y18n: y18n({ directory: join(yargsDir, 'locales'), updateFiles: false }),
  };
  const cli = YargsFactory(shim)(argv);
  // yargs lays out the whole help text right after starting a command's handler (command.js,
  // cacheHelpMessage), only so that the handler may call showHelp() later; lowbit's handlers never do
  if (layout === 'none') (cli as unknown as { getInternalMethods(): { getUsageInstance(): { cacheHelpMessage(): void } } }).getInternalMethods().getUsageInstance().cacheHelpMessage = () => undefined;
  return cli;
}
