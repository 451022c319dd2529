/**
 * API keys: the long-lived secrets REST callers send as `Authorization: Bearer`.
 * A key is never stored with a job; its owner id is a hash prefix of it, so
 * records and tokens name the owner without carrying the secret.
 */
import { createHash } from "node:crypto";

/** The configured keys, looked up by hash. */
export class ApiKeys {
  #owners = new Map<string, string>();

  /** `keys`: the secrets; none means the server is open (auth off). */
  constructor(keys: readonly string[]) {
    for (const key of keys) this.#owners.set(digest(key), ownerId(key));
  }

  /** Whether any key is configured. */
  get enabled(): boolean {
    return this.#owners.size > 0;
  }

  /** The owner id of `key`, or undefined when it is not a configured key. */
  owner(key: string): string | undefined {
    // Looking up the digest, not the key, keeps the comparison's timing
    // independent of how much of a guessed key is right.
    return this.#owners.get(digest(key));
  }
}

/** The stable, non-secret id of the owner of `key`. */
export function ownerId(key: string): string {
  return "key_" + digest(key).slice(0, 16);
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
