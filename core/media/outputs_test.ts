import assert from "node:assert/strict";
import { parseManifest } from "../pack/manifest.ts";
import { clipGeometry } from "../geometry.ts";
import { fixtureManifest } from "../_testing/fixture_manifest.ts";
import { hasFfprobe, probe } from "../_testing/ffprobe.ts";
import { tempDir } from "../_testing/temp_dir.ts";
import { findFfmpeg } from "./ffmpeg.ts";
import { beginOutputs, writeOutputs } from "./outputs.ts";

const ffprobe = await hasFfprobe();
/** A 2 s 64x64 clip of the fixture pack. */
const g = clipGeometry(parseManifest(fixtureManifest()), 64, 64, 2);

Deno.test({
  name: "writeOutputs writes an h264 + aac MP4, a WAV, a poster and a sprite sheet, no temp files",
  ignore: !ffprobe,
  fn: async () => {
    const frames = new Float32Array(g.frames * 64 * 64 * 3);
    for (let t = 0; t < g.frames; t++) {
      for (let y = 20; y < 40; y++) {
        for (let x = t; x < t + 20; x++) {
          frames.fill(1, ((t * 64 + y) * 64 + x) * 3, ((t * 64 + y) * 64 + x) * 3 + 1);
        }
      }
    }
    const waveform = Float32Array.from({ length: g.samples }, (_, i) => 0.3 * Math.sin(i / 10));
    await using temp = await tempDir();
    const dir = temp.path;
    const out = await writeOutputs(dir, "clip", { frames, waveform, geometry: g });
    const info = await probe(out.video);
    assert.deepEqual(info?.codecs, ["aac", "h264"]);
    assert.equal(info?.pixFmt, "yuv420p");
    assert.equal(info?.width, 256, "64 px upscaled 4x");
    assert.ok(Math.abs(info!.duration - 2) < 0.1, `duration ${info?.duration}`);
    const poster = await Deno.readFile(out.thumbnail);
    assert.deepEqual([poster[0], poster[1]], [0xff, 0xd8], "poster is a JPEG");
    assert.equal((await Deno.stat(out.audio)).size, 44 + 2 * 32000);
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["clip.jpg", "clip.mp4", "clip.sprite.jpg", "clip.wav"]);
  },
});

/** A 2 s 64x64 clip of repeating levels and a loud tone. */
function patternedClip() {
  const frames = new Float32Array(g.frames * 64 * 64 * 3).map((_, i) => (i % 7) / 7);
  const waveform = new Float32Array(g.samples).map((_, i) => Math.sin(i / 5));
  return { frames, waveform };
}

Deno.test({
  name: "writeOutputs aborted at any moment leaves no file, temporary or final",
  ignore: !ffprobe,
  fn: async () => {
    const { frames, waveform } = patternedClip();
    await using temp = await tempDir();
    const dir = temp.path;
    let aborted = 0;
    for (const ms of [0, 1, 3, 6, 10, 20, 40, 80]) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), ms);
      const written = await writeOutputs(dir, `clip${ms}`, { frames, waveform, geometry: g }, {
        signal: controller.signal,
      }).then(() => true, (error) => {
        assert.equal((error as Error).name, "AbortError");
        return false;
      });
      clearTimeout(timer);
      const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
      if (written) {
        const stems = ["jpg", "mp4", "sprite.jpg", "wav"].map((ext) => `clip${ms}.${ext}`);
        assert.deepEqual(names, stems, `finished at ${ms} ms: all four files, no temp`);
      } else {
        aborted++;
        assert.deepEqual(names, [], `aborted after ${ms} ms: nothing left`);
      }
      for (const name of names) await Deno.remove(`${dir}/${name}`);
    }
    assert.ok(aborted >= 2, `${aborted} writes were aborted`);
  },
});

Deno.test({
  name:
    "beginOutputs: a clip whose sound never comes, or that is cancelled before it, leaves nothing",
  ignore: !ffprobe,
  fn: async () => {
    const { frames, waveform } = patternedClip();
    await using temp = await tempDir();
    const dir = temp.path;
    // The audio decoder failed: the H.264 encode under way is stopped, its files go.
    const writer = await beginOutputs(dir, "failed", { frames, geometry: g });
    assert.ok([...Deno.readDirSync(dir)].length > 0, "the video's files were started");
    await writer.abort();
    assert.deepEqual([...Deno.readDirSync(dir)], [], "abort removed them");

    // Cancelled while the audio decoder ran: finish throws the abort, leaves nothing.
    const controller = new AbortController();
    const cancelled = await beginOutputs(dir, "cancelled", { frames, geometry: g }, {
      signal: controller.signal,
    });
    controller.abort();
    await assert.rejects(cancelled.finish(waveform), { name: "AbortError" });
    assert.deepEqual([...Deno.readDirSync(dir)], []);

    // The happy path, in two stages, as the step loop calls it.
    const done = await beginOutputs(dir, "done", { frames, geometry: g });
    const out = await done.finish(waveform);
    assert.deepEqual((await probe(out.video))?.codecs, ["aac", "h264"]);
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["done.jpg", "done.mp4", "done.sprite.jpg", "done.wav"]);
  },
});

Deno.test({
  name: "the MP4's sound decodes to the clip's waveform, in time and within 25 dB SNR",
  ignore: !ffprobe,
  fn: async () => {
    const frames = new Float32Array(g.frames * 64 * 64 * 3).fill(0.5);
    const waveform = Float32Array.from({ length: g.samples }, (_, i) => {
      const t = i / g.sampleRate;
      return 0.3 * Math.sin(2 * Math.PI * 440 * t) + 0.1 * Math.sin(2 * Math.PI * 97 * t);
    });
    await using temp = await tempDir();
    const dir = temp.path;
    const out = await writeOutputs(dir, "tone", { frames, waveform, geometry: g });
    const { stdout } = await new Deno.Command((await findFfmpeg())!, {
      args: ["-v", "error", "-i", out.video, "-f", "f32le", "-ar", String(g.sampleRate), "-"],
      stdout: "piped",
    }).output();
    const decoded = new Float32Array(stdout.buffer, 0, stdout.length / 4);
    assert.ok(decoded.length >= g.samples, `${decoded.length} samples decoded`);
    let signal = 0, noise = 0;
    for (let i = 0; i < g.samples; i++) {
      signal += waveform[i]! ** 2;
      noise += (waveform[i]! - decoded[i]!) ** 2;
    }
    // Off by the encoder's priming (1024 samples), this reads about 0 dB.
    const snr = 10 * Math.log10(signal / noise);
    assert.ok(snr > 25, `SNR ${snr.toFixed(1)} dB`);
  },
});

Deno.test({
  name: "an encoder that fails fails the write with output_failed, ffmpeg's words, and no files",
  ignore: !ffprobe,
  fn: async () => {
    // 63x63 upscaled 5x is 315 pixels: odd, which x264's yuv420p refuses.
    const odd = { ...g, width: 63, height: 63 };
    const frames = new Float32Array(g.frames * 63 * 63 * 3).fill(0.5);
    const waveform = new Float32Array(g.samples);
    await using temp = await tempDir();
    const dir = temp.path;
    await assert.rejects(
      writeOutputs(dir, "odd", { frames, waveform, geometry: odd }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, "output_failed");
        assert.match(
          error.message,
          /^Cannot encode MP4: ffmpeg exited with code \d+ \(.*width not divisible by 2/,
        );
        return true;
      },
    );
    assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing left, temporary or final");
  },
});
