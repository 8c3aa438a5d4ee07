import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { asciiStripAnsi, asciiWidth, asciiWrap, NotAsciiText } from '../../src/cli/ascii_layout.js';

/**
 * src/cli/ascii_layout.ts against the packages yargs' help layout uses (the copies yargs itself resolves):
 * string-width (yargs' own, and cliui's), strip-ansi and wrap-ansi (cliui's), on random ASCII text.
 */
const fromYargs = createRequire(createRequire(import.meta.url).resolve('yargs/package.json'));
const fromCliui = createRequire(fromYargs.resolve('cliui'));
const fromWrapAnsi = createRequire(fromCliui.resolve('wrap-ansi'));
const load = async <T>(path: string): Promise<T> => ((await import(pathToFileURL(path).href)) as { default: T }).default;
type Width = (s: string) => number;
const [yargsWidth, cliuiWidth, wrapAnsiWidth, stripAnsi, wrapAnsi] = await Promise.all([
  load<Width>(fromYargs.resolve('string-width')),
  load<Width>(fromCliui.resolve('string-width')),
  load<Width>(fromWrapAnsi.resolve('string-width')),
  load<(s: string) => string>(fromCliui.resolve('strip-ansi')),
  load<(s: string, columns: number, o: { hard: boolean }) => string>(fromCliui.resolve('wrap-ansi')),
]);

// words of letters and punctuation, runs of spaces, line breaks: what help text is made of, in small
// pieces so that words and rows collide with the column widths often
const piece = fc.constantFrom('a', 'bc', 'def', 'longerword', 'x'.repeat(23), '-', '--opt', '[string]', ' ', '  ', '\n', '\r\n', '(e.g.', '1,2');
const asciiText = fc.array(piece, { maxLength: 40 }).map((p) => p.join(''));
const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });

describe('ASCII help layout', () => {
  it('width = string-width (yargs\', cliui\'s and wrap-ansi\'s copies); stripAnsi = strip-ansi', () => {
    fc.assert(
      fc.property(fc.oneof(asciiText, printable), (s) => {
        const w = asciiWidth(s);
        expect(w).toBe(yargsWidth(s));
        expect(w).toBe(cliuiWidth(s));
        expect(w).toBe(wrapAnsiWidth(s));
        expect(asciiStripAnsi(s)).toBe(stripAnsi(s));
      }),
      { numRuns: 3000 },
    );
  });

  it('wrap = wrap-ansi with { hard: true }, for every column width 1..40', () => {
    fc.assert(
      fc.property(fc.oneof(asciiText, printable), fc.integer({ min: 1, max: 40 }), (s, columns) => {
        expect(asciiWrap(s, columns, { hard: true })).toBe(wrapAnsi(s, columns, { hard: true }));
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses text it cannot measure, and wrap options other than { hard: true }', () => {
    for (const s of ['±2^e', 'tab\there', '\u001b[1mbold\u001b[22m', 'caf\u00e9']) {
      expect(() => asciiWidth(s), s).toThrow(NotAsciiText);
      expect(() => asciiWrap(s, 10, { hard: true }), s).toThrow(NotAsciiText);
    }
    expect(() => asciiStripAnsi('\u001b[31mred')).toThrow(NotAsciiText);
    expect(() => asciiWrap('a b', 10, { hard: false })).toThrow(/hard: true/);
  });
});
