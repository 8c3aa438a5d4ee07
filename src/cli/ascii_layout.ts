/**
 * The three text functions yargs' help layout (cliui) needs -- display width, ANSI stripping and hard
 * word wrap -- for ASCII text: lines of printable characters (U+0020..U+007E) split by \n or \r\n, where
 * each is exact and cheap. The packages yargs uses (string-width 7/8, strip-ansi, wrap-ansi 9) compute the same results
 * through Intl.Segmenter and Unicode tables: ~75 ms of a `--help` that takes ~270 ms in all (profile in
 * docs/architecture.md, "Start-up time"). In printable ASCII every character is one column wide and
 * there is no escape sequence, while the line breaks are control characters of width 0, so:
 *   width(s) = s.length - (number of \n and \r in s),   stripAnsi(s) = s,
 *   wrap(s, columns, { hard: true }) = wrap-ansi's algorithm with every width a length (asciiWrap below).
 * Each function throws NotAsciiText on other text, before anything is printed; main.ts then lays the help
 * out again with yargs' own packages (src/cli/yargs_lean.ts takes those at once for a locale whose text
 * is not ASCII). test/unit/startup.test.ts checks that every lowbit help text is ASCII, so --help never
 * takes that slower path; test/unit/ascii_layout.test.ts: equal to string-width, strip-ansi and wrap-ansi
 * on random text.
 */

const PRINTABLE_ASCII = /^[\u0020-\u007E]*$/;
const ASCII_LINES = /^[\n\r\u0020-\u007E]*$/;

/** Thrown for text these functions cannot measure; main.ts then lays the help out with yargs' packages. */
export class NotAsciiText extends Error {}

function refuse(what: string, s: string): never {
  throw new NotAsciiText(`${what}: help text ${JSON.stringify(s.slice(0, 60))} is not ASCII lines`);
}

/** Columns `s` takes on a terminal: its printable characters (ASCII lines only). */
export function asciiWidth(s: string): number {
  if (!ASCII_LINES.test(s)) refuse('asciiWidth', s);
  let breaks = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) breaks++;
  for (let i = s.indexOf('\r'); i >= 0; i = s.indexOf('\r', i + 1)) breaks++;
  return s.length - breaks;
}

/** `s` without ANSI escape sequences: `s` itself (ASCII lines have none). */
export function asciiStripAnsi(s: string): string {
  if (!ASCII_LINES.test(s)) refuse('asciiStripAnsi', s);
  return s;
}

/**
 * wrap-ansi 9's `wrapAnsi(s, columns, { hard: true })` (trim and word wrap on, their defaults) for
 * printable-ASCII lines: each line is wrapped on its own.
 */
export function asciiWrap(s: string, columns: number, options: { hard: boolean }): string {
  if (Object.keys(options).join() !== 'hard' || options.hard !== true) throw new Error(`asciiWrap supports { hard: true } only, got ${JSON.stringify(options)}`);
  return String(s)
    .replaceAll('\r\n', '\n')
    .split('\n')
    .map((line) => (PRINTABLE_ASCII.test(line) ? wrapLine(line, columns) : refuse('asciiWrap', line)))
    .join('\n');
}

/** One line: words (split on single spaces) fill rows of `columns`; a word longer than a row is cut. */
function wrapLine(line: string, columns: number): string {
  if (line.trim() === '') return '';
  const rows = [''];
  const last = (): string => rows[rows.length - 1]!;
  for (const [index, word] of line.split(' ').entries()) {
    rows[rows.length - 1] = last().trimStart();
    let rowLength = last().length;
    if (index !== 0 && rowLength > 0) {
      rows[rows.length - 1] += ' ';
      rowLength++;
    }
    if (word.length > columns) {
      // start the long word on a new row when that needs fewer breaks than starting it here
      const breaksStartingThisLine = 1 + Math.floor((word.length - (columns - rowLength) - 1) / columns);
      const breaksStartingNextLine = Math.floor((word.length - 1) / columns);
      if (breaksStartingNextLine < breaksStartingThisLine) rows.push('');
      wrapWord(rows, word, columns);
      continue;
    }
    if (rowLength + word.length > columns && rowLength > 0 && word.length > 0) rows.push('');
    rows[rows.length - 1] += word;
  }
  return rows.map((row) => row.replace(/ +$/, '')).join('\n');
}

/** Appends `word` to `rows` character by character, starting a new row whenever one is full. */
function wrapWord(rows: string[], word: string, columns: number): void {
  let visible = rows[rows.length - 1]!.length;
  for (let i = 0; i < word.length; i++) {
    if (visible + 1 <= columns) rows[rows.length - 1] += word[i];
    else {
      rows.push(word[i]!);
      visible = 0;
    }
    visible++;
    if (visible === columns && i < word.length - 1) {
      rows.push('');
      visible = 0;
    }
  }
  if (visible === 0 && rows[rows.length - 1]!.length > 0 && rows.length > 1) rows[rows.length - 2] += rows.pop();
}
