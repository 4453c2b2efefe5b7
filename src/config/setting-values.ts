// Parsers for setting values written by people: integers, byte sizes with units, durations in
// seconds. Each throws an Error whose message names what was expected; callers add the source.

export function parseInteger(text: string, minimum: number, maximum: number): number {
  const trimmed = text.trim();
  if (!/^[+-]?\d+$/.test(trimmed)) throw new Error(`expected an integer, got '${text}'`);
  const value = Number(trimmed);
  if (value < minimum || value > maximum)
    throw new Error(`expected an integer from ${minimum} to ${maximum}, got ${value}`);
  return value;
}

const BYTE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/** `67108864`, `64MiB`, `64m` (binary), `64MB` (decimal). Returns whole bytes. */
export function parseByteSize(text: string, minimum: number, maximum: number): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = match === null ? undefined : BYTE_UNITS[(match[2] ?? '').toLowerCase()];
  if (match === null || unit === undefined)
    throw new Error(`expected a size such as 67108864, 64MiB or 500MB, got '${text}'`);
  const bytes = Math.floor(Number(match[1]) * unit);
  if (bytes < minimum || bytes > maximum)
    throw new Error(`expected a size from ${minimum} to ${maximum} bytes, got ${bytes}`);
  return bytes;
}

/** A duration in seconds (`30`, `2.5`), returned in milliseconds. */
export function parseSeconds(text: string, minimumSeconds: number, maximumSeconds: number): number {
  const trimmed = text.trim().replace(/s$/i, '');
  if (!/^\d+(\.\d+)?$/.test(trimmed)) throw new Error(`expected a number of seconds, got '${text}'`);
  const seconds = Number(trimmed);
  if (seconds < minimumSeconds || seconds > maximumSeconds) {
    throw new Error(`expected ${minimumSeconds} to ${maximumSeconds} seconds, got ${seconds}`);
  }
  return Math.round(seconds * 1000);
}

/** A decimal number (`27`, `12.5`) within [minimum, maximum]. */
export function parseDecimal(text: string, minimum: number, maximum: number): number {
  const trimmed = text.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed)) throw new Error(`expected a number, got '${text}'`);
  const value = Number(trimmed);
  if (value < minimum || value > maximum)
    throw new Error(`expected a number from ${minimum} to ${maximum}, got ${value}`);
  return value;
}
