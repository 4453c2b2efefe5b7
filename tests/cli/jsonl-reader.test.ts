// The rules every JSON Lines reader of the command line shares (src/cli/jsonl-reader.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/cli-error.js';
import { readJsonLines } from '../../src/cli/jsonl-reader.js';

let folder = '';
const file = (name: string, text: string): string => {
  writeFileSync(join(folder, name), text);
  return join(folder, name);
};

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'shotvl-jsonl-reader-'));
});

afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('readJsonLines', () => {
  it('parses each line with its number, passing over blank lines and a cut-off last line', async () => {
    const path = file('interrupted.jsonl', '{"a":1}\n\n  \n[2]\n{"a":3');
    expect(await readJsonLines(path, { notJson: 'not mine' })).toEqual([
      { value: { a: 1 }, number: 1 },
      { value: [2], number: 4 },
    ]);
  });

  it('refuses a line that is not JSON before the last, naming the file and the line', async () => {
    const path = file('wrong.jsonl', '{"a":1}\nindex\tquestion\n{"a":3}\n');
    const reading = readJsonLines(path, { notJson: 'not a JSON line; is it a shard?' });
    await expect(reading).rejects.toBeInstanceOf(CliError);
    await expect(reading).rejects.toThrow(`${path}:2: not a JSON line; is it a shard?`);
  });

  it('reads a missing file as empty only when asked to, and names the file as told', async () => {
    const missing = join(folder, 'missing.jsonl');
    expect(await readJsonLines(missing, { notJson: '', missingIsEmpty: true })).toEqual([]);
    await expect(readJsonLines(missing, { notJson: '', name: `predictions ${missing}` })).rejects.toThrow(
      `cannot read predictions ${missing}: ENOENT`,
    );
  });
});
