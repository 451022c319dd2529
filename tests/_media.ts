/**
 * Reading what the server produced, with the same tools a user has: ffprobe for
 * the MP4's streams, ffmpeg to decode its frames, sharp to decode preview JPEGs.
 */
import sharp from "sharp";
import { findFfmpeg } from "../core/media/ffmpeg.ts";

/** What ffprobe says about an MP4. */
export interface Probe {
  video: { codec: string; width: number; height: number; fps: number };
  audio: { codec: string; sampleRate: number };
  duration: number;
}

/** Runs ffprobe on `path`. */
export async function probe(path: string): Promise<Probe> {
  const out = await new Deno.Command("ffprobe", {
    args: ["-v", "error", "-show_streams", "-show_format", "-of", "json", path],
    stdout: "piped",
  }).output();
  if (!out.success) throw new Error(`ffprobe cannot read "${path}"`);
  const info = JSON.parse(new TextDecoder().decode(out.stdout));
  const v = info.streams.find((s: { codec_type: string }) => s.codec_type === "video");
  const a = info.streams.find((s: { codec_type: string }) => s.codec_type === "audio");
  const [num, den] = String(v.r_frame_rate).split("/").map(Number);
  return {
    video: { codec: v.codec_name, width: v.width, height: v.height, fps: num! / (den || 1) },
    audio: { codec: a?.codec_name, sampleRate: Number(a?.sample_rate) },
    duration: Number(info.format.duration),
  };
}

/** All frames of an MP4 as RGB, scaled to `width` x `height` (area filter). */
export async function decodeFrames(
  path: string,
  width: number,
  height: number,
): Promise<Uint8Array> {
  const ffmpeg = await findFfmpeg();
  if (!ffmpeg) throw new Error("Cannot decode video: no ffmpeg");
  const out = await new Deno.Command(ffmpeg, {
    args: [
      "-v",
      "error",
      "-i",
      path,
      "-vf",
      `scale=${width}:${height}:flags=area`,
      "-f",
      "rawvideo",
      "-pix_fmt",
      "rgb24",
      "-",
    ],
    stdout: "piped",
  }).output();
  if (!out.success) throw new Error(`ffmpeg cannot decode "${path}"`);
  return out.stdout;
}

/** A JPEG or WebP as RGB. */
export async function decodeImage(
  bytes: Uint8Array,
): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({
    resolveWithObject: true,
  });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

/** Mean absolute difference of two equal-length byte arrays. */
export function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`Cannot compare: lengths ${a.length} and ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}
