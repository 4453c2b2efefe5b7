import { ShotvlError } from '../../util/shotvl-error.js';
/**
 * A reader for the Python literals ShotBench's `test.tsv` stores in its `type` and `path` columns
 * (`['image/YWE9AAUK.jpg']`). The official script reads them with `json.loads` and falls back to
 * `ast.literal_eval` (`safe_load` in evaluation/shotvl/evaluate.py); this covers the literal forms
 * such data can hold: strings (single, double, triple quoted, with escapes and r/b/u prefixes),
 * numbers, True/False/None, lists, tuples and dicts.
 */
export type PythonValue = string | number | boolean | null | PythonValue[] | { [key: string]: PythonValue };

export class PythonLiteralError extends ShotvlError<'invalid_python_literal'> {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super('invalid_python_literal', `${message} at offset ${position}`);
  }
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\n': '',
};

class Reader {
  position = 0;
  constructor(readonly text: string) {}

  skipSpace(): void {
    while (this.position < this.text.length && /\s/.test(this.text.charAt(this.position))) this.position += 1;
  }

  fail(message: string): never {
    throw new PythonLiteralError(message, this.position);
  }

  value(): PythonValue {
    this.skipSpace();
    const character = this.text.charAt(this.position);
    if (character === '[' || character === '(') return this.sequence(character === '[' ? ']' : ')');
    if (character === '{') return this.dictionary();
    if (/[-+0-9.]/.test(character)) return this.number();
    const prefixed = /^([rRbBuU]{0,2})(['"])/.exec(this.text.slice(this.position, this.position + 3));
    if (prefixed !== null) return this.string();
    for (const [word, value] of [
      ['True', true],
      ['False', false],
      ['None', null],
    ] as const) {
      if (this.text.startsWith(word, this.position)) {
        this.position += word.length;
        return value;
      }
    }
    return this.fail(character === '' ? 'unexpected end of literal' : `unexpected '${character}'`);
  }

  private sequence(close: string): PythonValue[] {
    this.position += 1;
    const items: PythonValue[] = [];
    for (;;) {
      this.skipSpace();
      if (this.text.charAt(this.position) === close) break;
      items.push(this.value());
      this.skipSpace();
      if (this.text.charAt(this.position) === ',') this.position += 1;
      else if (this.text.charAt(this.position) !== close) this.fail(`expected ',' or '${close}'`);
    }
    this.position += 1;
    return items;
  }

  private dictionary(): { [key: string]: PythonValue } {
    this.position += 1;
    const entries: { [key: string]: PythonValue } = {};
    for (;;) {
      this.skipSpace();
      if (this.text.charAt(this.position) === '}') break;
      const key = this.value();
      if (typeof key === 'object' && key !== null) this.fail('unsupported dictionary key');
      this.skipSpace();
      if (this.text.charAt(this.position) !== ':') this.fail("expected ':'");
      this.position += 1;
      entries[String(key)] = this.value();
      this.skipSpace();
      if (this.text.charAt(this.position) === ',') this.position += 1;
      else if (this.text.charAt(this.position) !== '}') this.fail("expected ',' or '}'");
    }
    this.position += 1;
    return entries;
  }

  private number(): number {
    const match = /^[-+]?(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][-+]?\d+)?/.exec(this.text.slice(this.position));
    if (match === null) return this.fail('malformed number');
    this.position += match[0].length;
    return Number(match[0].replaceAll('_', ''));
  }

  private string(): string {
    const prefix = /^[rRbBuU]{0,2}/.exec(this.text.slice(this.position))?.[0] ?? '';
    const raw = /r/i.test(prefix);
    this.position += prefix.length;
    const quote = this.text.startsWith(this.text.charAt(this.position).repeat(3), this.position)
      ? this.text.charAt(this.position).repeat(3)
      : this.text.charAt(this.position);
    this.position += quote.length;
    let result = '';
    for (;;) {
      if (this.position >= this.text.length) this.fail('unterminated string');
      if (this.text.startsWith(quote, this.position)) break;
      const character = this.text.charAt(this.position);
      if (quote.length === 1 && character === '\n') this.fail('newline in string');
      if (character !== '\\') {
        result += character;
        this.position += 1;
        continue;
      }
      const next = this.text.charAt(this.position + 1);
      if (raw) {
        result += character + next;
        this.position += 2;
      } else {
        result += this.escape(next);
      }
    }
    this.position += quote.length;
    return result;
  }

  /** Decodes the escape whose backslash is at `position`; advances past it. */
  private escape(next: string): string {
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      this.position += 2;
      return simple;
    }
    const digits = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
    if (digits > 0) {
      const hex = this.text.slice(this.position + 2, this.position + 2 + digits);
      if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex)) this.fail(`malformed \\${next} escape`);
      this.position += 2 + digits;
      return String.fromCodePoint(Number.parseInt(hex, 16));
    }
    const octal = /^[0-7]{1,3}/.exec(this.text.slice(this.position + 1))?.[0];
    if (octal !== undefined) {
      this.position += 1 + octal.length;
      return String.fromCharCode(Number.parseInt(octal, 8));
    }
    // Python keeps unknown escapes as written ("\d" stays backslash-d).
    this.position += 2;
    return '\\' + next;
  }
}

export function parsePythonLiteral(text: string): PythonValue {
  const reader = new Reader(text);
  const value = reader.value();
  reader.skipSpace();
  if (reader.position !== text.length) reader.fail('unexpected text after literal');
  return value;
}

/** The official `safe_load`: JSON first, then a Python literal. */
export function parseJsonOrPythonLiteral(text: string): unknown {
  const trimmed = text.trim();
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return parsePythonLiteral(trimmed);
  }
}
