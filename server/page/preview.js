// The live preview: the latest step's frames played in a loop on the canvas at
// the clip's own frame rate, and the latest step's sound, chunk after chunk.

/** Behind this much queued audio, new chunks are dropped: previews are latest-wins. */
const MAX_AUDIO_LAG_S = 1.5;

/** One canvas and one AudioContext, reused from clip to clip. */
export class Preview {
  #canvas;
  #counts;
  /** The latest preview's decoded frames, by index. */
  #frames = [];
  #seconds = 2;
  #audio = null;
  #audioAt = 0;

  /** `counts` gets framesDrawn, audioSamples and audioChunks (the page's probe). */
  constructor(canvas, counts) {
    this.#canvas = canvas;
    this.#counts = counts;
    requestAnimationFrame((now) => this.#loop(now));
  }

  /** A new clip, `seconds` long: the last one's frames go. */
  reset(seconds) {
    this.#frames = [];
    this.#seconds = seconds;
  }

  /** Call inside a click: autoplay rules let only such a context sound. */
  startAudio() {
    this.#audio ??= new AudioContext();
    if (this.#audio.state === "suspended") this.#audio.resume();
  }

  /** Takes a `frame` event; false when it does not decode (one lost preview). */
  async frame(event) {
    const bitmap = await event.bitmap().catch(() => null);
    if (!bitmap) return false;
    this.#frames.length = event.header.count;
    this.#frames[event.header.index] = bitmap;
    return true;
  }

  /** Schedules a PCM chunk right after the previous one. */
  sound(samples, rate) {
    const audio = this.#audio;
    if (!audio || samples.length === 0) return;
    const now = audio.currentTime;
    if (this.#audioAt - now > MAX_AUDIO_LAG_S) return; // a newer preview will come
    const buffer = audio.createBuffer(1, samples.length, rate);
    buffer.copyToChannel(samples, 0);
    const source = audio.createBufferSource();
    source.buffer = buffer;
    source.connect(audio.destination);
    this.#audioAt = Math.max(this.#audioAt, now + 0.05);
    source.start(this.#audioAt);
    this.#audioAt += buffer.duration;
    this.#counts.audioSamples += samples.length;
    this.#counts.audioChunks++;
  }

  #loop(now) {
    const frames = this.#frames;
    const ready = frames.filter(Boolean);
    if (ready.length > 0) {
      const fps = frames.length / this.#seconds;
      const bitmap = frames[Math.floor((now / 1000) * fps) % frames.length] ?? ready[0];
      const canvas = this.#canvas;
      if (canvas.width !== bitmap.width || canvas.height !== bitmap.height) {
        canvas.width = bitmap.width;
        canvas.height = bitmap.height;
      }
      canvas.getContext("2d").drawImage(bitmap, 0, 0);
      this.#counts.framesDrawn++;
    }
    requestAnimationFrame((t) => this.#loop(t));
  }
}
