/**
 * Protocol v1: the one module the server and the client share. Plain types, the
 * stable error codes and the binary media header codec. It imports nothing, so the
 * client stays dependency-free in browsers, Deno and Node; the server validates
 * incoming JSON against zod schemas that mirror these types (server/ws/messages.ts).
 *
 * @module
 */

/** The protocol version this module speaks. */
export const PROTOCOL_VERSION = 1;

/** Guidance scale per modality. */
export interface GuidanceParams {
  video: number;
  audio: number;
}

/** What a client may ask for; the server fills the rest from the model pack. */
export interface GenerateParams {
  prompt: string;
  negativePrompt?: string;
  /** "WxH", e.g. "96x64"; or give width and height. */
  size?: string;
  width?: number;
  height?: number;
  seconds?: number;
  steps?: number;
  guidance?: Partial<GuidanceParams>;
  seed?: number;
  scheduler?: "euler" | "dpmpp2m";
  /** Send a preview every N steps; 0 turns previews off. */
  previewEvery?: number;
}

/** A change that applies from the next step on. */
export interface SteerParams {
  prompt?: string;
  negativePrompt?: string;
  guidance?: Partial<GuidanceParams>;
}

/** Which media a peer can send or wants to receive. */
export interface Capabilities {
  /** Preview image formats (server: may send; client: can show). */
  previewFormats: PreviewFormat[];
  /** Whether audio previews are sent or wanted. */
  audio: boolean;
  /** Whether resume by (job, lastSeq) is supported. */
  resume: boolean;
  /**
   * All of a step's frames in one message (see {@linkcode encodeFrameBundle}): one send
   * per watcher per step instead of one per frame. Sent only to clients that ask.
   */
  frameBundles?: boolean;
  /**
   * Audio sample formats (server: may send; client: can read), preferred first. A
   * client that lists pcm_s16 gets it: half the bytes of pcm_f32, which is what a
   * client that lists nothing gets.
   */
  audioFormats?: AudioFormat[];
}

/** The server's capabilities also name what its model pack allows. */
export interface ServerCapabilities extends Capabilities {
  sizes: string[];
  durations: number[];
  /** Lifecycle events kept per job for resume. */
  logEvents: number;
  /** Seconds a job outlives its last socket. */
  graceSeconds: number;
  /** This server's limits on one request (absent from servers before they were sent). */
  maxSteps?: number;
  maxPromptChars?: number;
  /** The largest text message it reads; a larger one could not even name its job. */
  maxMessageBytes?: number;
}

// ---------------------------------------------------------------- client -> server

/** First message on every socket. */
export interface ClientHello {
  type: "hello";
  protocol: number;
  client?: string;
  capabilities?: Partial<Capabilities>;
}

/** Start a generation; `clientId` makes a retry after a reconnect idempotent. */
export interface GenerateMessage extends GenerateParams {
  type: "generate";
  clientId?: string;
}

/** Change a running job's prompt or guidance. */
export interface SteerMessage extends SteerParams {
  type: "steer";
  job: string;
}

/** Stop a job; it is never decoded. */
export interface CancelMessage {
  type: "cancel";
  job: string;
}

/** Subscribe to a job again after a reconnect: replay every event after `lastSeq`. */
export interface ResumeMessage {
  type: "resume";
  job: string;
  lastSeq: number;
}

/** Liveness check; answered with a pong carrying the same id. */
export interface PingMessage {
  type: "ping";
  id?: string;
}

/** Every JSON message a client sends. */
export type ClientMessage =
  | ClientHello
  | GenerateMessage
  | SteerMessage
  | CancelMessage
  | ResumeMessage
  | PingMessage;

// ---------------------------------------------------------------- server -> client

/** Fields on every job event: ids and order. */
export interface JobEventBase {
  job: string;
  /** Per-job sequence number, shared with media frames; strictly increasing. */
  seq: number;
  /** Server time, milliseconds since the epoch. */
  ts: number;
}

/** URLs (relative to the server's origin) of a finished generation's files. */
export interface OutputUrls {
  video: string;
  audio: string;
  thumbnail: string;
  spritesheet: string;
}

/** The job lifecycle, in order; one of done, cancelled or failed ends it. */
export type JobEvent =
  & JobEventBase
  & (
    | { type: "queued"; position: number; clientId?: string }
    | { type: "started" }
    | { type: "step"; i: number; n: number; sigma: number }
    | { type: "steered"; steer: SteerParams }
    | { type: "done"; outputs: OutputUrls; dropped?: number }
    | { type: "cancelled"; dropped?: number }
    | { type: "failed"; code: string; message: string; dropped?: number }
  );

/** The lifecycle event type names. */
export type JobEventType = JobEvent["type"];

