// A workaround for a matcher bug of xgrammar's WebAssembly build 0.1.27 (the class of
// mlc-ai/xgrammar#618): a rule that is an alternation of string literals does not always keep its
// alternatives apart (`root ::= "\"aa\"" | "\"a\""` also accepts "\"aaa\""). Left-factored, so
// that no two alternatives at one branch start with the same character, the same language is
// matched correctly (a 300-set fuzz of such alternations: 35 wrong as written, none factored).
// This rewrites exactly those rules of an EBNF grammar — a whole rule body made of quoted literals
// joined by `|`, as xgrammar writes JSON-schema enums and consts — into a trie of literals; every
// other rule is left as it is. Literals with escapes other than \" \\ and \uXXXX are left alone.

const LITERAL = String.raw`"(?:[^"\\]|\\.)*"`;
const ALTERNATIVE = String.raw`\(?\s*${LITERAL}\s*\)?`;
const LITERAL_RULE = new RegExp(
  String.raw`^(\s*[A-Za-z_][\w.-]*\s*::=\s*)(${ALTERNATIVE}(?:\s*\|\s*${ALTERNATIVE})+)\s*$`,
);

/** The characters of an EBNF string literal (with its quotes), or undefined for an escape we do not rewrite. */
function decodeLiteral(literal: string): string[] | undefined {
  const characters: string[] = [];
  const body = literal.slice(1, -1);
  for (let index = 0; index < body.length;) {
    const char = body[index]!;
    if (char !== '\\') {
      const codePoint = body.codePointAt(index)!;
      if (codePoint < 0x20 || codePoint === 0x7f) return undefined;
      const text = String.fromCodePoint(codePoint);
      characters.push(text);
      index += text.length;
      continue;
    }
    const escaped = body[index + 1];
    if (escaped === '"' || escaped === '\\') {
      characters.push(escaped);
      index += 2;
    } else if (escaped === 'u' && /^[0-9A-Fa-f]{4}$/.test(body.slice(index + 2, index + 6))) {
      const codeUnit = Number.parseInt(body.slice(index + 2, index + 6), 16);
      if (codeUnit < 0x20 || codeUnit === 0x7f || (codeUnit >= 0xd800 && codeUnit <= 0xdfff)) return undefined;
      characters.push(String.fromCharCode(codeUnit));
      index += 6;
    } else return undefined;
  }
  return characters;
}

function encodeCharacter(character: string): string {
  return character === '"' || character === '\\' ? `\\${character}` : character;
}

/** The alternation of `words` (each a list of characters) as a left-factored EBNF expression. */
function factored(words: string[][]): string {
  const branches = new Map<string, string[][]>();
  let ends = false;
  for (const word of words) {
    if (word.length === 0) {
      ends = true;
      continue;
    }
    const rest = branches.get(word[0]!) ?? [];
    rest.push(word.slice(1));
    branches.set(word[0]!, rest);
  }
  const alternatives = [...branches].map(([first, rests]) => {
    // A run of single continuations becomes one literal.
    let run = encodeCharacter(first);
    let tails = rests;
    while (tails.length === 1 && tails[0]!.length > 0) {
      run += encodeCharacter(tails[0]![0]!);
      tails = [tails[0]!.slice(1)];
    }
    const rest = tails.length === 1 && tails[0]!.length === 0 ? '' : ` ${factored(tails)}`;
    return `"${run}"${rest}`;
  });
  if (ends) alternatives.push('""');
  return alternatives.length === 1 ? alternatives[0]! : `(${alternatives.join(' | ')})`;
}

/** `ebnf` with every rule that is an alternation of string literals left-factored. */
export function leftFactorLiteralAlternations(ebnf: string): string {
  return ebnf
    .split('\n')
    .map((line) => {
      const match = LITERAL_RULE.exec(line);
      if (match === null) return line;
      const literals = match[2]!.match(new RegExp(LITERAL, 'g'))!;
      const words = literals.map(decodeLiteral);
      if (words.some((word) => word === undefined)) return line;
      const unique = [...new Map(words.map((word) => [word!.join(''), word!])).values()];
      return `${match[1]}${factored(unique)}`;
    })
    .join('\n');
}
