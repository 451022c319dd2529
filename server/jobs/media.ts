/**
 * Turns one engine preview into binary media messages, encoded once per job and
 * shared by every subscriber: one message per video frame, audio cut into chunks
 * so a listener can start playing before the whole clip arrives.
 */
import type { Preview } from "../../core/types.ts";
import { encodeMedia } from "../../client/protocol.ts";

/** Samples per audio message: 8192 float32 = 32 KiB, half a second at 16 kHz. */
export const AUDIO_CHUNK_SAMPLES = 8192;

/** The media of one preview, split by kind so a client can opt out of audio. */
export interface MediaBatch {
  job: string;
  step: number;
  /** Seq of the first message; a resuming client that saw it needs none of these. */
  firstSeq: number;
  video: Uint8Array<ArrayBuffer>[];
  audio: Uint8Array<ArrayBuffer>[];
}

/**
 * Encodes `preview`, taking seqs from `nextSeq` (frames first, then audio).
 * PCM goes out in the machine's byte order, little-endian on every platform Deno
 * and onnxruntime ship for.
 */
export function encodePreview(job: string, preview: Preview, nextSeq: () => number): MediaBatch {
  const base = { job, step: preview.step, sigma: preview.sigma };
  let firstSeq = 0;
  const seq = () => {
    const next = nextSeq();
    if (firstSeq === 0) firstSeq = next;
    return next;
  };
  const video = preview.frames.map((bytes, index) =>
    encodeMedia({
      ...base,
      kind: "video",
      format: preview.format,
      seq: seq(),
      index,
      count: preview.frames.length,
      rate: 0,
    }, bytes)
  );
  const audio: Uint8Array<ArrayBuffer>[] = [];
  const pcm = preview.audio;
  for (let offset = 0; offset < pcm.length; offset += AUDIO_CHUNK_SAMPLES) {
    const chunk = pcm.subarray(offset, Math.min(pcm.length, offset + AUDIO_CHUNK_SAMPLES));
    audio.push(encodeMedia({
      ...base,
      kind: "audio",
      format: "pcm_f32",
      seq: seq(),
      index: offset,
      count: pcm.length,
      rate: preview.sampleRate,
    }, new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
  }
  return { job, step: preview.step, firstSeq, video, audio };
}
