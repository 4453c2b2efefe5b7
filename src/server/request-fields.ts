// Two conveniences for OpenAI-style JSON bodies: top-level `null` means "not given" (clients send
// it for unset optional fields), and fields we do not know are accepted but logged, once per name,
// so an operator sees what clients expect without a log line per request.
import type { FastifyBaseLogger } from 'fastify';

export function dropNullFields(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const record = body as Record<string, unknown>;
  for (const key of Object.keys(record)) if (record[key] === null) delete record[key];
  return body;
}

/** Stop remembering names past this many: random keys must not grow memory without bound. */
const MAX_REMEMBERED_FIELDS = 1000;

export function unknownFieldReporter(
  knownFields: readonly string[],
  route: string,
): (body: unknown, log: FastifyBaseLogger) => void {
  const known = new Set(knownFields);
  const reported = new Set<string>();
  return (body, log) => {
    if (typeof body !== 'object' || body === null) return;
    for (const field of Object.keys(body)) {
      if (known.has(field) || reported.has(field) || reported.size >= MAX_REMEMBERED_FIELDS) continue;
      reported.add(field);
      log.warn({ field: field.slice(0, 100), route }, 'ignoring unknown request field (logged once per field)');
    }
  };
}
