import type { Argv } from 'yargs';
import { createRequire } from 'node:module';
import { dirname, join, basename, extname, relative, resolve } from 'node:path';
import { notStrictEqual, strictEqual } from 'node:assert';
import { inspect } from 'node:util';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * yargs without the cost of its help-text layout. `import yargs from 'yargs'` builds yargs' factory on its
 * ESM platform shim (yargs/lib/platform-shims/esm.mjs), which imports cliui and string-width (with
 * wrap-ansi, strip-ansi, get-east-asian-width, emoji tables): most of yargs' start-up, ~1.3x `node -e 0`
 * measured (bench/startup.bench.ts), yet they are used only to lay out help text. Here the same factory
 * (yargs/build/lib/yargs-factory.js, the one `yargs` and `yargs/browser` both build on) gets a shim that
 * is field for field yargs' ESM shim, except that cliui and string-width are imported only when the
 * arguments ask for help (`withHelp`). The dependencies are resolved from yargs' own folder, so they are
 * the copies yargs itself would use. test/unit/startup.test.ts: every help text equals plain yargs', and
 * a command runs without loading the help layout.
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

/** A yargs instance for `argv` (yargs' own behaviour and messages); `withHelp` loads the help layout. */
export async function leanYargs(argv: string[], withHelp: boolean): Promise<Argv> {
  const [{ YargsFactory }, { getProcessArgvBin }, { default: Parser }] = (await Promise.all([
    import(fileUrl(join(yargsDir, 'build/lib/yargs-factory.js'))),
    import(fileUrl(join(yargsDir, 'build/lib/utils/process-argv.js'))),
    import(fileUrl(fromYargs.resolve('yargs-parser'))),
  ])) as [{ YargsFactory: Factory }, { getProcessArgvBin: () => string }, { default: unknown }];
  let cliui: CliUi | undefined;
  let stringWidth: ((s: string) => number) | undefined;
  if (withHelp) {
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
  if (!withHelp) (cli as unknown as { getInternalMethods(): { getUsageInstance(): { cacheHelpMessage(): void } } }).getInternalMethods().getUsageInstance().cacheHelpMessage = () => undefined;
  return cli;
}
