/**
 * The Backend over onnxruntime sessions. Tensors are built with the dtypes the
 * manifest declares (a pack may take `text_mask` as float or int64), every run is
 * timed for the bench, and any throw, or an output whose shape is off the contract
 * (models/PACK.md), becomes a ModelFailedError naming the component.
 */
import * as ort from "onnxruntime-node";
import type {
  Backend,
  DenoiseBatch,
  ModelStats,
  PreviewSound,
  RunOptions,
  TextEncoding,
  Velocity,
} from "../backend.ts";
import { StatsRecorder } from "../backend.ts";
import { ModelFailedError, PackInvalidError } from "../errors.ts";
import type { ClipGeometry } from "../geometry.ts";
import { type Rgb8Frames, toRgb8 } from "../media/frames.ts";
import { type ComponentName, previewSoundDecoder } from "./manifest.ts";
import type { DenoiseLane } from "./denoise_lane.ts";
import type { Pack } from "./load.ts";
import { joinVelocities, splitBatch } from "./split_batch.ts";

type Numbers = Float32Array | number[];

/** Output dtypes the engine reads. */
type OutputType = "float32" | "uint8";
const FLOAT: readonly OutputType[] = ["float32"];

/** An output's data as floats (its dtype was checked by #call). */
const floats = (out: ort.Tensor) => out.data as Float32Array;

/** Builds a tensor of the dtype the manifest names for `component.input`. */
function tensor(
  pack: Pack,
  component: ComponentName,
  input: string,
  data: Numbers,
  dims: number[],
): ort.Tensor {
  const dtype = pack.manifest.components[component]!.inputs[input]!.dtype;
  switch (dtype) {
    case "float32":
      return new ort.Tensor(
        "float32",
        data instanceof Float32Array ? data : Float32Array.from(data),
        dims,
      );
    case "int64":
      return new ort.Tensor(
        "int64",
        BigInt64Array.from(Array.from(data, (v) => BigInt(Math.round(v)))),
        dims,
      );
    case "int32":
      return new ort.Tensor("int32", Int32Array.from(data), dims);
    case "bool":
      return new ort.Tensor("bool", Uint8Array.from(data, (v) => (v ? 1 : 0)), dims);
    default:
      throw new PackInvalidError(
        `Cannot feed ${component}.${input}: dtype "${dtype}" is not supported`,
      );
  }
}

/** Runs the pack's sessions for the engine. */
export class OnnxBackend implements Backend {
  readonly textLength: number;
  readonly textDim: number;
  #pack: Pack;
  #lane: DenoiseLane | undefined;
  #stats = new StatsRecorder();

  /** The pack's validated manifest. */
  get manifest(): Pack["manifest"] {
    return this.#pack.manifest;
  }

  /** `lane`: a second denoiser session in a worker that takes half of every call's rows. */
  constructor(pack: Pack, options: { lane?: DenoiseLane } = {}) {
    this.#pack = pack;
    this.#lane = options.lane;
    this.textLength = pack.manifest.tokenizer.max_length;
    const pooled = pack.manifest.components.text_encoder.outputs.text_pooled!.shape;
    const dim = pooled[pooled.length - 1];
    if (typeof dim !== "number") {
      throw new PackInvalidError(
        `Cannot load pack: text_encoder output text_pooled needs a fixed last axis`,
      );
    }
    this.textDim = dim;
  }

