/**
 * The "vs PyTorch eager" column of the bench. The lead wires this to models/' torch
 * sampler: run the same pack checkpoint, same steps and seed, same machine, and return
 * `torch wall seconds / Emerge wall seconds` for the default generation. Until then it
 * returns null and the bench prints "n/a".
 */

/** What the torch hook gets: the engine's measured wall time for the same request. */
export interface TorchComparison {
  /** Emerge's wall seconds for one default generation, previews off, decode included. */
  emergeSeconds: number;
  steps: number;
  seed: number;
  prompt: string;
}

/** Returns torch_seconds / emerge_seconds, or null when no torch reference is wired. */
export function torchSpeedup(_: TorchComparison): Promise<number | null> {
  return Promise.resolve(null);
}
