// A deterministic YAML writer for JSON-shaped values (the OpenAPI document): block style, two-space
// indents, plain scalars where YAML reads them back as the same string, JSON double quotes
// elsewhere (a JSON string is a valid YAML double-quoted scalar). No dependency, no options.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Strings YAML 1.1 or 1.2 would read as something other than a string. */
const SPECIAL = /^(?:true|false|yes|no|on|off|y|n|null|~|[-+]?(?:\.?\d.*|\.inf|\.nan))$/i;
const PLAIN = /^[A-Za-z_/$][A-Za-z0-9_ ./{}()$,'-]*$/;

function scalarString(text: string): string {
  if (PLAIN.test(text) && !SPECIAL.test(text) && !text.endsWith(' ') && !text.includes(': ') && !text.includes(' #'))
    return text;
  return JSON.stringify(text);
}

function scalar(value: null | boolean | number | string): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return scalarString(value);
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`cannot write ${value} as YAML`);
  return String(value);
}

function isEmptyCollection(value: Json): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0)
  );
}

function lines(value: Json, indent: string): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      if (typeof item !== 'object' || item === null || isEmptyCollection(item)) return [`${indent}- ${inline(item)}`];
      const [first = '', ...rest] = lines(item, `${indent}  `);
      return [`${indent}- ${first.slice(indent.length + 2)}`, ...rest];
    });
  }
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => {
      const label = `${indent}${scalarString(key)}:`;
      if (typeof item !== 'object' || item === null || isEmptyCollection(item)) return [`${label} ${inline(item)}`];
      return [label, ...lines(item, `${indent}  `)];
    });
  }
  return [`${indent}${scalar(value)}`];
}

function inline(value: Json): string {
  if (Array.isArray(value)) return '[]';
  if (typeof value === 'object' && value !== null) return '{}';
  return scalar(value);
}

export function toYaml(value: unknown): string {
  // Round-trip through JSON: drops undefined and symbol keys (TypeBox's Kind), as a JSON reader would.
  const json = JSON.parse(JSON.stringify(value)) as Json;
  if (typeof json !== 'object' || json === null || isEmptyCollection(json)) return `${inline(json)}\n`;
  return `${lines(json, '').join('\n')}\n`;
}
