/**
 * A small LRU of text encodings keyed by prompt. Steering back to an earlier prompt,
 * the empty negative prompt every job shares and a server replaying one prompt all
 * skip the text encoder.
 */
import type { TextEncoding } from "./backend.ts";

/** Encodes prompts through `encode`, batching the misses into one call. */
export class TextCache {
  #entries = new Map<string, TextEncoding>();
  #encode: (prompts: string[]) => Promise<TextEncoding[]>;
  #capacity: number;

  constructor(encode: (prompts: string[]) => Promise<TextEncoding[]>, capacity = 64) {
    this.#encode = encode;
    this.#capacity = capacity;
  }

  /** Whether `prompt` would be served without a model call. */
  has(prompt: string): boolean {
    return this.#entries.has(prompt);
  }

  /** Encodings in the order of `prompts`; at most one encoder call for all misses. */
  async get(prompts: string[]): Promise<TextEncoding[]> {
    const misses = [...new Set(prompts.filter((p) => !this.#entries.has(p)))];
    if (misses.length > 0) {
      const encoded = await this.#encode(misses);
      misses.forEach((p, i) => this.#put(p, encoded[i]!));
    }
    return prompts.map((p) => this.#touch(p));
  }

  #touch(prompt: string): TextEncoding {
    const hit = this.#entries.get(prompt)!;
    // Map keeps insertion order: re-inserting makes this the most recently used.
    this.#entries.delete(prompt);
    this.#entries.set(prompt, hit);
    return hit;
  }

  #put(prompt: string, encoding: TextEncoding): void {
    this.#entries.set(prompt, encoding);
    while (this.#entries.size > this.#capacity) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
  }
}
