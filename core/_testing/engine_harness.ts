/** Builds engines over the fake backend and collects events (test helper). */
import { Engine, type EngineOptions } from "../engine.ts";
import { parseManifest } from "../pack/manifest.ts";
import type {
  AudioPreview,
  GenerationEvent,
  GenerationHandle,
  Preview,
  VideoPreview,
} from "../types.ts";
import { FakeBackend, type FakeDelays } from "./fake_backend.ts";
import { fixtureManifest } from "./fixture_manifest.ts";

/** An engine over a FakeBackend writing to a fresh temp folder; `dispose` removes it. */
export async function fakeEngine(delays: FakeDelays = {}, options: EngineOptions = {}) {
  const backend = new FakeBackend(delays);
  const outDir = await Deno.makeTempDir({ prefix: "emerge-test-" });
  const engine = new Engine(parseManifest(fixtureManifest()), backend, { outDir, ...options });
  return {
    engine,
    backend,
    outDir,
    async [Symbol.asyncDispose]() {
      await engine.close();
      await Deno.remove(outDir, { recursive: true });
    },
  };
}

/** Every event of a handle, in order, once it ends. */
export async function collect(handle: GenerationHandle): Promise<GenerationEvent[]> {
  const events: GenerationEvent[] = [];
  for await (const event of handle.events) events.push(event);
  return events;
}

/** The event types, with step events compressed to "step". */
export function types(events: GenerationEvent[]): string[] {
  return events.map((e) => e.type);
}

/** The preview parts of one kind among `events`, in order. */
export function previews(events: GenerationEvent[], kind: "video"): VideoPreview[];
export function previews(events: GenerationEvent[], kind: "audio"): AudioPreview[];
export function previews(events: GenerationEvent[], kind: Preview["kind"]): Preview[] {
  return events.flatMap((e) => e.type === "preview" && e.preview.kind === kind ? [e.preview] : []);
}
