/**
 * The zod schema of a pack's `manifest.json` (`emerge-pack/1`, models/PACK.md).
 * Validation happens once at load; a wrong pack fails with the field's path in the
 * message, so a pack author sees `video.fps` rather than a stack trace at step 3.
 */
import { z } from "zod";
import { PackInvalidError } from "../errors.ts";

const dtype = z.enum(["float32", "float16", "int64", "int32", "bool", "uint8"]);

/** One input or output of an ONNX graph: its dtype and shape (names are dynamic axes). */
const tensorSpec = z.object({
  dtype,
  shape: z.array(z.union([z.number().int().positive(), z.string().min(1)])),
});

const component = z.object({
  file: z.string().min(1),
  inputs: z.record(z.string(), tensorSpec),
  outputs: z.record(z.string(), tensorSpec),
});

/** The tensor names of each component, fixed by the "Tensor contracts" table. */
export const TENSOR_CONTRACT = {
  text_encoder: {
    inputs: ["input_ids", "attention_mask"],
    outputs: ["text_tokens", "text_pooled"],
  },
  denoiser: {
    inputs: ["video", "audio", "sigma", "text_tokens", "text_mask", "text_pooled"],
    outputs: ["video_velocity", "audio_velocity"],
  },
  video_decoder: { inputs: ["latent"], outputs: ["frames"] },
  preview_decoder: { inputs: ["latent"], outputs: ["frames"] },
  audio_decoder: { inputs: ["latent"], outputs: ["waveform"] },
  audio_preview_decoder: { inputs: ["latent"], outputs: ["waveform"] },
  video_encoder: { inputs: ["frames"], outputs: ["latent"] },
  audio_encoder: { inputs: ["waveform"], outputs: ["latent"] },
} as const;

/** The name of a component in `components`. */
export type ComponentName = keyof typeof TENSOR_CONTRACT;

const positive = z.number().positive();
const positiveInt = z.number().int().positive();
const rgb = z.tuple([z.number(), z.number(), z.number()]);

const manifestSchema = z.object({
  format: z.literal("emerge-pack/1"),
  name: z.string().min(1),
  version: z.string().min(1),
  components: z.object({
    text_encoder: component,
    denoiser: component,
    video_decoder: component,
    audio_decoder: component,
    preview_decoder: component,
    /** A cheaper audio decoder for previews (at any whole sample rate); else audio_decoder. */
    audio_preview_decoder: component.optional(),
    video_encoder: component.optional(),
    audio_encoder: component.optional(),
  }),
  tokenizer: z.object({
    file: z.string().min(1),
    max_length: positiveInt,
    pad_id: z.number().int().nonnegative(),
  }),
  video: z.object({
    fps: positive,
    latent_channels: positiveInt,
    temporal_compression: positiveInt,
    spatial_compression: positiveInt,
    patch: z.tuple([positiveInt, positiveInt, positiveInt]),
  }),
  audio: z.object({
    sample_rate: positiveInt,
    latent_rate: positive,
    latent_channels: positiveInt,
  }),
  sizes: z.array(z.object({ name: z.string().min(1), width: positiveInt, height: positiveInt }))
    .min(1),
  durations: z.array(positive).min(1),
  /**
   * The most transformer tokens (video cubes + audio steps) one clip may have. Attention
   * scores grow with their square: 8192 tokens are ~1 GiB per CFG call of a 4-head
   * denoiser, at fp32, on a CPU that computes them whole.
   */
  max_tokens: positiveInt.default(8192),
  sampler: z.object({
    scheduler: z.enum(["euler", "dpmpp2m"]),
    steps: positiveInt,
    shift: positive,
    /**
     * Token-count-dependent shift, diffusers' `use_dynamic_shifting` (Flux, SD3.5): the
     * shift is `exp(mu)`, `mu` linear in a clip's tokens from `base_shift` at
     * `base_seq_len` to `max_shift` at `max_seq_len` (diffusers' base_image_seq_len,
     * max_image_seq_len, base_shift, max_shift). When present, `shift` is not used.
     */
    dynamic_shift: z.object({
      base_seq_len: positiveInt,
      max_seq_len: positiveInt,
      base_shift: z.number(),
      max_shift: z.number(),
    }).refine((d) => d.max_seq_len > d.base_seq_len, {
      message: "max_seq_len must be greater than base_seq_len",
    }).optional(),
    guidance: z.object({ video: z.number().nonnegative(), audio: z.number().nonnegative() }),
  }),
  preview: z.object({
    latent_to_rgb: z.array(rgb),
    rgb_bias: rgb,
  }),
  heldout: z.array(z.record(z.string(), z.string())).default([]),
  provenance: z.record(z.string(), z.unknown()).default({}),
}).superRefine((m, ctx) => {
  for (const [name, contract] of Object.entries(TENSOR_CONTRACT)) {
    const spec = m.components[name as ComponentName];
    if (spec === undefined) continue;
    for (const side of ["inputs", "outputs"] as const) {
      for (const tensor of contract[side]) {
        if (!(tensor in spec[side])) {
          ctx.addIssue({
            code: "custom",
            path: ["components", name, side, tensor],
            message: `is missing (models/PACK.md names it)`,
          });
        }
      }
    }
  }
  const previewFrames = m.components.preview_decoder.outputs.frames?.dtype;
  if (previewFrames !== undefined && previewFrames !== "float32" && previewFrames !== "uint8") {
    ctx.addIssue({
      code: "custom",
      path: ["components", "preview_decoder", "outputs", "frames", "dtype"],
      message: `is "${previewFrames}"; preview frames are float32 in [0, 1] or uint8`,
    });
  }
  if (m.preview.latent_to_rgb.length !== m.video.latent_channels) {
    ctx.addIssue({
      code: "custom",
      path: ["preview", "latent_to_rgb"],
      message:
        `has ${m.preview.latent_to_rgb.length} rows but video.latent_channels is ${m.video.latent_channels}`,
    });
  }
});

/** A validated manifest, exactly as the JSON names its fields. */
export type Manifest = z.infer<typeof manifestSchema>;

/** One component's I/O description. */
export type ComponentSpec = z.infer<typeof component>;

/** Where a pack's preview sound comes from: its audio preview decoder, else its audio decoder. */
export function previewSoundDecoder(
  manifest: Manifest,
): "audio_preview_decoder" | "audio_decoder" {
  return manifest.components.audio_preview_decoder ? "audio_preview_decoder" : "audio_decoder";
}

/**
 * Validates parsed JSON as a manifest; throws a PackInvalidError naming the first bad
 * field (and how many more there are).
 *
 * @example
 * const manifest = parseManifest(JSON.parse(await Deno.readTextFile("models/default/manifest.json")));
 */
export function parseManifest(json: unknown, source = "manifest.json"): Manifest {
  const result = manifestSchema.safeParse(json);
  if (result.success) return result.data;
  const [first, ...rest] = result.error.issues;
  const field = first!.path.map(String).join(".") || "(root)";
  const more = rest.length > 0 ? ` (and ${rest.length} more)` : "";
  throw new PackInvalidError(
    `Cannot load pack: ${source} field "${field}" ${lowerFirst(first!.message)}${more}`,
    { cause: result.error },
  );
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
