/**
 * The REST face of a job, shaped like the OpenAI Videos API's video object so the
 * official clients can read it. Emerge's five job states map onto OpenAI's four:
 * a cancelled job is "failed" with error code "cancelled".
 */
import type { JobRecord } from "../jobs/store.ts";

/** OpenAI's video object, as far as Emerge fills it. */
export interface VideoObject {
  id: string;
  object: "video";
  status: "queued" | "in_progress" | "completed" | "failed";
  /** Percent, 0 to 100. */
  progress: number;
  /** "WxH". */
  size: string;
  /** Seconds as a string, as OpenAI sends it. */
  seconds: string;
  model: string;
  prompt: string;
  /** Unix seconds. */
  created_at: number;
  completed_at: number | null;
  expires_at: number | null;
  error: { code: string; message: string } | null;
  remixed_from_video_id: string | null;
}

const STATUS = {
  queued: "queued",
  running: "in_progress",
  done: "completed",
  cancelled: "failed",
  failed: "failed",
} as const;

/** The video object of `record`. */
export function toVideoObject(record: JobRecord): VideoObject {
  const { state, request } = record;
  const error = state.status === "cancelled"
    ? { code: "cancelled", message: "The generation was cancelled" }
    : state.error ?? null;
  return {
    id: record.id,
    object: "video",
    status: STATUS[state.status],
    progress: state.status === "done" ? 100 : Math.floor((100 * state.step) / (state.steps || 1)),
    size: `${request.width}x${request.height}`,
    seconds: String(request.seconds),
    model: record.model,
    prompt: request.prompt,
    created_at: Math.floor(record.createdAt / 1000),
    completed_at: record.completedAt === null ? null : Math.floor(record.completedAt / 1000),
    expires_at: null,
    error,
    remixed_from_video_id: record.remixOf ?? null,
  };
}
