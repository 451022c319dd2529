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

  /**
   * Encodings in the order of `prompts`; at most one encoder call for all misses. The
   * answer is assembled before the cache is updated: storing the misses may evict an
   * entry this same call needs (more prompts than capacity), and that must not lose it.
   */
  async get(prompts: string[]): Promise<TextEncoding[]> {
    const found = new Map<string, TextEncoding>();
    const misses: string[] = [];
    for (const p of new Set(prompts)) {
      const hit = this.#entries.get(p);
      if (hit) found.set(p, hit);
      else misses.push(p);
    }
    if (misses.length > 0) {
      const encoded = await this.#encode(misses);
      misses.forEach((p, i) => found.set(p, encoded[i]!));
    }
    for (const [p, encoding] of found) this.#put(p, encoding);
    return prompts.map((p) => found.get(p)!);
  }

  /** Stores `encoding` as the most recently used entry, evicting the least recent past capacity. */
  #put(prompt: string, encoding: TextEncoding): void {
    // Map keeps insertion order: re-inserting makes this the most recently used.
    this.#entries.delete(prompt);
    this.#entries.set(prompt, encoding);
    while (this.#entries.size > this.#capacity) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
  }
}
