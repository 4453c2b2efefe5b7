// GPT-2's byte-level alphabet, which Qwen's BPE inherits: every byte 0..255 is written as one
// printable Unicode character so that vocabulary entries are strings. Printable Latin-1 bytes map to
// themselves; the 68 others (controls, space, soft hyphen...) map to U+0100 onwards in byte order.
// Turning a token back into its exact bytes needs the inverse map; decoding a token to text one at a
// time would lose the halves of multi-byte characters that BPE splits across tokens.

function buildCharacterToByte(): Map<string, number> {
  const characterToByte = new Map<string, number>();
  const isPrintable = (byte: number) =>
    (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
  let next = 0;
  for (let byte = 0; byte < 256; byte++) {
    const codePoint = isPrintable(byte) ? byte : 256 + next++;
    characterToByte.set(String.fromCodePoint(codePoint), byte);
  }
  return characterToByte;
}

const CHARACTER_TO_BYTE = buildCharacterToByte();

/**
 * The bytes a byte-level BPE token stands for, or `undefined` when the string contains a character
 * outside the alphabet (then it is not a byte-level token, e.g. an added token's literal text).
 */
export function byteLevelTokenToBytes(token: string): Uint8Array | undefined {
  const bytes = new Uint8Array(token.length);
  let length = 0;
  for (const character of token) {
    const byte = CHARACTER_TO_BYTE.get(character);
    if (byte === undefined) return undefined;
    bytes[length++] = byte;
  }
  return bytes.subarray(0, length);
}
