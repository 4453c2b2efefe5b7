// How Qwen2.5-VL's tokenizer writes its vocabulary, for the grammar engine: a GPT-2 style
// byte-level BPE (each byte is one printable character: "Ġ" is a space), no prepended space.
export const QWEN2_5_VL_VOCABULARY_TYPE = 'byte_level' as const;
