/**
 * Tone pitch and click times from a waveform. The world's sound is a 250 or
 * 1500 Hz tone (or silence) plus 15 ms white-noise clicks at wall hits
 * (models/WORLD.md), so a tone is narrowband energy at a known frequency and a
 * click is a burst of energy above 4 kHz, where no tone reaches.
 */
import { median } from "./_stats.ts";
import { PITCH_HZ } from "./world.ts";

/**
 * `low`, `high` or `none`: the louder of the two tones by Goertzel amplitude,
 * measured per 64 ms block and taken at the median over blocks, so the few
 * blocks a click lands in do not count. `none` when neither tone is loud
 * (amplitude < 0.03, a tenth of the world's) or it is a small part of the power.
 */
export function detectPitch(waveform: Float32Array, sampleRate: number): string {
  const size = Math.round(0.064 * sampleRate);
  const window = Float32Array.from(
    { length: size },
    (_, i) => 0.5 - 0.5 * Math.cos(2 * Math.PI * i / size),
  );
  const amplitudes: Record<string, number[]> = { low: [], high: [] };
  const powers: number[] = [];
  for (let start = 0; start + size <= waveform.length; start += size >> 1) {
    const block = waveform.subarray(start, start + size);
    for (const [name, hz] of Object.entries(PITCH_HZ)) {
      amplitudes[name]!.push(goertzelAmplitude(block, window, hz / sampleRate));
    }
    powers.push(block.reduce((sum, v) => sum + v * v, 0) / size);
  }
  const low = median(amplitudes.low!), high = median(amplitudes.high!);
  const amplitude = Math.max(low, high);
  // A pure tone of amplitude A has power A^2 / 2; noise spreads its power wide.
  if (!(amplitude >= 0.03) || amplitude ** 2 / 2 < 0.2 * median(powers)) return "none";
  return low >= high ? "low" : "high";
}

/** Amplitude of the sinusoid at `cycles` per sample in a Hann-windowed block. */
function goertzelAmplitude(block: Float32Array, window: Float32Array, cycles: number): number {
  const coefficient = 2 * Math.cos(2 * Math.PI * cycles);
  let s1 = 0, s2 = 0;
  for (let i = 0; i < block.length; i++) {
    const s0 = block[i]! * window[i]! + coefficient * s1 - s2;
    [s2, s1] = [s1, s0];
  }
  const magnitude = Math.sqrt(Math.max(0, s1 * s1 + s2 * s2 - coefficient * s1 * s2));
  return 2 * magnitude / (block.length / 2); // the Hann window sums to N/2
}

/**
 * Click onsets in seconds: the signal high-passed at 4 kHz, its energy in 1 ms
 * blocks, bursts above a threshold merged when under 40 ms apart (hits on
 * consecutive frames are 83 ms apart at 12 fps), and each burst timed where its
 * energy first reaches half its peak, so a click smeared by a vocoder is timed
 * like a sharp one.
 */
export function detectClicks(waveform: Float32Array, sampleRate: number): number[] {
  const high = highPass(waveform, sampleRate, 4000);
  const block = Math.max(1, Math.round(0.001 * sampleRate));
  const energy: number[] = [];
  for (let start = 0; start < high.length; start += block) {
    const part = high.subarray(start, start + block);
    energy.push(part.reduce((sum, v) => sum + v * v, 0) / part.length);
  }
  // Floor 1e-3 (RMS 0.03): a world click starts near RMS 0.3 above 4 kHz.
  const threshold = Math.max(1e-3, 20 * median(energy));
  const onsets: number[] = [];
  const gap = 40;
  for (let b = 0; b < energy.length;) {
    if (energy[b]! < threshold) {
      b++;
      continue;
    }
    let end = b, last = b;
    while (end < energy.length && end - last < gap) {
      if (energy[end]! >= threshold) last = end;
      end++;
    }
    const burst = energy.slice(b, last + 1);
    const peak = Math.max(...burst);
    onsets.push((b + burst.findIndex((e) => e >= 0.5 * peak)) * block / sampleRate);
    b = last + 1;
  }
  return onsets;
}

/** Click onsets as frame indices (nearest frame, duplicates dropped). */
export function clickFrames(waveform: Float32Array, sampleRate: number, fps: number): number[] {
  const frames = detectClicks(waveform, sampleRate).map((t) => Math.round(t * fps));
  return [...new Set(frames)];
}

/**
 * Two cascaded RBJ biquad high-passes (4th order, Butterworth Q). The start is
 * padded with an odd reflection of the signal so that a tone already playing at
 * sample 0 does not ring the filter like a click.
 */
export function highPass(waveform: Float32Array, sampleRate: number, cutoff: number): Float32Array {
  const pad = Math.min(64, waveform.length - 1);
  const x = new Float32Array(waveform.length + pad);
  for (let i = 0; i < pad; i++) x[i] = 2 * waveform[0]! - waveform[pad - i]!;
  x.set(waveform, pad);
  const w0 = 2 * Math.PI * cutoff / sampleRate;
  const alpha = Math.sin(w0) / Math.SQRT2;
  const cos = Math.cos(w0);
  const a0 = 1 + alpha;
  const b = [(1 + cos) / 2 / a0, -(1 + cos) / a0, (1 + cos) / 2 / a0];
  const a = [-2 * cos / a0, (1 - alpha) / a0];
  let y = x;
  for (let pass = 0; pass < 2; pass++) {
    const out = new Float32Array(y.length);
    let x1 = 0, x2 = 0, y1 = 0, y2 = 0;
    for (let i = 0; i < y.length; i++) {
      const v = b[0]! * y[i]! + b[1]! * x1 + b[2]! * x2 - a[0]! * y1 - a[1]! * y2;
      [x2, x1, y2, y1] = [x1, y[i]!, y1, v];
      out[i] = v;
    }
    y = out;
  }
  return y.subarray(pad);
}
