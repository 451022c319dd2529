/** A valid `emerge-pack/1` manifest as plain JSON, for tests that have no real pack. */

const f32 = (...shape: (number | string)[]) => ({ dtype: "float32", shape });
const i64 = (...shape: (number | string)[]) => ({ dtype: "int64", shape });
const latent = f32("batch", 8, "t", "h", "w");

/** Returns a fresh copy each call, so tests can break it freely. */
export function fixtureManifest(): Record<string, unknown> {
  return {
    format: "emerge-pack/1",
    name: "fixture",
    version: "0.0.1",
    components: {
      text_encoder: {
        file: "text_encoder.onnx",
        inputs: { input_ids: i64("batch", "tokens"), attention_mask: i64("batch", "tokens") },
        outputs: { text_tokens: f32("batch", "tokens", 16), text_pooled: f32("batch", 16) },
      },
      denoiser: {
        file: "denoiser.onnx",
        inputs: {
          video: latent,
          audio: f32("batch", 8, "ta"),
          sigma: f32("batch"),
          text_tokens: f32("batch", "tokens", 16),
          text_mask: f32("batch", "tokens"),
          text_pooled: f32("batch", 16),
        },
        outputs: { video_velocity: latent, audio_velocity: f32("batch", 8, "ta") },
      },
      video_decoder: {
        file: "video_decoder.onnx",
        inputs: { latent },
        outputs: { frames: f32("batch", "frames", "height", "width", 3) },
      },
      preview_decoder: {
        file: "preview_decoder.onnx",
        inputs: { latent },
        outputs: { frames: f32("batch", "frames", "height", "width", 3) },
      },
      audio_decoder: {
        file: "audio_decoder.onnx",
        inputs: { latent: f32("batch", 8, "ta") },
        outputs: { waveform: f32("batch", "samples") },
      },
    },
    tokenizer: { file: "tokenizer.json", max_length: 8, pad_id: 0 },
    video: {
      fps: 12,
      latent_channels: 8,
      temporal_compression: 2,
      spatial_compression: 8,
      patch: [1, 2, 2],
    },
    audio: { sample_rate: 16000, latent_rate: 25, latent_channels: 8 },
    sizes: [
      { name: "square", width: 64, height: 64 },
      { name: "landscape", width: 96, height: 64 },
      { name: "portrait", width: 64, height: 96 },
    ],
    durations: [2, 4],
    sampler: { scheduler: "euler", steps: 8, shift: 3, guidance: { video: 4, audio: 4 } },
    preview: {
      latent_to_rgb: Array.from({ length: 8 }, (_, c) => [c / 16, 0.1, -c / 16]),
      rgb_bias: [0.5, 0.5, 0.5],
    },
    heldout: [{ shape: "circle", color: "red", motion: "left" }],
    provenance: { trained_on: "nothing", hardware: "none", train_seconds: 0 },
  };
}
