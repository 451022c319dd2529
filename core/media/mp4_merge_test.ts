import assert from "node:assert/strict";
import { join } from "node:path";
import { hasFfprobe, probe } from "../_testing/ffprobe.ts";
import { tempDir } from "../_testing/temp_dir.ts";
import { encodeAac, encodeH264, findFfmpeg } from "./ffmpeg.ts";
import { mergeTracks } from "./mp4_merge.ts";

const ffprobe = await hasFfprobe();

/** A video-only and an audio-only MP4 of a 2 s clip, as the engine makes them. */
async function tracks(dir: string): Promise<{ video: string; audio: string }> {
  const [width, height, fps, frames, rate] = [64, 64, 12, 24, 16000];
  const rgb = new Uint8Array(frames * width * height * 3).map((_, i) => (i * 7) % 251);
  const samples = Float32Array.from({ length: 2 * rate }, (_, i) => 0.3 * Math.sin(i / 7));
  await Deno.writeFile(join(dir, "frames.rgb"), rgb);
  await Deno.writeFile(join(dir, "samples.f32"), new Uint8Array(samples.buffer));
  const video = join(dir, "video.mp4"), audio = join(dir, "audio.mp4");
  await encodeH264(join(dir, "frames.rgb"), { width, height, fps }, video);
  await encodeAac(join(dir, "samples.f32"), rate, audio);
  return { video, audio };
}

/** What ffmpeg decodes from `path`'s stream `which` ("v" or "a"), as raw bytes. */
async function decoded(path: string, which: "v" | "a"): Promise<Uint8Array> {
  const { stdout, success } = await new Deno.Command((await findFfmpeg())!, {
    args: [
      "-v",
      "error",
      "-i",
      path,
      "-map",
      `0:${which}`,
      "-f",
      which === "v" ? "rawvideo" : "f32le",
      "-",
    ],
    stdout: "piped",
  }).output();
  assert.ok(success, `ffmpeg decodes ${path}`);
  return stdout;
}

/** The top-level boxes of an MP4, in order: type and where each ends. */
function topLevel(bytes: Uint8Array): { type: string; end: number }[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const found: { type: string; end: number }[] = [];
  for (let at = 0; at < bytes.length; at += view.getUint32(at)) {
    found.push({
      type: String.fromCharCode(...bytes.subarray(at + 4, at + 8)),
      end: at + view.getUint32(at),
    });
  }
  return found;
}

Deno.test({
  name: "mergeTracks joins a video and an audio MP4: index first, both decode as they were",
  ignore: !ffprobe,
  fn: async () => {
    await using temp = await tempDir();
    const dir = temp.path;
    const { video, audio } = await tracks(dir);
    const merged = mergeTracks(await Deno.readFile(video), await Deno.readFile(audio));
    const out = join(dir, "merged.mp4");
    await Deno.writeFile(out, merged);
    assert.deepEqual(
      topLevel(merged).map((b) => b.type),
      ["ftyp", "moov", "mdat"],
      "moov first: plays while loading",
    );
    const info = await probe(out);
    assert.deepEqual(info?.codecs, ["aac", "h264"]);
    assert.equal(info?.width, 256);
    assert.ok(Math.abs(info!.duration - 2) < 0.1, `duration ${info?.duration}`);
    // Sample for sample: offsets that missed by one byte would decode to garbage or fail.
    assert.deepEqual(await decoded(out, "v"), await decoded(video, "v"));
    assert.deepEqual(await decoded(out, "a"), await decoded(audio, "a"));
    // The AAC's priming is kept: 2 s of sound, not 2 s plus the encoder's delay.
    assert.equal((await decoded(out, "a")).length / 4, (await decoded(audio, "a")).length / 4);
  },
});

Deno.test({
  name: "mergeTracks refuses what is not a single-track MP4, with output_failed",
  ignore: !ffprobe,
  fn: async () => {
    await using temp = await tempDir();
    const { video, audio } = await tracks(temp.path);
    const [v, a] = [await Deno.readFile(video), await Deno.readFile(audio)];
    const mdatEnd = topLevel(v).find((b) => b.type === "mdat")!.end;
    const cases: [string, () => unknown, RegExp][] = [
      ["not an MP4", () => mergeTracks(new TextEncoder().encode("hello, world"), a), /box/],
      ["cut short", () => mergeTracks(v.subarray(0, v.length - 100), a), /box/],
      ["no moov", () => mergeTracks(v.subarray(0, mdatEnd), a), /"moov"/],
    ];
    for (const [what, merge, message] of cases) {
      assert.throws(merge, (error: Error & { code?: string }) => {
        assert.equal(error.code, "output_failed", what);
        assert.match(error.message, /^Cannot merge MP4 tracks: /, what);
        assert.match(error.message, message, what);
        return true;
      });
    }
  },
});
