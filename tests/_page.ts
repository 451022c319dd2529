/**
 * What the page tests share: Debian's Chromium driven by playwright-core, the
 * page's `window.emerge` probe, and a wait on it. A test that needs Chromium or
 * the default pack skips with `missing` as its reason when either is absent.
 */
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";
/** The repository root. */
export const ROOT = join(import.meta.dirname!, "..");
/** The default model pack the page tests run. */
export const PACK = join(ROOT, "models", "default");
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Why page tests cannot run here, or null when they can. */
export const missing: string | null = await Deno.stat(CHROMIUM).then(
  () => Deno.stat(join(PACK, "manifest.json")).then(() => null, () => "models/default is missing"),
  () => `${CHROMIUM} is missing (install: apt-get install -y chromium)`,
);

/** Starts headless Chromium. */
export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

/** A desktop-sized page, with the uncaught errors it throws collected in `errors`. */
export async function openPage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 820 } });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  return { page, errors };
}

/** What app.js exposes as `window.emerge`. */
export interface Probe {
  ready: boolean;
  connection: string;
  state: string;
  job: string | null;
  steps: number;
  lastStep: number;
  frames: number;
  framesDrawn: number;
  audioSamples: number;
  steered: number;
  lastSteer: { prompt?: string; guidance?: { video?: number; audio?: number } } | null;
  error: string | null;
}

/** The page's probe; undefined until its script runs (after a reload). */
export const probe = (page: Page): Promise<Probe> =>
  page.evaluate(() => (globalThis as unknown as { emerge: Probe }).emerge);

/** Waits until `test` holds for the probe; a failed run fails the wait at once. */
export async function until(
  page: Page,
  what: string,
  test: (p: Probe) => boolean,
  ms = 120_000,
): Promise<Probe> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const p = await probe(page);
    if (p && test(p)) return p;
    if (p?.state === "failed") throw new Error(`Page failed while waiting for ${what}: ${p.error}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out waiting for ${what}: ${JSON.stringify(await probe(page))}`);
}

/** Types `prompt` into the prompt box and presses Enter, as a user starts a run. */
export async function startRun(page: Page, prompt: string, steps: number): Promise<void> {
  await page.fill("#steps", String(steps));
  await page.fill("#seed", "7");
  await page.focus("#prompt");
  await page.fill("#prompt", "");
  await page.keyboard.type(prompt);
  await page.keyboard.press("Enter"); // Enter in the prompt generates (a user gesture for audio)
}

/**
 * Keeps every text the status line shows, in `window.statuses`, from before the
 * page's script runs (also after a reload).
 */
export async function recordStatuses(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (globalThis as unknown as { statuses: string[] }).statuses = seen;
    addEventListener("DOMContentLoaded", () => {
      const status = document.getElementById("status")!;
      seen.push(status.textContent ?? "");
      new MutationObserver(() => seen.push(status.textContent ?? "")).observe(status, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
  });
}

/** The statuses recorded since the last load (see {@linkcode recordStatuses}). */
export const statuses = (page: Page): Promise<string[]> =>
  page.evaluate(() => (globalThis as unknown as { statuses: string[] }).statuses);
