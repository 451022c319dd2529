/**
 * Opens a pack folder: validates the manifest, reads the tokenizer and creates every
 * ONNX session once (they are reused by every job for the engine's lifetime).
 */
import * as ort from "onnxruntime-node";
import { join, resolve } from "node:path";
import { PackInvalidError } from "../errors.ts";
import { type ComponentName, type Manifest, parseManifest } from "./manifest.ts";
import { PackTokenizer } from "./tokenizer.ts";

/** Where the ONNX graphs run. "cuda" falls back to the CPU for unsupported nodes. */
export type Device = "cpu" | "cuda";

/** How to open a pack. */
export interface PackOptions {
  /** Execution provider; defaults to "cpu". "cuda" runs on the CPU when CUDA is unavailable. */
  device?: Device;
  /** Threads per session for one op; onnxruntime's default is every core. */
  intraOpThreads?: number;
  /**
   * Components to open a second time with every core (`Pack.allCores`) when
   * `intraOpThreads` leaves some to the preview worker: calls with no preview in
   * flight can use them. The step loop runs the denoiser and the final video decoder.
   */
  allCores?: readonly ComponentName[];
  /**
   * Which sessions to create (default: all but the optional encoders), or how to pick
   * them from the manifest. A preview worker opens only the decoder its part needs.
   */
  components?: readonly ComponentName[] | ((manifest: Manifest) => readonly ComponentName[]);
}

/** An opened pack: manifest, tokenizer and one live session per component. */
export interface Pack {
  dir: string;
  manifest: Manifest;
  tokenizer: PackTokenizer;
  /** Where the sessions run: the CPU when CUDA was asked for but is unavailable. */
  device: Device;
  sessions: Partial<Record<ComponentName, ort.InferenceSession>>;
  /** Components opened again with every core (see PackOptions.allCores). */
  allCores?: Partial<Record<ComponentName, ort.InferenceSession>>;
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new PackInvalidError(`Cannot load pack: ${what} "${path}" cannot be read`, {
      cause: error,
    });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new PackInvalidError(`Cannot load pack: ${what} "${path}" is not valid JSON`, {
      cause: error,
    });
  }
}

/** Why CUDA sessions cannot be created in this process (null: they can), once asked. */
let cudaProbe: Promise<string | null> | undefined;

/**
 * Probes CUDA once per process with a CUDA-only session of `path`. Without the probe, a
 * machine lacking the CUDA libraries failed at session creation and the pack was reported
 * as "not a loadable ONNX model"; now it runs on the CPU with one warning.
 */
function cudaUnavailable(path: string): Promise<string | null> {
  cudaProbe ??= ort.InferenceSession.create(path, { executionProviders: ["cuda"] }).then(
    async (session) => {
      await session.release();
      return null;
    },
    (error) => {
      const reason = String((error as Error).message ?? error).split("\n")[0]!;
      const short = reason.length > 120 ? `${reason.slice(0, 117)}...` : reason;
      console.warn(
        `emerge: CUDA was asked for but is not available (${short}); running on the CPU`,
      );
      return short;
    },
  );
  return cudaProbe;
}

/** The smallest of `files` by size (a cheap model to probe CUDA with). */
async function smallest(files: string[]): Promise<string> {
  const sizes = await Promise.all(
    files.map((file) => Deno.stat(file).then((info) => info.size, () => Infinity)),
  );
  return files[sizes.indexOf(Math.min(...sizes))]!;
}

/**
 * Loads the pack in `dir`; throws PackInvalidError naming the file or field at fault.
 *
 * @example
 * const pack = await loadPack("models/default", { device: "cpu" });
 */
export async function loadPack(dir: string, options: PackOptions = {}): Promise<Pack> {
  dir = resolve(dir);
  const manifest = parseManifest(
    await readJson(join(dir, "manifest.json"), "manifest"),
    join(dir, "manifest.json"),
  );
  const tokenizer = new PackTokenizer(
    await readJson(join(dir, manifest.tokenizer.file), "tokenizer"),
    { maxLength: manifest.tokenizer.max_length, padId: manifest.tokenizer.pad_id },
  );
  const entries = Object.entries(manifest.components).filter(([, spec]) => spec !== undefined);
  // Encoders are optional and unused by sampling; skip them to save memory.
  const wanted = typeof options.components === "function"
    ? options.components(manifest)
    : options.components;
  const needed = entries.filter(([name]) =>
    wanted
      ? wanted.includes(name as ComponentName)
      : !name.endsWith("_encoder") || name === "text_encoder"
  );
  // CUDA asked for but unable to start runs on the CPU (cudaUnavailable warns once).
  let device: Device = "cpu";
  if (options.device === "cuda" && needed.length > 0) {
    const probe = await smallest(needed.map(([, spec]) => join(dir, spec!.file)));
    if (await cudaUnavailable(probe) === null) device = "cuda";
  }
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: device === "cuda" ? ["cuda", "cpu"] : ["cpu"],
    graphOptimizationLevel: "all",
    // onnxruntime's pool threads spin-wait after each op by default. With a preview
    // decoder, an audio decoder and the denoiser sharing two cores, the spinning
    // threads starved the denoiser (16 steps: 152 ms alone, 1301 ms beside previews).
    extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } },
    ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
  };
  const sessions: Pack["sessions"] = {};
  await Promise.all(needed.map(async ([name, spec]) => {
    const path = join(dir, spec!.file);
    try {
      sessions[name as ComponentName] = await ort.InferenceSession.create(path, sessionOptions);
    } catch (error) {
      throw new PackInvalidError(
        `Cannot load pack: ${name} "${path}" is not a loadable ONNX model (${
          (error as Error).message
        })`,
        { cause: error },
      );
    }
  }));
  const cores = navigator.hardwareConcurrency;
  const allCores: Pack["allCores"] = {};
  if (options.allCores && options.intraOpThreads && options.intraOpThreads < cores) {
    await Promise.all(options.allCores.map(async (name) => {
      const spec = manifest.components[name];
      if (!spec) return;
      allCores[name] = await ort.InferenceSession.create(join(dir, spec.file), {
        ...sessionOptions,
        intraOpNumThreads: cores,
        // Used only while nothing else computes, so its threads may spin between ops:
        // two threads took a CFG call of the default denoiser from 50 to 33 ms with
        // spinning, to 43-53 ms without; the video decoder from 60 to 44 ms. They stop
        // spinning when a call returns: else the denoiser's spinning threads slowed the
        // final decode after its last step (video decoder 44-75 ms, not 36-41 ms).
        extra: { session: { intra_op: { allow_spinning: "1" }, force_spinning_stop: "1" } },
      });
    }));
  }
  return { dir, manifest, tokenizer, device, sessions, allCores };
}
