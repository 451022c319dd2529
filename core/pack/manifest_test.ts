import assert from "node:assert/strict";
import { PackInvalidError } from "../errors.ts";
import { fixtureManifest } from "../_testing/fixture_manifest.ts";
import { parseManifest } from "./manifest.ts";

function rejects(json: unknown, fragment: string): void {
  assert.throws(() => parseManifest(json), (error: unknown) => {
    assert.ok(error instanceof PackInvalidError);
    assert.equal(error.code, "pack_invalid");
    assert.ok(error.message.includes(fragment), `"${error.message}" lacks ${fragment}`);
    return true;
  });
}

Deno.test("parseManifest accepts the fixture and keeps its geometry", () => {
  const m = parseManifest(fixtureManifest());
  assert.equal(m.video.fps, 12);
  assert.deepEqual(m.video.patch, [1, 2, 2]);
  assert.equal(m.sampler.scheduler, "euler");
  assert.equal(m.components.video_encoder, undefined);
});

Deno.test("parseManifest names the field of a wrong type", () => {
  const json = fixtureManifest();
  (json.video as Record<string, unknown>).fps = "12";
  rejects(json, `field "video.fps"`);
});

Deno.test("parseManifest rejects another format version", () => {
  rejects({ ...fixtureManifest(), format: "emerge-pack/2" }, `field "format"`);
});

Deno.test("parseManifest names a tensor missing from a component's contract", () => {
  const json = fixtureManifest();
  const denoiser = (json.components as Record<string, { inputs: Record<string, unknown> }>)
    .denoiser!;
  delete denoiser.inputs.sigma;
  rejects(json, `field "components.denoiser.inputs.sigma" is missing`);
});

Deno.test("parseManifest checks latent_to_rgb has one row per latent channel", () => {
  const json = fixtureManifest();
  (json.preview as { latent_to_rgb: number[][] }).latent_to_rgb.pop();
  rejects(json, `field "preview.latent_to_rgb" has 7 rows but video.latent_channels is 8`);
});

Deno.test("parseManifest rejects an unknown scheduler and a missing component", () => {
  const json = fixtureManifest();
  (json.sampler as Record<string, unknown>).scheduler = "ddim";
  rejects(json, `field "sampler.scheduler"`);
  const json2 = fixtureManifest();
  delete (json2.components as Record<string, unknown>).audio_decoder;
  rejects(json2, `field "components.audio_decoder"`);
});

Deno.test("parseManifest takes an optional dynamic shift and names a bad one", () => {
  const fixture = fixtureManifest() as { sampler: Record<string, unknown> };
  const dynamic = { base_seq_len: 256, max_seq_len: 4096, base_shift: 0.5, max_shift: 1.15 };
  const m = parseManifest({ ...fixture, sampler: { ...fixture.sampler, dynamic_shift: dynamic } });
  assert.deepEqual(m.sampler.dynamic_shift, dynamic);
  assert.equal(parseManifest(fixture).sampler.dynamic_shift, undefined);
  rejects(
    {
      ...fixture,
      sampler: { ...fixture.sampler, dynamic_shift: { ...dynamic, max_seq_len: 256 } },
    },
    "sampler.dynamic_shift",
  );
});

Deno.test("parseManifest takes 8-bit preview frames and names any other dtype", () => {
  const json = fixtureManifest();
  type Spec = { outputs: Record<string, { dtype: string }> };
  const preview = (json.components as Record<string, Spec>).preview_decoder!;
  preview.outputs.frames!.dtype = "uint8";
  assert.equal(parseManifest(json).components.preview_decoder.outputs.frames!.dtype, "uint8");
  preview.outputs.frames!.dtype = "int32";
  rejects(json, `field "components.preview_decoder.outputs.frames.dtype" is "int32"`);
});

Deno.test("parseManifest takes an audio preview decoder and checks its contract", () => {
  const json = fixtureManifest();
  const components = json.components as Record<string, unknown>;
  const spec = (output: string) => ({
    file: "audio_preview_decoder.onnx",
    inputs: { latent: { dtype: "float32", shape: ["batch", 8, "audio_frames"] } },
    outputs: { [output]: { dtype: "float32", shape: ["batch", "samples"] } },
  });
  components.audio_preview_decoder = spec("waveform");
  assert.equal(parseManifest(json).components.audio_preview_decoder?.file, spec("").file);
  components.audio_preview_decoder = spec("wave");
  rejects(json, `field "components.audio_preview_decoder.outputs.waveform" is missing`);
});
