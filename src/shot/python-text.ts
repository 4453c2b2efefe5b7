/**
 * Python's notion of whitespace, so that answer extraction tokenises exactly as the official
 * scorer's `str.split()`, `str.strip()` and regex `\s` do. JavaScript's `\s` differs: it includes
 * U+FEFF and excludes U+001C..U+001F and U+0085, which Python counts as space.
 */
const PYTHON_WHITESPACE_CLASS =
  '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/** A regex source fragment: one Python whitespace character (use inside a larger pattern). */
export const PYTHON_SPACE = `[${PYTHON_WHITESPACE_CLASS}]`;

const LEADING_OR_TRAILING = new RegExp(`^${PYTHON_SPACE}+|${PYTHON_SPACE}+$`, 'g');
const RUN_OF_SPACE = new RegExp(`${PYTHON_SPACE}+`);

/** Python `text.strip()`. */
export function pythonStrip(text: string): string {
  return text.replace(LEADING_OR_TRAILING, '');
}

/** Python `text.split()` (no separator): splits on runs of whitespace, drops empty pieces. */
export function pythonSplit(text: string): string[] {
  return text.split(RUN_OF_SPACE).filter((piece) => piece.length > 0);
}
