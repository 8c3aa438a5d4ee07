import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InputError } from '../util/errors.js';

/**
 * Imports a user's module (a `UnitSpec` for `lowbit verify --unit path`) from the built or installed CLI,
 * `.js`/`.mjs` and TypeScript (`.ts`/`.mts`) alike. Node 20 cannot import `.ts` by itself
 * (ERR_UNKNOWN_FILE_EXTENSION), so a TypeScript module is loaded, in this order, with:
 *  1. plain `import()` (Node with type stripping, or a process already running under a TS loader);
 *  2. tsx's `tsImport` (a loader scoped to this one import, no global hooks), with tsx resolved from the
 *     module's own folder (the user's project) first, then from lowbit's installation;
 *  3. the `typescript` package's `transpileModule` (types erased, no type check), resolved the same way:
 *     the output is written beside the source as a hidden `.<name>.lowbit-<pid>.mjs` (so its relative and
 *     package imports resolve as the source's would), imported, and deleted.
 * With neither installed the error says how to fix it (install tsx, or compile the module to .js).
 */
export type TsStrategy = 'native' | 'tsx' | 'typescript';

const TS_FILE = /\.(ts|mts|cts)$/;

function resolveFrom(spec: string, fromFiles: string[]): string | undefined {
  for (const from of fromFiles) {
    try {
      return createRequire(from).resolve(spec);
    } catch {
      // not installed there
    }
  }
  return undefined;
}

/** Imports `path` (absolute); `only` restricts the TypeScript strategies tried (tests). */
export async function importUserModule(path: string, only?: TsStrategy): Promise<Record<string, unknown>> {
  const url = pathToFileURL(path).href;
  const isTs = TS_FILE.test(path);
  if (!isTs || only === undefined || only === 'native') {
    try {
      return (await import(url)) as Record<string, unknown>;
    } catch (e) {
      if (!isTs || (e as NodeJS.ErrnoException).code !== 'ERR_UNKNOWN_FILE_EXTENSION' || only === 'native') throw e;
    }
  }
  const from = [path, fileURLToPath(import.meta.url)];
  if (only === undefined || only === 'tsx') {
    // the ESM build of tsx's API (its `import` export; the CommonJS one cannot tsImport from here)
    const pkg = resolveFrom('tsx/package.json', from);
    const api = pkg === undefined ? undefined : join(dirname(pkg), (JSON.parse(readFileSync(pkg, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api'].import.default);
    if (api !== undefined) {
      const { tsImport } = (await import(pathToFileURL(api).href)) as { tsImport(u: string, parent: string): Promise<Record<string, unknown>> };
      const mod = await tsImport(url, import.meta.url);
      // outside a `"type": "module"` package tsx compiles the file as CommonJS: its exports sit under `default`
      const inner = mod.default as Record<string, unknown> | undefined;
      return inner !== null && typeof inner === 'object' && inner.__esModule === true ? inner : mod;
    }
  }
  if (only === undefined || only === 'typescript') {
    const tsPath = resolveFrom('typescript', from);
    if (tsPath !== undefined) {
      // typescript is CommonJS: require it (a plain import would also work, but slower under a transforming test runner)
      const { transpileModule, ModuleKind, ScriptTarget } = createRequire(import.meta.url)(tsPath) as typeof import('typescript');
      const out = transpileModule(readFileSync(path, 'utf8'), {
        fileName: path,
        compilerOptions: { module: ModuleKind.ESNext, target: ScriptTarget.ES2022, sourceMap: false },
      }).outputText;
      const tmp = join(dirname(path), `.${basename(path).replace(TS_FILE, '')}.lowbit-${process.pid}.mjs`);
      writeFileSync(tmp, out);
      try {
        return (await import(pathToFileURL(tmp).href)) as Record<string, unknown>;
      } finally {
        rmSync(tmp, { force: true });
      }
    }
  }
  throw new InputError(
    `cannot load ${path}: Node ${process.version} does not import TypeScript by itself and neither tsx nor typescript is installed; ` +
      'install one in your project (`npm i -D tsx`) or compile the module to .js',
  );
}
