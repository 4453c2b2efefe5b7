import { ShotvlError } from '../../util/shotvl-error.js';
/**
 * Tab-separated values as pandas' `read_csv(sep="\t")` reads them (the official script's loader):
 * a field that starts with `"` is quoted (`""` is a literal quote, tabs and newlines may appear
 * inside); any other field is taken literally up to the next tab or newline, quotes included. The
 * latter matters: ShotBench's `options` column holds unquoted JSON such as `{"A": "Wide", ...}`.
 */
export class TsvError extends ShotvlError<'invalid_tsv'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_tsv', message, options);
  }
}

/** Splits TSV text into rows of fields. Blank lines are skipped, as pandas does. */
export function parseTsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let position = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let fieldStart = true;
  let field = '';
  const endRow = (): void => {
    row.push(field);
    if (!(row.length === 1 && row[0] === '')) rows.push(row);
    row = [];
    field = '';
    fieldStart = true;
  };
  while (position < text.length) {
    const character = text.charAt(position);
    if (fieldStart && character === '"') {
      const quoteLine = line;
      position += 1;
      for (;;) {
        if (position >= text.length) throw new TsvError(`line ${quoteLine}: unterminated quoted field`);
        const inside = text.charAt(position);
        if (inside === '"' && text.charAt(position + 1) === '"') {
          field += '"';
          position += 2;
        } else if (inside === '"') {
          position += 1;
          break;
        } else {
          if (inside === '\n') line += 1;
          field += inside;
          position += 1;
        }
      }
      fieldStart = false;
      continue;
    }
    fieldStart = false;
    if (character === '\t') {
      row.push(field);
      field = '';
      fieldStart = true;
    } else if (character === '\n' || character === '\r') {
      if (character === '\r' && text.charAt(position + 1) === '\n') position += 1;
      endRow();
      line += 1;
    } else {
      field += character;
    }
    position += 1;
  }
  if (!fieldStart || row.length > 0) endRow();
  return rows;
}

/** Rows as objects keyed by the header row. */
export function parseTsvRecords(text: string): Record<string, string>[] {
  const [header, ...rows] = parseTsv(text);
  if (header === undefined) return [];
  return rows.map((fields, rowNumber) => {
    if (fields.length !== header.length) {
      throw new TsvError(`row ${rowNumber + 1}: expected ${header.length} fields, found ${fields.length}`);
    }
    return Object.fromEntries(header.map((name, column) => [name, fields[column] ?? '']));
  });
}
