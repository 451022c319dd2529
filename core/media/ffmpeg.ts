/**
 * The MP4's two tracks, each made by an ffmpeg of its own so that the video's runs
 * beside the audio decoder: raw RGB frames to H.264 (yuv420p, what every browser plays)
 * as soon as the frames are decoded (`encodeH264`), the sound to AAC once it is
 * (`encodeAac`); mp4_merge.ts joins them. Both read and write files, not pipes: a pipe
 * from this process moves only while its event loop turns, and onnxruntime holds the
 * loop's thread through a decoder call.
 *
 * The binary: `$EMERGE_FFMPEG` if set, else the static build that npm's
 * @ffmpeg-installer/linux-x64 ships, else `ffmpeg` on PATH. The static build goes
 * first because it starts in ~1 ms where Debian's dynamically linked ffmpeg needs
 * ~170-230 ms just to load its libraries (`ffmpeg -version`, measured on the dev
 * machine): a whole 2 s clip encodes in 100 ms with it, 340 ms with the system one.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
// Importing the package's manifest makes it part of the module graph, so Deno installs
// the package (and its binary) wherever the engine runs. Same version as import_map.json,
// which has no entry for subpaths (so the specifier is inline here).
// deno-lint-ignore no-import-prefix
import "npm:@ffmpeg-installer/linux-x64@4.1.0/package.json" with { type: "json" };

const NPM_FFMPEG = join(
  dirname(fileURLToPath(import.meta.resolve("npm:@ffmpeg-installer/linux-x64@4.1.0/package.json"))),
  "ffmpeg",
);
import { OutputFailedError } from "../errors.ts";

let cached: Promise<string | null> | null = null;

async function isExecutable(path: string): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** The ffmpeg to use, or null when there is none (`deno install` or `apt-get install ffmpeg`). */
export function findFfmpeg(): Promise<string | null> {
  cached ??= (async () => {
    const candidates = [
      Deno.env.get("EMERGE_FFMPEG") ?? "",
      NPM_FFMPEG,
      ...(Deno.env.get("PATH") ?? "").split(":").filter(Boolean).map((dir) => join(dir, "ffmpeg")),
    ].filter(Boolean);
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

/** Runs ffmpeg with `args` to its end; throws OutputFailedError when it fails. */
async function runFfmpeg(args: string[], signal: AbortSignal | undefined): Promise<void> {
  const ffmpeg = await findFfmpeg();
  if (ffmpeg === null) {
    throw new OutputFailedError(
      "Cannot encode MP4: ffmpeg is not on PATH and npm:@ffmpeg-installer/linux-x64 is not installed (apt-get install ffmpeg)",
    );
  }
  const { code, stderr } = await new Deno.Command(ffmpeg, {
    args: ["-hide_banner", "-loglevel", "error", "-y", ...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    ...(signal ? { signal } : {}),
  }).output();
  if (code !== 0) {
    const detail = new TextDecoder().decode(stderr).trim().split("\n").slice(-3).join(" / ");
    throw new OutputFailedError(`Cannot encode MP4: ffmpeg exited with code ${code} (${detail})`);
  }
}

/**
 * Encodes raw RGB frames (`framesPath`: frame after frame, no header) to H.264 in a
 * video-only MP4 at `outPath`, upscaled for players (`videoScale`). One x264 thread:
 * it runs beside the audio decoder, on the core that one leaves free. Aborting `signal`
 * kills ffmpeg.
 */
export async function encodeH264(
  framesPath: string,
  video: { width: number; height: number; fps: number },
  outPath: string,
  { signal }: { signal?: AbortSignal | undefined } = {},
): Promise<void> {
  const scale = videoScale(video.width, video.height);
  await runFfmpeg([
    ...["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", `${video.width}x${video.height}`],
    ...["-framerate", String(video.fps), "-i", framesPath],
    ...["-vf", `scale=iw*${scale}:ih*${scale}:flags=neighbor`],
    // ultrafast: 2x quicker than veryfast here, and flat synthetic frames barely grow.
    // CRF 23 (x264's default), not 20: on a generated clip 42.9 against 44.2 dB PSNR,
    // alike to the eye, a third smaller (41 against 60 KB) and 4 of 19 ms quicker.
    ...`-c:v libx264 -preset ultrafast -crf 23 -pix_fmt yuv420p -threads 1`.split(" "),
    ...["-f", "mp4", outPath],
  ], signal);
}

/**
 * Encodes mono float samples (`samplesPath`: 32-bit little-endian floats, no header) to
 * AAC in an audio-only MP4 at `outPath`. Raw floats, not the WAV: ffmpeg then neither
 * probes nor converts them (14.4 against 16.7 ms a 2 s clip), and the AAC starts from
 * the decoder's samples, not their 16-bit rounding. An MP4 because its edit list keeps
 * the encoder's priming: an AAC muxed from ADTS, NUT or Matroska came out 2.112 s long
 * for a 2 s clip.
 *
 * AAC with the fast coder: for mono audio at the packs' low rates (16 kHz here) the
 * default two-loop coder at 96 kb/s took 56 ms of CPU on 2 s of the world's clicks and
 * hum, the fast one 14 ms, and the decoded waveform is as close (29.9 dB SNR against
 * 23.8). At 44 kb/s, not 48: from 46 kb/s up this coder stops gaining (three generated
 * clips: the same SNR, 28.2, 59.4 and 60.4 dB, at 46, 48, 56 and 64 kb/s) and spends
 * about twice the time on it (ffmpeg's own clock: 12-14 ms at 48 kb/s against 6-12 at
 * 44, which read 28.0, 59.4 and 60.4 dB). The lossless WAV is an output of its own.
 * Aborting `signal` kills ffmpeg.
 */
export async function encodeAac(
  samplesPath: string,
  sampleRate: number,
  outPath: string,
  { signal }: { signal?: AbortSignal | undefined } = {},
): Promise<void> {
  await runFfmpeg([
    ...["-f", "f32le", "-ar", String(sampleRate), "-ac", "1", "-i", samplesPath],
    ...`-c:a aac -aac_coder fast -b:a 44k -f mp4`.split(" "),
    outPath,
  ], signal);
}
