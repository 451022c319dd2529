/**
 * The bounds one server keeps so no client, however hostile, can make it run out
 * of memory, disk or CPU: every request past one of these gets a clear error
 * (HTTP 429/413/400 or a WS error event), never a crash. One place holds them so
 * the config, the registry, the socket layer and the tests agree on the numbers.
 */

/** Every limit, with its environment variable and default. */
export interface Limits {
  /** EMERGE_MAX_QUEUE, default 64: unfinished jobs (queued + running) server-wide. */
  maxQueue: number;
  /** EMERGE_MAX_JOBS_PER_CLIENT, default 4: unfinished jobs per client (API key, else socket). */
  maxJobsPerClient: number;
  /** EMERGE_MAX_PROMPT_CHARS, default 2000: prompt and negative prompt, UTF-16 units. */
  maxPromptChars: number;
  /** EMERGE_MAX_PIXELS, default 262144 (512x512): width x height of one clip. */
  maxPixels: number;
  /** EMERGE_MAX_STEPS, default 200: sampler steps of one job. */
  maxSteps: number;
  /** EMERGE_MAX_SECONDS, default 20: clip length. */
  maxSeconds: number;
  /** EMERGE_MAX_MESSAGE_BYTES, default 65536: one WebSocket text frame. */
  maxMessageBytes: number;
  /** EMERGE_MAX_BODY_BYTES, default 1048576: one HTTP request body. */
  maxBodyBytes: number;
  /** EMERGE_MAX_SOCKETS_PER_ADDRESS, default 64: open WebSockets per remote address. */
  maxSocketsPerAddress: number;
}

/** The defaults: generous for a person, tight enough for a 2-core box. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxQueue: 64,
  maxJobsPerClient: 4,
  maxPromptChars: 2000,
  maxPixels: 512 * 512,
  maxSteps: 200,
  maxSeconds: 20,
  maxMessageBytes: 64 * 1024,
  maxBodyBytes: 1024 * 1024,
  maxSocketsPerAddress: 64,
});

/** The environment variable of each limit. */
export const LIMIT_ENV: Readonly<Record<keyof Limits, string>> = Object.freeze({
  maxQueue: "EMERGE_MAX_QUEUE",
  maxJobsPerClient: "EMERGE_MAX_JOBS_PER_CLIENT",
  maxPromptChars: "EMERGE_MAX_PROMPT_CHARS",
  maxPixels: "EMERGE_MAX_PIXELS",
  maxSteps: "EMERGE_MAX_STEPS",
  maxSeconds: "EMERGE_MAX_SECONDS",
  maxMessageBytes: "EMERGE_MAX_MESSAGE_BYTES",
  maxBodyBytes: "EMERGE_MAX_BODY_BYTES",
  maxSocketsPerAddress: "EMERGE_MAX_SOCKETS_PER_ADDRESS",
});

/** Why a request was refused; `code` is a protocol error code, `status` its HTTP twin. */
export type LimitCode = "busy" | "invalid_request" | "too_large";

/** A request over a limit: the sentence names the limit and the value. */
export class LimitError extends Error {
  override name = "LimitError";
  constructor(
    readonly code: LimitCode,
    message: string,
    /** The request field over its limit (the protocol's name), when one is. */
    readonly field: string | null = null,
  ) {
    super(message);
  }

  /** 429 for load (retry later), 413 for size, 400 for a request that can never pass. */
  get status(): 400 | 413 | 429 {
    return this.code === "busy" ? 429 : this.code === "too_large" ? 413 : 400;
  }
}
