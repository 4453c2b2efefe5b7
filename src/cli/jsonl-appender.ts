// Appends JSON Lines to a results file (`shotvl bench run`, `shotvl analyze`), one record per line
// in call order, never interleaving. Opening repairs what an interrupted run left: a complete last
// record that only lacks its newline gets one; a cut-off one is dropped (its item runs again).
import { open, type FileHandle } from 'node:fs/promises';
import { CliError } from './cli-error.js';

export class JsonlAppender<Record> {
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly handle: FileHandle) {}

  /** Opens (creating) `path` for appending; subclasses get an instance of themselves. */
  static async open<Appender>(this: new (handle: FileHandle) => Appender, path: string): Promise<Appender> {
    const handle = await open(path, 'a+').catch((error: NodeJS.ErrnoException) => {
      throw new CliError(`cannot open ${path} for appending: ${error.code ?? error.message}`);
    });
    const text = (await handle.readFile()).toString('utf8');
    if (text.length > 0 && !text.endsWith('\n')) {
      const complete = text.lastIndexOf('\n') + 1;
      if (isJson(text.slice(complete))) await handle.appendFile('\n');
      else await handle.truncate(Buffer.byteLength(text.slice(0, complete)));
    }
    return new this(handle);
  }

  append(record: Record): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    this.pending = this.pending.then(() => this.handle.appendFile(line));
    return this.pending;
  }

  async close(): Promise<void> {
    await this.pending.catch(() => undefined);
    await this.handle.close();
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
