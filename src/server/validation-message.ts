// Turns Ajv's schema errors (as Fastify hands them over) into one sentence for the client and the
// name of the field at fault, in the style of OpenAI's own messages:
//   "Invalid type for 'temperature': expected number."   param "temperature"
//   "Missing required parameter: 'messages[0].role'."    param "messages[0].role"
// With `allErrors` off, Ajv reports the first failure of every anyOf branch; the deepest ones are
// the branches that got furthest, i.e. what the client most likely meant; among errors at the same
// field, a branch whose type matched beats those whose type did not.

/** The subset of an Ajv ErrorObject that we read. */
export interface ValidationIssue {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
  parentSchema?: unknown;
}

const SUMMARY_KEYWORDS = new Set(['anyOf', 'oneOf', 'if', 'not']);

function segments(issue: ValidationIssue): string[] {
  const parts = issue.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (issue.keyword === 'required' && typeof issue.params.missingProperty === 'string')
    parts.push(issue.params.missingProperty);
  if (issue.keyword === 'discriminator' && typeof issue.params.tag === 'string') parts.push(issue.params.tag);
  if (issue.keyword === 'additionalProperties' && typeof issue.params.additionalProperty === 'string')
    parts.push(issue.params.additionalProperty);
  return parts;
}

/** `['messages', '0', 'content']` -> `messages[0].content`. */
export function formatParam(parts: readonly string[]): string {
  return parts.reduce(
    (path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path === '' ? part : `${path}.${part}`),
    '',
  );
}

function quoteList(values: readonly unknown[]): string {
  return values.map((value) => JSON.stringify(value)).join(', ');
}

/** Allowed tag values of a discriminated oneOf (needs Ajv's `verbose` for parentSchema). */
function discriminatorValues(issue: ValidationIssue): unknown[] {
  const schema = issue.parentSchema as { oneOf?: { properties?: Record<string, { const?: unknown }> }[] } | undefined;
  const tag = String(issue.params.tag);
  return (schema?.oneOf ?? []).map((branch) => branch.properties?.[tag]?.const).filter((value) => value !== undefined);
}

function describeGroup(issues: ValidationIssue[], name: string): string {
  const first = issues[0] as ValidationIssue;
  if (issues.every((issue) => issue.keyword === 'type')) {
    const types = [...new Set(issues.map((issue) => String(issue.params.type)))];
    return `Invalid type for '${name}': expected ${types.join(' or ')}.`;
  }
  if (issues.every((issue) => issue.keyword === 'const' || issue.keyword === 'enum')) {
    const allowed = issues.flatMap((issue) =>
      issue.keyword === 'const' ? [issue.params.allowedValue] : ((issue.params.allowedValues as unknown[]) ?? []),
    );
    return `Invalid value for '${name}': expected one of ${quoteList([...new Set(allowed)])}.`;
  }
  switch (first.keyword) {
    case 'required':
      return `Missing required parameter: '${name}'.`;
    case 'discriminator': {
      // `name` already ends with the tag (see segments).
      const allowed = discriminatorValues(first);
      if (first.params.error === 'tag')
        return `Missing or invalid '${name}'${allowed.length > 0 ? `: expected one of ${quoteList(allowed)}` : ''}.`;
      return `Invalid value for '${name}': expected one of ${quoteList(allowed)}.`;
    }
    case 'additionalProperties':
      return `Unrecognized parameter: '${name}'.`;
    case 'minItems':
      return first.params.limit === 1
        ? `'${name}' must not be empty.`
        : `'${name}' must have at least ${String(first.params.limit)} items.`;
    case 'maxItems':
      return `'${name}' must have at most ${String(first.params.limit)} items.`;
    case 'minLength':
      return first.params.limit === 1
        ? `'${name}' must not be empty.`
        : `'${name}' must be at least ${String(first.params.limit)} characters long.`;
    case 'maxLength':
      return `'${name}' must be at most ${String(first.params.limit)} characters long.`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `Invalid value for '${name}': ${String(first.params.comparison)} ${String(first.params.limit)} expected.`;
    default:
      // Ajv's own sentence ("must match pattern ...") is schema text, never runtime detail.
      return `Invalid value for '${name}': ${first.message ?? 'invalid'}.`;
  }
}

export function describeValidationError(
  issues: readonly ValidationIssue[],
  context: string,
): { message: string; param: string | null } {
  const relevant = issues.filter((issue) => !SUMMARY_KEYWORDS.has(issue.keyword));
  if (relevant.length === 0) return { message: `The request ${context} is invalid.`, param: null };
  const depth = Math.max(...relevant.map((issue) => segments(issue).length));
  const deepest = relevant.filter((issue) => segments(issue).length === depth);
  const path = segments(deepest[0] as ValidationIssue);
  const atPath = deepest.filter((issue) => segments(issue).join('/') === path.join('/'));
  // In a union, a branch whose type matched got further than those whose type did not.
  const matchedType = atPath.filter((issue) => issue.keyword !== 'type');
  const group = matchedType.length > 0 ? matchedType : atPath;
  const param = formatParam(path);
  if (param === '') {
    const first = group[0] as ValidationIssue;
    if (first.keyword === 'type')
      return { message: `The request ${context} must be a JSON ${String(first.params.type)}.`, param: null };
  }
  return { message: describeGroup(group, param), param: param === '' ? null : param };
}
