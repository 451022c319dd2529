/** Decoding of the 16-bit PCM WAV files that clip folders carry. */

/** A decoded mono waveform. */
export interface Wave {
  samples: Float32Array;
  sampleRate: number;
}

/**
 * Decodes a RIFF/WAVE file of 16-bit PCM; several channels are averaged to mono.
 * Throws an Error naming what is wrong; the caller adds which file it was.
 */
export function decodeWav(bytes: Uint8Array): Wave {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 12 || tag(0) !== "RIFF" || tag(8) !== "WAVE") {
    throw new Error("not a RIFF/WAVE file");
  }
  let format: { channels: number; sampleRate: number; bits: number; code: number } | undefined;
  // Chunks may come in any order and odd sizes are padded (RIFF rule).
  for (let at = 12; at + 8 <= bytes.length;) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === "fmt ") {
      format = {
        code: view.getUint16(body, true),
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === "data") {
      if (!format) throw new Error("data chunk before fmt chunk");
      if (format.code !== 1 || format.bits !== 16) {
        throw new Error(`format ${format.code} with ${format.bits} bits is not 16-bit PCM`);
      }
      const channels = format.channels;
      const frames = Math.floor(Math.min(size, bytes.length - body) / (2 * channels));
      const samples = new Float32Array(frames);
      for (let i = 0; i < frames; i++) {
        let sum = 0;
        for (let c = 0; c < channels; c++) {
          sum += view.getInt16(body + 2 * (i * channels + c), true);
        }
        samples[i] = sum / channels / 32768;
      }
      return { samples, sampleRate: format.sampleRate };
    }
    at = body + size + (size % 2);
  }
  throw new Error("no data chunk");
}
