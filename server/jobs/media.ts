/**
 * Turns one part of an engine preview (a step's frames, or its sound) into binary
 * media messages, encoded once per job and shared by every subscriber: one message
 * per video frame, audio cut into chunks so a listener can start playing before the
 * whole clip arrives.
 */
import type { Preview } from "../../core/types.ts";
import { encodeFrameBundle, encodeMedia, type MediaKind } from "../../client/protocol.ts";

/** Samples per audio message: 8192 float32 = 32 KiB, half a second at 16 kHz. */
export const AUDIO_CHUNK_SAMPLES = 8192;

/** The media of one preview part, of one kind, so a client can opt out of audio. */
export interface MediaBatch {
  job: string;
  step: number;
  kind: MediaKind;
  /** Seq of the first message; a resuming client that saw it needs none of these. */
  firstSeq: number;
  messages: Uint8Array<ArrayBuffer>[];
  /**
   * The same media as one message, for clients that read frame bundles: the frames as
   * a bundle, the sound as one chunk of the whole clip (50 watchers cost the engine's
   * thread 24-41 % in per-message sends). It carries the first message's seq, so
   * resume treats it like the messages it stands for.
   */
  bundled?: Uint8Array<ArrayBuffer>[];
}

/**
 * Encodes `preview`, taking seqs from `nextSeq`. PCM goes out in the machine's byte
 * order, little-endian on every platform Deno and onnxruntime ship for.
 */
export function encodePreview(job: string, preview: Preview, nextSeq: () => number): MediaBatch {
  const base = { job, step: preview.step, sigma: preview.sigma };
  let firstSeq = 0;
  const next = () => {
    const seq = nextSeq();
    if (firstSeq === 0) firstSeq = seq;
    return seq;
  };
  if (preview.kind === "video") {
    const messages = preview.frames.map((bytes, index) =>
      encodeMedia({
        ...base,
        kind: "video",
        format: preview.format,
        seq: next(),
        index,
        count: preview.frames.length,
        rate: 0,
      }, bytes)
    );
    const bundled = [encodeMedia({
      ...base,
      kind: "video",
      format: preview.format,
      seq: firstSeq,
      index: 0,
      count: preview.frames.length,
      rate: 0,
      bundle: true,
    }, encodeFrameBundle(preview.frames))];
    return { job, step: preview.step, kind: "video", firstSeq, messages, bundled };
  }
  const messages: Uint8Array<ArrayBuffer>[] = [];
  const pcm = preview.audio;
  for (let offset = 0; offset < pcm.length; offset += AUDIO_CHUNK_SAMPLES) {
    const chunk = pcm.subarray(offset, Math.min(pcm.length, offset + AUDIO_CHUNK_SAMPLES));
    messages.push(encodeMedia({
      ...base,
      kind: "audio",
      format: "pcm_f32",
      seq: next(),
      index: offset,
      count: pcm.length,
      rate: preview.sampleRate,
    }, new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
  }
  const whole = encodeMedia({
    ...base,
    kind: "audio",
    format: "pcm_f32",
    seq: firstSeq,
    index: 0,
    count: pcm.length,
    rate: preview.sampleRate,
  }, new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  return { job, step: preview.step, kind: "audio", firstSeq, messages, bundled: [whole] };
}
