import assert from "node:assert/strict";
import { PackInvalidError } from "../errors.ts";
import { PackTokenizer } from "./tokenizer.ts";

/** The shape models/text.py saves: WordLevel, Lowercase, Whitespace. */
export function fixtureTokenizerJson(words: string[]): unknown {
  const vocab: Record<string, number> = { "[PAD]": 0, "[UNK]": 1 };
  for (const w of words) vocab[w] ??= Object.keys(vocab).length;
  const special = (content: string, id: number) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [special("[PAD]", 0), special("[UNK]", 1)],
    normalizer: { type: "Lowercase" },
    pre_tokenizer: { type: "Whitespace" },
    post_processor: null,
    decoder: null,
    model: { type: "WordLevel", vocab, unk_token: "[UNK]" },
  };
}

const json = fixtureTokenizerJson(["a", "red", "ball", "bounces", ","]);

Deno.test("PackTokenizer lowercases, splits punctuation, maps unknown words to [UNK] and pads", () => {
  const t = new PackTokenizer(json, { maxLength: 8, padId: 0 });
  const { ids, mask } = t.encode("A RED ball, zigzags");
  assert.deepEqual(ids, [2, 3, 4, 6, 1, 0, 0, 0]);
  assert.deepEqual(mask, [1, 1, 1, 1, 1, 0, 0, 0]);
});

Deno.test("PackTokenizer truncates to max_length and gives an all-zero mask for the empty prompt", () => {
  const t = new PackTokenizer(json, { maxLength: 3, padId: 0 });
  assert.deepEqual(t.encode("a red ball bounces").ids, [2, 3, 4]);
  assert.deepEqual(t.encode(""), { ids: [0, 0, 0], mask: [0, 0, 0] });
});

Deno.test("PackTokenizer refuses a tokenizer.json without a model", () => {
  assert.throws(() => new PackTokenizer({}, { maxLength: 3, padId: 0 }), PackInvalidError);
});
