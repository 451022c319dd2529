/**
 * Turns one part of an engine preview (a step's frames, or its sound) into binary
 * media messages, encoded once per job and shared by every subscriber: one message
 * per video frame, audio cut into chunks so a listener can start playing before the
 * whole clip arrives; and the same part as one message for clients that read frame
 * bundles.
 */
import type { Preview } from "../../core/types.ts";
import {
  encodeFrameBundle,
  encodeMedia,
  type MediaHeader,
  type MediaKind,
} from "../../client/protocol.ts";

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
  const common = { job, step: preview.step, sigma: preview.sigma };
  const video = preview.kind === "video";
  const header: Omit<MediaHeader, "seq" | "index"> = video
    ? { ...common, kind: "video", format: preview.format, count: preview.frames.length, rate: 0 }
    : {
      ...common,
      kind: "audio",
      format: "pcm_f32",
      count: preview.audio.length,
      rate: preview.sampleRate,
    };
  // Per message: its frame index or sample offset, and its bytes.
  const parts: [number, Uint8Array][] = video
    ? preview.frames.map((bytes, index) => [index, bytes])
    : pcmChunks(preview.audio);
  const seqs = parts.map(() => nextSeq());
  const messages = parts.map(([index, bytes], i) =>
    encodeMedia({ ...header, seq: seqs[i]!, index }, bytes)
  );
  const firstSeq = seqs[0] ?? 0;
  const bundled = [encodeMedia(
    { ...header, seq: firstSeq, index: 0, ...(video ? { bundle: true } : {}) },
    video ? encodeFrameBundle(preview.frames) : pcmBytes(preview.audio),
  )];
  return { job, step: preview.step, kind: header.kind, firstSeq, messages, bundled };
}

function pcmBytes(pcm: Float32Array): Uint8Array {
  return new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
}

/** [sample offset, bytes] of each AUDIO_CHUNK_SAMPLES chunk of `pcm`. */
function pcmChunks(pcm: Float32Array): [number, Uint8Array][] {
  const chunks: [number, Uint8Array][] = [];
  for (let offset = 0; offset < pcm.length; offset += AUDIO_CHUNK_SAMPLES) {
    chunks.push([offset, pcmBytes(pcm.subarray(offset, offset + AUDIO_CHUNK_SAMPLES))]);
  }
  return chunks;
}
