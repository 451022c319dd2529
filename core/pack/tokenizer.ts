/**
 * The pack's tokenizer: a Hugging Face `tokenizer.json` (WordLevel, lowercase,
 * whitespace split) read with @huggingface/tokenizers, padded or truncated to the
 * manifest's `tokenizer.max_length` exactly like models/text.py does at training.
 */
import { Tokenizer } from "@huggingface/tokenizers";
import { PackInvalidError } from "../errors.ts";

/** Ids and attention mask of one prompt, both of length `maxLength`. */
export interface TokenizedText {
  ids: number[];
  mask: number[];
}

/** A tokenizer bound to the pack's length and pad id. */
export class PackTokenizer {
  #tokenizer: Tokenizer;
  readonly maxLength: number;
  readonly padId: number;

  constructor(json: unknown, options: { maxLength: number; padId: number }) {
    const model = (json as { model?: { unk_token?: unknown } } | null)?.model;
    if (typeof model !== "object" || model === null) {
      throw new PackInvalidError(`Cannot load tokenizer: tokenizer.json has no "model" object`);
    }
    // tokenizers.js runs WordLevel through its Legacy model, which takes the unknown
    // token from the config argument rather than from the model section.
    const config = typeof model.unk_token === "string" ? { unk_token: model.unk_token } : {};
    try {
      this.#tokenizer = new Tokenizer(json as object, config);
    } catch (error) {
      throw new PackInvalidError(`Cannot load tokenizer: ${(error as Error).message}`, {
        cause: error,
      });
    }
    this.maxLength = options.maxLength;
    this.padId = options.padId;
  }

  /** Token ids (truncated, then padded with `padId`) and the mask of real tokens. */
  encode(text: string): TokenizedText {
    const raw = this.#tokenizer.encode(text, { add_special_tokens: false }).ids;
    const ids = raw.slice(0, this.maxLength).map((id) => id ?? this.padId);
    const mask = ids.map(() => 1);
    while (ids.length < this.maxLength) {
      ids.push(this.padId);
      mask.push(0);
    }
    return { ids, mask };
  }
}