  /**
   * Runs one component and returns the named outputs in the order given, each checked
   * against the shape the engine will index it with (-1: any length) and against
   * `accept`ed dtypes. Unchecked, a pack whose denoiser returned `[B]` for
   * `[B, Cv, Tv, Hv, Wv]` was read past its end: NaN latents and a black clip reported
   * "done" instead of a failed job. With `options.allCores`, the component's all-core
   * session runs it if the pack has one.
   */
  #run(
    component: ComponentName,
    feeds: Record<string, ort.Tensor>,
    outputs: Record<string, number[]>,
    options: RunOptions = {},
    accept = FLOAT,
  ): Promise<ort.Tensor[]> {
    return this.#stats.time(
      component,
      () => this.#call(component, feeds, outputs, options, accept),
    );
  }

  /** #run without the timing. */
  async #call(
    component: ComponentName,
    feeds: Record<string, ort.Tensor>,
    outputs: Record<string, number[]>,
    options: RunOptions = {},
    accept = FLOAT,
  ): Promise<ort.Tensor[]> {
    const session = (options.allCores && this.#pack.allCores?.[component]) ||
      this.#pack.sessions[component];
    if (!session) {
      throw new ModelFailedError(`Cannot run ${component}: the pack has no session for it`);
    }
    let result: ort.InferenceSession.ReturnType;
    try {
      result = await session.run(feeds);
    } catch (error) {
      throw new ModelFailedError(`Cannot run ${component}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return Object.entries(outputs).map(([name, dims]) => {
      const out = result[name];
      if (!out || !accept.includes(out.type as OutputType)) {
        throw new ModelFailedError(
          `Cannot run ${component}: output "${name}" is missing or not ${accept.join(" or ")}`,
        );
      }
      if (
        out.dims.length !== dims.length || out.dims.some((d, i) => dims[i] !== -1 && d !== dims[i])
      ) {
        throw new ModelFailedError(
          `Cannot run ${component}: output "${name}" has shape [${out.dims.join(", ")}], ` +
            `expected [${dims.map((d) => d === -1 ? "any" : d).join(", ")}]`,
        );
      }
      return out;
    });
  }

  async encodeText(prompts: string[]): Promise<TextEncoding[]> {
    const L = this.textLength, D = this.textDim, B = prompts.length;
    const encoded = prompts.map((p) => this.#pack.tokenizer.encode(p));
    const ids = encoded.flatMap((e) => e.ids), mask = encoded.flatMap((e) => e.mask);
    const [tokens, pooled] = await this.#run("text_encoder", {
      input_ids: tensor(this.#pack, "text_encoder", "input_ids", ids, [B, L]),
      attention_mask: tensor(this.#pack, "text_encoder", "attention_mask", mask, [B, L]),
    }, { text_tokens: [B, L, D], text_pooled: [B, D] });
    return encoded.map((e, b) => ({
      tokens: floats(tokens!).slice(b * L * D, (b + 1) * L * D),
      mask: Float32Array.from(e.mask),
      pooled: floats(pooled!).slice(b * D, (b + 1) * D),
    }));
  }

  /**
   * With a usable lane and two rows or more, the rows are cut in two and the halves run
   * at once, the first here and the second in the lane (`options.allCores` then has no
   * say: each half has its own core). Timed as one call, as intra-op threads would be.
   * A lane that dies (closed, or its worker crashed) leaves its half to this thread.
   */
  denoise(batch: DenoiseBatch, options: RunOptions = {}): Promise<Velocity> {
    const lane = this.#lane;
    if (!lane?.usable || batch.rows < 2) {
      return this.#stats.time("denoiser", () => this.#denoiseHere(batch, options));
    }
    return this.#stats.time("denoiser", async () => {
      const cut = Math.ceil(batch.rows / 2);
      const [here, there] = splitBatch(batch, cut);
      // Posted first, so the lane computes while this thread blocks on its own half.
      const far = lane.denoise(there).catch((error) => {
        if (lane.usable) throw error; // the model failed, not the lane
        return this.#denoiseHere(splitBatch(batch, cut)[1]); // `there` went to the worker
      });
      far.catch(() => {}); // if this thread's half throws first, `far` is never awaited
      const near = await this.#denoiseHere(here);
      return joinVelocities(near, await far);
    });
  }

  async #denoiseHere(batch: DenoiseBatch, options: RunOptions = {}): Promise<Velocity> {
    const B = batch.rows, L = this.textLength, D = this.textDim, g = batch.geometry;
    const t = (input: string, data: Numbers, dims: number[]) =>
      tensor(this.#pack, "denoiser", input, data, dims);
    const [video, audio] = await this.#call(
      "denoiser",
      {
        video: t("video", batch.video, [B, ...g.video]),
        audio: t("audio", batch.audio, [B, ...g.audio]),
        sigma: t("sigma", batch.sigma, [B]),
        text_tokens: t("text_tokens", batch.textTokens, [B, L, D]),
        text_mask: t("text_mask", batch.textMask, [B, L]),
        text_pooled: t("text_pooled", batch.textPooled, [B, D]),
      },
      { video_velocity: [B, ...g.video], audio_velocity: [B, ...g.audio] },
      options,
    );
    return { video: floats(video!), audio: floats(audio!) };
  }

  decodeVideo(
    latents: Float32Array,
    rows: number,
    geometry: ClipGeometry,
    options: RunOptions = {},
  ): Promise<Float32Array> {
    const clip = geometry.frames * geometry.height * geometry.width * 3;
    return this.#decodeClips(latents, rows, clip, async (part, n) => {
      const feeds = {
        latent: tensor(this.#pack, "video_decoder", "latent", part, [n, ...geometry.video]),
      };
      const [frames] = await this.#run("video_decoder", feeds, {
        frames: [n, geometry.frames, geometry.height, geometry.width, 3],
      }, options);
      return floats(frames!);
    });
  }

  decodeAudio(
    latents: Float32Array,
    rows: number,
    geometry: ClipGeometry,
  ): Promise<Float32Array> {
    return this.#decodeClips(latents, rows, geometry.samples, async (part, n) => {
      const feeds = {
        latent: tensor(this.#pack, "audio_decoder", "latent", part, [n, ...geometry.audio]),
      };
      const [waveform] = await this.#run("audio_decoder", feeds, {
        waveform: [n, geometry.samples],
      });
      return floats(waveform!);
    });
  }

  /**
   * The preview decoder's frames: 8-bit where the pack's graph makes them (the default
   * pack's does, 0.5 ms a 2 s preview less than float frames converted here).
   */
  async previewFrames(latent: Float32Array, g: ClipGeometry): Promise<Rgb8Frames> {
    const feeds = {
      latent: tensor(this.#pack, "preview_decoder", "latent", latent, [1, ...g.video]),
    };
    const [frames] = await this.#run(
      "preview_decoder",
      feeds,
      { frames: [1, g.frames, g.height, g.width, 3] },
      {},
      ["uint8", "float32"],
    );
    return frames!.type === "uint8"
      ? { data: frames!.data as Uint8Array, frames: g.frames, width: g.width, height: g.height }
      : toRgb8(floats(frames!), g.frames, g.width, g.height);
  }

  /**
   * The pack's audio preview decoder where it has one (the default pack's makes the
   * band below 4 kHz, at 8 kHz, in half the time), else its audio decoder. The preview's
   * rate is its sample count over the clip's seconds, and must be a whole number.
   */
  async previewSound(latent: Float32Array, g: ClipGeometry): Promise<PreviewSound> {
    const component = previewSoundDecoder(this.#pack.manifest);
    const feeds = { latent: tensor(this.#pack, component, "latent", latent, [1, ...g.audio]) };
    const [waveform] = await this.#run(component, feeds, {
      waveform: [1, component === "audio_decoder" ? g.samples : -1],
    });
    const samples = floats(waveform!), sampleRate = samples.length / g.seconds;
    if (!Number.isInteger(sampleRate) || sampleRate <= 0) {
      throw new ModelFailedError(
        `Cannot run ${component}: ${samples.length} samples for ${g.seconds} s is not a whole sample rate`,
      );
    }
    return { samples, sampleRate };
  }

  /**
   * Runs a decoder over `rows` clips of `latents`, one clip a call on a CPU. A batch
   * gains nothing there (four 2 s clips: video 64 ms at once or one by one, audio 14),
   * and onnxruntime's arena keeps each session's peak for good: eight clips decoded at
   * once held ~160 MiB more for the rest of the process's life than one at a time, and
   * a 15-minute soak's RSS levelled off near 870 MiB. A GPU keeps its batches.
   */
  async #decodeClips(
    latents: Float32Array,
    rows: number,
    clipSize: number,
    decode: (part: Float32Array, n: number) => Promise<Float32Array>,
  ): Promise<Float32Array> {
    if (rows === 1 || this.#pack.device !== "cpu") return await decode(latents, rows);
    const latentSize = latents.length / rows;
    const out = new Float32Array(rows * clipSize);
    for (let r = 0; r < rows; r++) {
      out.set(
        await decode(latents.subarray(r * latentSize, (r + 1) * latentSize), 1),
        r * clipSize,
      );
    }
    return out;
  }

  stats(): ModelStats {
    return this.#stats.snapshot();
  }

  async close(): Promise<void> {
    const sessions = [
      ...Object.values(this.#pack.sessions),
      ...Object.values(this.#pack.allCores ?? {}),
    ];
    await Promise.all([...sessions.map((s) => s.release()), this.#lane?.close()]);
  }
}
