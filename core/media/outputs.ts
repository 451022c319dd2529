/**
 * A finished clip's files: MP4 (H.264 + AAC), WAV, poster JPEG and sprite-sheet JPEG,
 * named `<id>.mp4`, `<id>.wav`, `<id>.jpg`, `<id>.sprite.jpg` in one folder, each
 * written atomically.
 *
 * In two stages, so that the video's share runs while the sound is decoded:
 * `beginOutputs` takes the decoded frames and starts the H.264 encode (an ffmpeg of its
 * own); `finish` takes the waveform, starts the AAC encode (another), writes the WAV,
 * the poster and the sprite sheet, and joins the two tracks into the MP4 (mp4_merge.ts).
 * In one ffmpeg after both decoders, x264 and AAC ran one after the other while the
 * second core idled: ~35 ms of a 2 s clip on the path to every job's `done`, now ~20.
 */
import { join, resolve } from "node:path";
import { OutputFailedError, wrapError } from "../errors.ts";
import type { ClipGeometry } from "../geometry.ts";
import type { GenerationOutputs } from "../types.ts";
import { tempPathFor, writeFileAtomically } from "./atomic.ts";
import { encodeAac, encodeH264, videoScale } from "./ffmpeg.ts";
import { mergeTracks } from "./mp4_merge.ts";
import { type Rgb8Frames, toRgb8 } from "./frames.ts";
import { encodePoster, encodeSpriteSheet } from "./images.ts";
import { encodeWav } from "./wav.ts";

/** Decoded frames [T, H, W, 3] in [0, 1] and the mono waveform of one clip. */
export interface DecodedClip {
  frames: Float32Array;
  waveform: Float32Array;
  geometry: ClipGeometry;
}

/** A clip's files under way: the video is encoding, the sound is due. */
export interface OutputWriter {
  /** Writes the rest from the decoded waveform. Call it once. */
  finish(waveform: Float32Array): Promise<GenerationOutputs>;
  /** Stops the encoders and removes every file: the sound will not come. */
  abort(): Promise<void>;
}

/**
 * Starts writing a clip's files from its frames; throws OutputFailedError naming what
 * failed. When `signal` fires (the job was cancelled) the encoders are killed and every
 * file already written, temporary or final, is removed before the abort is thrown: a
 * cancelled job leaves nothing behind (a cancel that landed mid-write once left a
 * `.video_<id>.wav.<tag>.tmp` in the job's folder).
 */
export async function beginOutputs(
  dir: string,
  id: string,
  video: { frames: Float32Array; geometry: ClipGeometry },
  { signal }: { signal?: AbortSignal | undefined } = {},
): Promise<OutputWriter> {
  dir = resolve(dir);
  const g = video.geometry;
  const outputs: GenerationOutputs = {
    video: join(dir, `${id}.mp4`),
    audio: join(dir, `${id}.wav`),
    thumbnail: join(dir, `${id}.jpg`),
    spritesheet: join(dir, `${id}.sprite.jpg`),
  };
  const temps = {
    frames: tempPathFor(join(dir, `${id}.rgb`)),
    samples: tempPathFor(join(dir, `${id}.f32`)),
    h264: tempPathFor(join(dir, `${id}.h264.mp4`)),
    aac: tempPathFor(join(dir, `${id}.aac.mp4`)),
  };
  // Stops every encoder on a cancel, a failure, or a sound that will not come.
  const stop = new AbortController();
  const halt = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  const started: Promise<unknown>[] = [];
  /** Starts `work` now; awaited in finish, or settled by `removeAll`. */
  const start = <T>(work: Promise<T>): Promise<T> => {
    started.push(work.catch(() => {}));
    return work;
  };
  const removeAll = async () => {
    stop.abort();
    await Promise.all(started);
    const paths = [...Object.values(outputs), ...Object.values(temps)];
    await Promise.all(paths.map((path) => Deno.remove(path).catch(() => {})));
  };
  /** Undoes everything and returns the error to throw. */
  const unwind = async (error: unknown) => {
    await removeAll();
    if (signal?.aborted) return signal.reason;
    return wrapError(
      error,
      (detail, options) =>
        new OutputFailedError(`Cannot write outputs of "${id}" to "${dir}": ${detail}`, options),
    );
  };

  let h264: Promise<void>, rgb: Rgb8Frames;
  try {
    halt.throwIfAborted();
    await Deno.mkdir(dir, { recursive: true });
    rgb = toRgb8(video.frames, g.frames, g.width, g.height);
    // A file, not ffmpeg's stdin: a pipe from here moves only while this thread's event
    // loop turns, and the audio decoder's call holds it.
    await Deno.writeFile(temps.frames, rgb.data);
    h264 = start(encodeH264(temps.frames, g, temps.h264, { signal: halt }));
  } catch (error) {
    throw await unwind(error);
  }

  return {
    async finish(waveform) {
      try {
        halt.throwIfAborted();
        // Deno runs on little-endian machines only, so the array's bytes are f32le.
        await Deno.writeFile(
          temps.samples,
          new Uint8Array(waveform.buffer, waveform.byteOffset, waveform.byteLength),
        );
        const aac = start(encodeAac(temps.samples, g.sampleRate, temps.aac, { signal: halt }));
        // The still images once both encoders run, not before the audio decoder: that
        // call waits for whatever this thread does first. allSettled, not all: a failure
        // must not leave a sibling still writing after the cleanup has run.
        const settled = await Promise.allSettled([
          h264,
          aac,
          writeFileAtomically(outputs.audio, encodeWav(waveform, g.sampleRate), halt),
          encodePoster(rgb, videoScale(g.width, g.height)).then((b) =>
            writeFileAtomically(outputs.thumbnail, b, halt)
          ),
          encodeSpriteSheet(rgb).then((b) => writeFileAtomically(outputs.spritesheet, b, halt)),
        ]);
        const failure = settled.find((r) => r.status === "rejected");
        if (failure) throw failure.reason;
        const [videoTrack, audioTrack] = await Promise.all(
          [temps.h264, temps.aac].map((path) => Deno.readFile(path)),
        );
        await writeFileAtomically(outputs.video, mergeTracks(videoTrack!, audioTrack!), halt);
        halt.throwIfAborted();
        await Promise.all(
          [temps.frames, temps.samples, temps.h264, temps.aac].map((p) => Deno.remove(p)),
        );
      } catch (error) {
        throw await unwind(error);
      }
      return outputs;
    },
    abort: removeAll,
  };
}

/** Writes every file of a decoded clip: `beginOutputs` and its `finish` at once. */
export async function writeOutputs(
  dir: string,
  id: string,
  clip: DecodedClip,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<GenerationOutputs> {
  const writer = await beginOutputs(dir, id, clip, options);
  return await writer.finish(clip.waveform);
}