/** Job states as the snapshot reports them. */
export type JobStatus = "queued" | "running" | "done" | "cancelled" | "failed";

/** The server's first message. */
export interface ServerHello {
  type: "hello";
  protocol: number;
  server: string;
  session: string;
  capabilities: ServerCapabilities;
}

/** Answer to resume: how many events follow from the log, or that a snapshot does. */
export interface ResumedMessage {
  type: "resumed";
  job: string;
  lastSeq: number;
  replayed: number;
  snapshot: boolean;
  ts: number;
}

/** A job's state when the events a client missed are no longer in the log. */
export interface SnapshotMessage extends JobEventBase {
  type: "snapshot";
  status: JobStatus;
  step: number;
  steps: number;
  sigma: number;
  outputs?: OutputUrls;
  error?: { code: string; message: string };
}

/** A message the server could not act on; the socket stays open. */
export interface ErrorMessage {
  type: "error";
  code: ErrorCode;
  message: string;
  ts: number;
  job?: string;
  clientId?: string;
}

/** Answer to ping. */
export interface PongMessage {
  type: "pong";
  id?: string;
  ts: number;
}

/** Every JSON message a server sends. */
export type ServerMessage =
  | JobEvent
  | ServerHello
  | ResumedMessage
  | SnapshotMessage
  | ErrorMessage
  | PongMessage;

/** Stable error codes; the sentence beside them may change, these never do. */
export const ERROR_CODES = [
  "bad_message", // not JSON, not an object, binary where JSON was expected
  "invalid_request", // JSON that fails validation (names the field)
  "unsupported_version", // hello with a protocol this server does not speak
  "hello_required", // anything before hello
  "unknown_job", // a job id this server does not know
  "job_finished", // steer or cancel of a finished job
  "busy", // over a limit
  "too_large", // a message over the server's size cap
  "internal", // a bug; the message says what failed
  // Why the engine could not start a job, forwarded as the engine reports it
  // (core/errors.ts; invalid_request above is the engine's too).
  "pack_invalid", // the model pack does not follow models/PACK.md
  "model_failed", // a model threw or answered off-contract
  "output_failed", // writing the outputs failed
  "engine_closed", // the engine is shutting down; retry on another server or later
  "internal_error", // a throw the engine did not expect
] as const;

/** One of {@linkcode ERROR_CODES}. */
export type ErrorCode = typeof ERROR_CODES[number];

// ---------------------------------------------------------------- binary media

/** What a media frame carries. */
export type MediaKind = "video" | "audio";
/** Image formats a preview frame may use. */
export type PreviewFormat = "jpeg" | "webp";
/**
 * Sample formats of preview audio, mono little-endian: float32, or int16 (full scale
 * 32767) at half the bytes, sent to clients that list it in `audioFormats`.
 */
export type AudioFormat = "pcm_f32" | "pcm_s16";
/** Encoding of a media frame's payload. */
export type MediaFormat = PreviewFormat | AudioFormat;

/** The decoded fixed header of a binary media message. */
export interface MediaHeader {
  kind: MediaKind;
  format: MediaFormat;
  job: string;
  seq: number;
  step: number;
  sigma: number;
  /** Frame index (video) or sample offset (audio). */
  index: number;
  /** Frames in this preview (video) or samples in the whole clip (audio). */
  count: number;
  /** Samples per second (audio); 0 for video. */
  rate: number;
  /** The payload holds frames `index`..`count - 1` (flags bit 0; see encodeFrameBundle). */
  bundle?: boolean;
}

/**
 * Header layout, little-endian, 64 bytes:
 *
 * | off | size | field |
 * |---|---|---|
 * | 0 | 2 | magic "EM" |
 * | 2 | 1 | protocol version (1) |
 * | 3 | 1 | header length in bytes (64); readers skip what they do not know |
 * | 4 | 1 | kind: 1 video, 2 audio |
 * | 5 | 1 | format: 1 jpeg, 2 webp, 3 pcm_f32, 4 pcm_s16 |
 * | 6 | 1 | flags: bit 0 = frame bundle (only to clients with `frameBundles`) |
 * | 7 | 1 | reserved (0) |
 * | 8 | 4 | seq (u32) |
 * | 12 | 4 | step (u32) |
 * | 16 | 4 | sigma (f32) |
 * | 20 | 4 | index: frame index or sample offset (u32) |
 * | 24 | 4 | count: frames in the preview or samples in the clip (u32) |
 * | 28 | 4 | rate: sample rate, 0 for video (u32) |
 * | 32 | 32 | job id, ASCII, zero-padded |
 *
 * A fixed size keeps the payload 4-byte aligned, so PCM can be viewed in place.
 */
