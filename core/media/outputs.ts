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

/** Writes every output file of `clip`; throws OutputFailedError naming what failed. */
export async function writeOutputs(
  dir: string,
  id: string,
  clip: DecodedClip,
): Promise<GenerationOutputs> {
  dir = resolve(dir);
  const g = clip.geometry;
  const outputs: GenerationOutputs = {
    video: join(dir, `${id}.mp4`),
    audio: join(dir, `${id}.wav`),
    thumbnail: join(dir, `${id}.jpg`),
    spritesheet: join(dir, `${id}.sprite.jpg`),
  };
  try {
    await Deno.mkdir(dir, { recursive: true });
    const rgb = toRgb8(clip.frames, g.frames, g.width, g.height);
    await writeFileAtomically(outputs.audio, encodeWav(clip.waveform, g.sampleRate));
    await Promise.all([
      writeAtomically(outputs.video, (temp) => encodeMp4(rgb, g.fps, outputs.audio, temp)),
      encodePoster(rgb, videoScale(g.width, g.height)).then((b) =>
        writeFileAtomically(outputs.thumbnail, b)
      ),
      encodeSpriteSheet(rgb).then((b) => writeFileAtomically(outputs.spritesheet, b)),
    ]);
  } catch (error) {
    throw wrapError(
      error,
      (detail, options) =>
        new OutputFailedError(`Cannot write outputs of "${id}" to "${dir}": ${detail}`, options),
    );
  }
  return outputs;
}
