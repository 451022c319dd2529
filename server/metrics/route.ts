/**
 * `GET /metrics`: Prometheus text for an operator's scraper. Jobs and steps come
 * from the {@linkcode JobMeter}, sockets and previews from the stream layer's
 * counters, model time from the engine's own `stats()` when it has one, memory
 * from the process, so a growing RSS can be told apart from jobs kept in memory.
 */
import type { Hono } from "hono";
import type { StreamStats } from "../ws/stats.ts";
import type { JobMeter } from "./metered_engine.ts";
import { type Family, render } from "./prometheus.ts";

/** Model-call totals as core's `Engine.stats()` reports them. */
export interface ModelCallStats {
  calls: number;
  ms: number;
  byComponent: Record<string, { calls: number; ms: number }>;
}

/** Where the numbers come from. */
export interface MetricSources {
  meter: JobMeter;
  stream: StreamStats;
  /** The engine's model-call totals, if it keeps any (and is loaded). */
  modelStats?: () => ModelCallStats | undefined;
  /** Jobs held in memory now, finished ones included until they are retired. */
  jobsInMemory?: () => number;
}

/** All families, in exposition order. */
export function collect(sources: MetricSources): Family[] {
  const { meter, stream } = sources;
  const families: Family[] = [
    gauge("emerge_jobs_queued", "Jobs waiting for their first step", meter.queued),
    gauge("emerge_jobs_running", "Jobs stepping now", meter.running),
    {
      name: "emerge_jobs_finished_total",
      help: "Jobs ended, by outcome",
      type: "counter",
      samples: Object.entries(meter.finished).map(([outcome, value]) => ({
        labels: { outcome },
        value,
      })),
    },
    {
      name: "emerge_step_seconds",
      help: "Time between consecutive denoising steps of one job",
      type: "histogram",
      samples: meter.stepSeconds.samples(),
    },
    {
      name: "emerge_denoise_batch_jobs",
      help: "Jobs stepped together by one denoiser call",
      type: "histogram",
      samples: meter.batchJobs.samples(),
    },
    counter(
      "emerge_preview_media_sent_total",
      "Preview messages (video frames and audio chunks) written to sockets",
      stream.mediaSent,
    ),
    counter(
      "emerge_preview_media_dropped_total",
      "Preview messages replaced by a newer preview before a slow socket took them",
      stream.mediaDropped,
    ),
    gauge("emerge_open_sockets", "WebSockets open now", stream.openSockets),
    counter("emerge_protocol_errors_total", "Error events sent for bad messages", stream.errors),
    ...memoryFamilies(),
  ];
  if (sources.jobsInMemory) {
    families.push(gauge(
      "emerge_jobs_in_memory",
      "Jobs held in memory, finished ones until retired",
      sources.jobsInMemory(),
    ));
  }
  const model = sources.modelStats?.();
  if (model) {
    const parts = Object.entries(model.byComponent);
    families.push({
      name: "emerge_model_calls_total",
      help: "Model (ONNX session) calls, by component",
      type: "counter",
      samples: parts.map(([component, s]) => ({ labels: { component }, value: s.calls })),
    }, {
      name: "emerge_model_call_seconds_total",
      help: "Time spent in model calls, by component",
      type: "counter",
      samples: parts.map(([component, s]) => ({ labels: { component }, value: s.ms / 1000 })),
    });
  }
  return families;
}

/** The process's memory: resident set, and the JS heap and buffers outside it. */
function memoryFamilies(): Family[] {
  const m = Deno.memoryUsage();
  return [
    gauge("process_resident_memory_bytes", "Resident memory of the server process", m.rss),
    gauge("emerge_js_heap_used_bytes", "JS heap in use", m.heapUsed),
    gauge("emerge_js_external_bytes", "Memory of JS objects held outside the heap", m.external),
  ];
}

/** Mounts `GET /metrics`. */
export function metricsRoute(app: Hono, sources: MetricSources): void {
  app.get("/metrics", (c) =>
    c.body(render(collect(sources)), 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
    }));
}

function gauge(name: string, help: string, value: number): Family {
  return { name, help, type: "gauge", samples: [{ value }] };
}

function counter(name: string, help: string, value: number): Family {
  return { name, help, type: "counter", samples: [{ value }] };
}
