// A small GNU-style flag reader for the configuration modules: `--name value`, `--name=value`,
// boolean `--flag` / `--no-flag`. It knows which flags exist, so a typo is an error instead of a
// silently ignored setting.
import { ShotvlError } from '../util/shotvl-error.js';

export class FlagError extends ShotvlError<'invalid_flag'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_flag', message, options);
  }
}

export interface FlagDefinition {
  name: string;
  /** Boolean flags take no value (`--x`, `--no-x`, or `--x=true|false`). */
  boolean?: boolean;
}

/** Flag name -> raw value ('true' / 'false' for booleans). The last occurrence wins. */
export type FlagValues = ReadonlyMap<string, string>;

function booleanText(flag: string, text: string): string {
  const lowered = text.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(lowered)) return 'true';
  if (['false', '0', 'no', 'off'].includes(lowered)) return 'false';
  throw new FlagError(`--${flag} takes true or false, got '${text}'`);
}

export function readFlags(argv: readonly string[], definitions: readonly FlagDefinition[]): FlagValues {
  const known = new Map(definitions.map((definition) => [definition.name, definition]));
  const values = new Map<string, string>();
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index] as string;
    if (!argument.startsWith('--')) throw new FlagError(`unexpected argument '${argument}'`);
    const equals = argument.indexOf('=');
    const name = argument.slice(2, equals === -1 ? undefined : equals);
    const inline = equals === -1 ? undefined : argument.slice(equals + 1);
    const negated = name.startsWith('no-') && known.get(name.slice(3))?.boolean === true;
    const definition = known.get(negated ? name.slice(3) : name);
    if (definition === undefined) {
      const names = [...known.keys()].map((flag) => `--${flag}`).join(', ');
      throw new FlagError(`unknown flag --${name} (known flags: ${names})`);
    }
    if (definition.boolean === true) {
      if (negated && inline !== undefined) throw new FlagError(`--${name} takes no value`);
      values.set(
        definition.name,
        negated ? 'false' : inline === undefined ? 'true' : booleanText(definition.name, inline),
      );
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[index + 1];
      if (next === undefined || next.startsWith('--')) throw new FlagError(`--${name} needs a value`);
      value = next;
      index += 1;
    }
    values.set(definition.name, value);
  }
  return values;
}
