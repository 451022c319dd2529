/** Messages between the engine and its preview workers (private to core/). */
import type { ModelStats } from "./backend.ts";
import type { PreviewOptions, PreviewPart } from "./preview.ts";
import type { PreviewRequest } from "./preview_scheduler.ts";
import type { Preview } from "./types.ts";

/** Engine -> worker. A worker renders one part of every preview: `init` says which. */
export type ToWorker =
  | {
    type: "init";
    packDir: string;
    part: PreviewPart;
    options: PreviewOptions;
    intraOpThreads: number;
  }
  | { type: "render"; id: number; request: PreviewRequest };

/**
 * Worker -> engine. A render answers with its part once it is ready, then with how it
 * ended; that last answer carries the worker's cumulative model stats.
 */
export type FromWorker =
  | { type: "ready" }
  | { type: "init_failed"; message: string }
  | { type: "part"; id: number; preview: Preview }
  | { type: "rendered"; id: number; stats: ModelStats }
  | { type: "render_failed"; id: number; message: string; stats: ModelStats };
