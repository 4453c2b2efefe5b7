// The reference data the tests compare against lives in tests/fixtures/ (see its README.md for
// what each set is and where its numbers come from). Every test reaches it through fixturePath,
// which fails loudly, naming the file, when a fixture is missing: a test never skips for lack of
// its data.
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const REPOSITORY = resolve(import.meta.dirname, '../..');

export const FIXTURES_DIR = join(REPOSITORY, 'tests', 'fixtures');

export class MissingFixtureError extends Error {
  override readonly name = 'MissingFixtureError';

  constructor(readonly path: string) {
    super(`missing test fixture ${relative(REPOSITORY, path)} (tests/fixtures/README.md lists what belongs there)`);
  }
}

/** The absolute path of a file or folder under tests/fixtures; throws MissingFixtureError if it is absent. */
export function fixturePath(...parts: string[]): string {
  const path = join(FIXTURES_DIR, ...parts);
  if (!existsSync(path)) throw new MissingFixtureError(path);
  return path;
}
