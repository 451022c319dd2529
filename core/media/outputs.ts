/**
 * A finished clip's files: MP4 (H.264 + AAC), WAV, poster JPEG and sprite-sheet JPEG,
 * named `<id>.mp4`, `<id>.wav`, `<id>.jpg`, `<id>.sprite.jpg` in one folder, each
 * written atomically.
 */
import { join, resolve } from "node:path";
import { OutputFailedError, wrapError } from "../errors.ts";
import type { ClipGeometry } from "../geometry.ts";
import type { GenerationOutputs } from "../types.ts";
import { writeAtomically, writeFileAtomically } from "./atomic.ts";
import { encodeMp4, videoScale } from "./ffmpeg.ts";
import { toRgb8 } from "./frames.ts";
import { encodePoster, encodeSpriteSheet } from "./images.ts";
import { encodeWav } from "./wav.ts";

/** Decoded frames [T, H, W, 3] in [0, 1] and the mono waveform of one clip. */
export interface DecodedClip {
  frames: Float32Array;
  waveform: Float32Array;
  geometry: ClipGeometry;
}

/**
 * Writes every output file of `clip`; throws OutputFailedError naming what failed.
 * When `signal` fires (the job was cancelled) the encoder is killed and every file
 * already written, temporary or final, is removed before the abort is thrown: a
 * cancelled job leaves nothing behind (a cancel that landed mid-write once left a
 * `.video_<id>.wav.<tag>.tmp` in the job's folder).
 */
export async function writeOutputs(
  dir: string,
  id: string,
  clip: DecodedClip,
  { signal }: { signal?: AbortSignal | undefined } = {},
): Promise<GenerationOutputs> {
  dir = resolve(dir);
  const g = clip.geometry;
  const outputs: GenerationOutputs = {
    video: join(dir, `${id}.mp4`),
    audio: join(dir, `${id}.wav`),
    thumbnail: join(dir, `${id}.jpg`),
    spritesheet: join(dir, `${id}.sprite.jpg`),
  };
  const fail = (error: unknown) =>
    wrapError(
      error,
      (detail, options) =>
        new OutputFailedError(`Cannot write outputs of "${id}" to "${dir}": ${detail}`, options),
    );
  try {
    signal?.throwIfAborted();
    await Deno.mkdir(dir, { recursive: true });
    const rgb = toRgb8(clip.frames, g.frames, g.width, g.height);
    // allSettled, not all: a failure must not leave a sibling still writing after the
    // cleanup below has run.
    const settled = await Promise.allSettled([
      writeFileAtomically(outputs.audio, encodeWav(clip.waveform, g.sampleRate), signal).then(
        () =>
          writeAtomically(
            outputs.video,
            (temp) => encodeMp4(rgb, g.fps, outputs.audio, temp, { signal }),
            signal,
          ),
      ),
      encodePoster(rgb, videoScale(g.width, g.height)).then((b) =>
        writeFileAtomically(outputs.thumbnail, b, signal)
      ),
      encodeSpriteSheet(rgb).then((b) => writeFileAtomically(outputs.spritesheet, b, signal)),
    ]);
    const failure = settled.find((r) => r.status === "rejected");
    if (failure) throw failure.reason;
    signal?.throwIfAborted();
  } catch (error) {
    await Promise.all(Object.values(outputs).map((path) => Deno.remove(path).catch(() => {})));
    throw signal?.aborted ? signal.reason : fail(error);
  }
  return outputs;
}
