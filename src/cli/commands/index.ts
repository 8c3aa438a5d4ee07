import type { CommandModule } from 'yargs';
import { COMMAND_LOADERS } from './list.js';

/**
 * Every `lowbit` command (its options module, cli/args/NAME.ts); `main.ts` registers them in the order of
 * list.ts, loading only the options of the command being run; this eager list is for tests that walk every
 * command. A command's handler (this folder, one file a command) is thin: it checks options, calls the
 * library, prints results (stdout) and progress (stderr), and throws a LowbitError (exit 1 or 2) when
 * something is wrong.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = await Promise.all(COMMAND_LOADERS.map((c) => c.load()));
