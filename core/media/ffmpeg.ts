/**
 * MP4 encoding through an ffmpeg process: raw RGB frames on stdin, the WAV as the
 * second input, H.264 (yuv420p, what every browser plays) + AAC out.
 *
 * The binary is the system `ffmpeg` when one is on PATH (newer, distro-patched), else
 * the static build that npm's @ffmpeg-installer/linux-x64 ships.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { OutputFailedError } from "../errors.ts";
import type { Rgb8Frames } from "./frames.ts";

let cached: Promise<string | null> | null = null;

async function isExecutable(path: string): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** The ffmpeg to use, or null when there is none (`apt-get install ffmpeg` fixes that). */
export function findFfmpeg(): Promise<string | null> {
  cached ??= (async () => {
    const candidates = [
      ...(Deno.env.get("PATH") ?? "").split(":").filter(Boolean).map((dir) => join(dir, "ffmpeg")),
      fileURLToPath(
        new URL("../../node_modules/@ffmpeg-installer/linux-x64/ffmpeg", import.meta.url),
      ),
    ];
    for (const path of candidates) if (await isExecutable(path)) return path;
    return null;
  })();
  return cached;
}

/**
 * The integer upscale for the MP4: 64x64 is a postage stamp in a player, so the short
 * side is brought to at least 256 px. Nearest neighbour keeps the flat shapes crisp,
 * and an integer factor keeps the 2x2 chroma blocks of yuv420p aligned to pixels.
 */
export function videoScale(width: number, height: number): number {
  return Math.max(1, Math.ceil(256 / Math.min(width, height)));
}

/** Encodes `clip` + `wavPath` into `outPath` (written directly; wrap it for atomicity). */
export async function encodeMp4(
  clip: Rgb8Frames,
  fps: number,
  wavPath: string,
  outPath: string,
): Promise<void> {
  const ffmpeg = await findFfmpeg();
  if (ffmpeg === null) {
    throw new OutputFailedError(
      "Cannot encode MP4: ffmpeg is not on PATH and npm:@ffmpeg-installer/linux-x64 is not installed (apt-get install ffmpeg)",
    );
  }
  const scale = videoScale(clip.width, clip.height);
  const args = [
    "-hide_banner",
    "-loglevel",
    "error",
    "-y",
    "-f",
    "rawvideo",
    "-pix_fmt",
    "rgb24",
    "-s",
    `${clip.width}x${clip.height}`,
    "-framerate",
    String(fps),
    "-i",
    "pipe:0",
    "-i",
    wavPath,
    "-vf",
    `scale=iw*${scale}:ih*${scale}:flags=neighbor`,
    "-c:v",
    "libx264",
    "-preset",
    "veryfast",
    "-crf",
    "20",
    "-pix_fmt",
    "yuv420p",
    "-c:a",
    "aac",
    "-b:a",
    "96k",
    "-movflags",
    "+faststart",
    "-f",
    "mp4",
    outPath,
  ]; // deno-fmt-ignore
  const child = new Deno.Command(ffmpeg, { args, stdin: "piped", stdout: "null", stderr: "piped" }).spawn();
  const writer = child.stdin.getWriter();
  const written = writer.write(clip.data).then(() => writer.close()).catch(() => {});
  const [{ code, stderr }] = await Promise.all([child.output(), written]);
  if (code !== 0) {
    const detail = new TextDecoder().decode(stderr).trim().split("\n").slice(-3).join(" / ");
    throw new OutputFailedError(`Cannot encode MP4: ffmpeg exited with code ${code} (${detail})`);
  }
}