export const MEDIA_HEADER_BYTES = 64;
const JOB_ID_BYTES = 32;
const MAGIC_0 = 0x45; // "E"
const MAGIC_1 = 0x4d; // "M"
const KINDS: MediaKind[] = ["video", "audio"];
const FORMATS: MediaFormat[] = ["jpeg", "webp", "pcm_f32", "pcm_s16"];

/** Thrown by {@linkcode decodeMedia} for bytes that are not a media frame. */
export class MediaHeaderError extends Error {
  override name = "MediaHeaderError";
}

/**
 * Writes header and payload into one new message.
 *
 * @example
 * ```ts
 * const bytes = encodeMedia({ kind: "video", format: "jpeg", job: "video_ab", seq: 7,
 *   step: 2, sigma: 0.5, index: 0, count: 24, rate: 0 }, jpeg);
 * ```
 */
export function encodeMedia(header: MediaHeader, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  if (header.job.length > JOB_ID_BYTES) {
    throw new MediaHeaderError(`Cannot encode media header: job id "${header.job}" is too long`);
  }
  const out = new Uint8Array(MEDIA_HEADER_BYTES + payload.byteLength);
  const view = new DataView(out.buffer);
  out[0] = MAGIC_0;
  out[1] = MAGIC_1;
  out[2] = PROTOCOL_VERSION;
  out[3] = MEDIA_HEADER_BYTES;
  out[4] = KINDS.indexOf(header.kind) + 1;
  out[5] = FORMATS.indexOf(header.format) + 1;
  out[6] = header.bundle ? 1 : 0;
  view.setUint32(8, header.seq, true);
  view.setUint32(12, header.step, true);
  view.setFloat32(16, header.sigma, true);
  view.setUint32(20, header.index, true);
  view.setUint32(24, header.count, true);
  view.setUint32(28, header.rate, true);
  for (let i = 0; i < header.job.length; i++) out[32 + i] = header.job.charCodeAt(i) & 0x7f;
  out.set(payload, MEDIA_HEADER_BYTES);
  return out;
}

/** Splits a binary message into its header and a view of its payload (no copy). */
export function decodeMedia(bytes: Uint8Array): { header: MediaHeader; payload: Uint8Array } {
  if (bytes.byteLength < MEDIA_HEADER_BYTES || bytes[0] !== MAGIC_0 || bytes[1] !== MAGIC_1) {
    throw new MediaHeaderError("Cannot decode media frame: bad magic or short header");
  }
  const length = bytes[3]!;
  const kind = KINDS[bytes[4]! - 1];
  const format = FORMATS[bytes[5]! - 1];
  if (length < MEDIA_HEADER_BYTES || bytes.byteLength < length || !kind || !format) {
    throw new MediaHeaderError(
      `Cannot decode media frame: kind "${bytes[4]}" or format "${bytes[5]}" unknown`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let job = "";
  for (let i = 32; i < 32 + JOB_ID_BYTES && bytes[i] !== 0; i++) {
    job += String.fromCharCode(bytes[i]!);
  }
  return {
    header: {
      kind,
      format,
      job,
      seq: view.getUint32(8, true),
      step: view.getUint32(12, true),
      sigma: view.getFloat32(16, true),
      index: view.getUint32(20, true),
      count: view.getUint32(24, true),
      rate: view.getUint32(28, true),
      ...((bytes[6]! & 1) === 1 ? { bundle: true } : {}),
    },
    payload: bytes.subarray(length),
  };
}

/**
 * The payload of a frame bundle: u32 frame count, a u32 byte length per frame
 * (little-endian), then the frames' bytes in order.
 */
export function encodeFrameBundle(frames: readonly Uint8Array[]): Uint8Array {
  const table = 4 * (1 + frames.length);
  const out = new Uint8Array(table + frames.reduce((n, f) => n + f.byteLength, 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, frames.length, true);
  let at = table;
  frames.forEach((frame, i) => {
    view.setUint32(4 * (1 + i), frame.byteLength, true);
    out.set(frame, at);
    at += frame.byteLength;
  });
  return out;
}

/** The frames of a bundle's payload, as views (no copy). */
export function splitFrameBundle(payload: Uint8Array): Uint8Array[] {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const count = payload.byteLength >= 4 ? view.getUint32(0, true) : -1;
  let at = 4 * (1 + count);
  if (count < 0 || at > payload.byteLength) {
    throw new MediaHeaderError("Cannot decode frame bundle: its table runs past the message");
  }
  return Array.from({ length: count }, (_, i) => {
    const length = view.getUint32(4 * (1 + i), true);
    if (at + length > payload.byteLength) {
      throw new MediaHeaderError(`Cannot decode frame bundle: frame ${i} runs past the message`);
    }
    const frame = payload.subarray(at, at + length);
    at += length;
    return frame;
  });
}
