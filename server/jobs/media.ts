/**
 * Turns one part of an engine preview (a step's frames, or its sound) into binary
 * media messages, shared by every subscriber. A part goes out in the form each socket
 * asked for in its hello: one message per video frame or all frames as one bundle;
 * audio in chunks (a listener can start playing before the whole clip arrives) or as
 * one chunk of the whole clip for bundle readers; float32 or int16 samples. Each form
 * is encoded the first time a socket wants it, then shared: most servers only ever
 * build the one their clients use.
 */
import type { Preview } from "../../core/types.ts";
import {
  type AudioFormat,
  encodeFrameBundle,
  encodeMedia,
  type MediaKind,
} from "../../client/protocol.ts";

/** Samples per audio message: 8192 float32 = 32 KiB, half a second at 16 kHz. */
export const AUDIO_CHUNK_SAMPLES = 8192;

/** The form one socket wants media in (from its hello). */
export interface MediaWants {
  /**
   * A step's frames as one bundle message, its sound as one chunk of the whole clip:
   * 50 watchers cost the engine's thread 24-41 % in per-message sends.
   */
  bundles: boolean;
  /** How audio samples are encoded; pcm_s16 is half the bytes. */
  pcm: AudioFormat;
}

/** The media of one preview part, of one kind, so a client can opt out of audio. */
export interface MediaBatch {
  job: string;
  step: number;
  kind: MediaKind;
  /** Seq of the first message; a resuming client that saw it needs none of these. */
  firstSeq: number;
  /**
   * The part's messages in the form `wants` names. Every form takes the same seqs (a
   * bundle carries the first message's), so resume treats them all alike.
   */
  messages(wants: MediaWants): Uint8Array<ArrayBuffer>[];
}

/**
 * Encodes `preview`, taking seqs from `nextSeq`. PCM goes out in the machine's byte
 * order, little-endian on every platform Deno and onnxruntime ship for.
 */
export function encodePreview(job: string, preview: Preview, nextSeq: () => number): MediaBatch {
  const common = { job, step: preview.step, sigma: preview.sigma };
  const video = preview.kind === "video";
  const parts = video
    ? preview.frames.length
    : Math.ceil(preview.audio.length / AUDIO_CHUNK_SAMPLES);
  const seqs = Array.from({ length: parts }, nextSeq);
  const firstSeq = seqs[0] ?? 0;
  const encode = (wants: MediaWants): Uint8Array<ArrayBuffer>[] => {
    if (parts === 0) return [];
    if (preview.kind === "video") {
      const header = { ...common, kind: "video", format: preview.format, rate: 0 } as const;
      const count = preview.frames.length;
      return wants.bundles
        ? [encodeMedia(
          { ...header, seq: firstSeq, index: 0, count, bundle: true },
          encodeFrameBundle(preview.frames),
        )]
        : preview.frames.map((bytes, index) =>
          encodeMedia({ ...header, seq: seqs[index]!, index, count }, bytes)
        );
    }
    const header = {
      ...common,
      kind: "audio",
      format: wants.pcm,
      count: preview.audio.length,
      rate: preview.sampleRate,
    } as const;
    const chunk = wants.bundles ? preview.audio.length : AUDIO_CHUNK_SAMPLES;
    return seqs.slice(0, Math.ceil(preview.audio.length / chunk)).map((seq, i) =>
      encodeMedia(
        { ...header, seq, index: i * chunk },
        pcmBytes(preview.audio.subarray(i * chunk, (i + 1) * chunk), wants.pcm),
      )
    );
  };
  const forms = new Map<string, Uint8Array<ArrayBuffer>[]>();
  return {
    job,
    step: preview.step,
    kind: preview.kind,
    firstSeq,
    messages(wants) {
      const key = video ? `${wants.bundles}` : `${wants.bundles} ${wants.pcm}`;
      if (!forms.has(key)) forms.set(key, encode(wants));
      return forms.get(key)!;
    },
  };
}

/** Samples as bytes: float32 viewed in place, or int16 at full scale 32767. */
function pcmBytes(pcm: Float32Array, format: AudioFormat): Uint8Array {
  if (format === "pcm_f32") return new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  const ints = Int16Array.from(pcm, (v) => Math.round(Math.max(-1, Math.min(1, v)) * 32767));
  return new Uint8Array(ints.buffer);
}
