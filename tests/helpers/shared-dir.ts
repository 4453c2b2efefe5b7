// Where the project's shared reference data lives (../shared: golden outputs, ShotBench, OpenAI's
// spec). Tests read it from one place: SHOTVL_SHARED_DIR when set, else the `shared` folder beside
// this checkout, else the one beside the checkout this one was cloned from (a fresh
// `git clone /path/to/main /tmp/fresh` still finds /path/to/shared).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPOSITORY = resolve(import.meta.dirname, '../..');

function locateSharedDir(): string {
  const fromEnvironment = process.env.SHOTVL_SHARED_DIR;
  if (fromEnvironment !== undefined && fromEnvironment !== '') return resolve(fromEnvironment);
  const beside = resolve(REPOSITORY, '../shared');
  if (existsSync(beside)) return beside;
  try {
    const origin = execFileSync('git', ['remote', 'get-url', 'origin'], {
      cwd: REPOSITORY,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const besideOrigin = resolve(REPOSITORY, origin, '../shared');
    if (existsSync(besideOrigin)) return besideOrigin;
  } catch {
    // Not a git checkout, or no origin: fall through to the conventional place.
  }
  return beside;
}

export const SHARED_DIR = locateSharedDir();

export function sharedPath(...parts: string[]): string {
  return join(SHARED_DIR, ...parts);
}
