/**
 * The page at `/` in real Chromium (Debian's, driven by playwright-core) against
 * `server/main.ts` in its own process on the default pack: type a prompt with
 * the keyboard, watch the canvas change across steps, the AudioContext receive
 * samples, steer and cancel a run, play the final MP4, renew its short-lived
 * token for a reconnect and media URLs, keep a history across a reload, and fit
 * a phone-sized screen. Screenshots go to docs/ for the README.
 * Skipped, with the reason printed, when Chromium or the pack is missing.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { spawnServer } from "./_server.ts";

const CHROMIUM = "/usr/bin/chromium";
const ROOT = join(import.meta.dirname!, "..");
const PACK = join(ROOT, "models", "default");
// Screenshots go to a temp folder; EMERGE_SCREENSHOTS=1 refreshes the README's in docs/.
const DOCS = Deno.env.get("EMERGE_SCREENSHOTS") === "1"
  ? join(ROOT, "docs")
  : await Deno.makeTempDir({ prefix: "emerge-shots-" });
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

const missing = await Deno.stat(CHROMIUM).then(
  () => Deno.stat(join(PACK, "manifest.json")).then(() => null, () => "models/default is missing"),
  () => `${CHROMIUM} is missing (install: apt-get install -y chromium)`,
);
if (missing) console.log(`page_browser_test skipped: ${missing}`);

/** What app.js exposes as `window.emerge`. */
interface Probe {
  ready: boolean;
  state: string;
  job: string | null;
  steps: number;
  lastStep: number;
  frames: number;
  framesDrawn: number;
  audioSamples: number;
  steered: number;
  error: string | null;
}

const probe = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { emerge: Probe }).emerge);

async function until(page: Page, what: string, test: (p: Probe) => boolean, ms = 120_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const p = await probe(page); // undefined until the page's script runs (after a reload)
    if (p && test(p)) return p;
    if (p?.state === "failed") throw new Error(`Page failed while waiting for ${what}: ${p.error}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out waiting for ${what}: ${JSON.stringify(await probe(page))}`);
}

/** The canvas's RGBA pixels. */
const pixels = (page: Page) =>
  page.evaluate(() => {
    const canvas = document.getElementById("canvas") as HTMLCanvasElement;
    const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    return Array.from(data);
  });

function meanAbsDiff(a: number[], b: number[]): number {
  assert.equal(a.length, b.length, "canvas size changed between snapshots");
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/** A WebSocket the page opened, and when (the init script in the test keeps them). */
interface Opened {
  url: string;
  at: number;
  open: boolean;
}

const opened = (page: Page) =>
  page.evaluate(() =>
    (globalThis as unknown as { sockets: { ws: WebSocket; at: number }[] }).sockets
      .map(({ ws, at }) => ({ url: ws.url, at, open: ws.readyState === WebSocket.OPEN }))
  );

/** When the `?token=` in `url` expires (ms since the epoch), read from its payload. */
function expiry(url: string): number {
  const token = new URL(url).searchParams.get("token") ?? "";
  return JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString()).e;
}

async function startRun(page: Page, prompt: string, steps: number) {
  await page.fill("#steps", String(steps));
  await page.fill("#seed", "7");
  await page.focus("#prompt");
  await page.fill("#prompt", "");
  await page.keyboard.type(prompt);
  await page.keyboard.press("Enter"); // Enter in the prompt generates (a user gesture for audio)
}

Deno.test({
  name: "page: generate, sharpen, hear, steer, cancel, play, history, phone",
  ignore: missing !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    // 2 s tokens, so the page renews them during the run (auth is off: none is refused).
    const server = await spawnServer({ EMERGE_PACK: PACK, EMERGE_TOKEN_SECONDS: "2" });
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
      const page = await browser.newPage({ viewport: { width: 1100, height: 820 } });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      // Keep the page's WebSockets, so a step can close one as a network drop would.
      await page.addInitScript(() => {
        const sockets: { ws: WebSocket; at: number }[] = [];
        (globalThis as unknown as { sockets: typeof sockets }).sockets = sockets;
        globalThis.WebSocket = class extends WebSocket {
          constructor(url: string | URL, protocols?: string | string[]) {
            super(url, protocols);
            sockets.push({ ws: this, at: Date.now() });
          }
        };
      });
      await page.goto(server.url);
      await until(page, "the hello", (p) => p.ready, 30_000);
      const sizes = await page.$$eval("#size option", (o) => o.map((e) => e.textContent));
      assert.ok(sizes.includes("64x64"), `sizes come from the hello: ${sizes}`);
      await page.selectOption("#size", "64x64");
      await page.selectOption("#seconds", "2");

      await t.step(
        "the canvas changes across steps and audio reaches the AudioContext",
        async () => {
          await startRun(
            page,
            "a large red ball bounces off the walls on a white background, with a high whistle",
            12,
          );
          await until(page, "an early frame", (p) => p.lastStep >= 2 && p.framesDrawn > 0);
          const early = await pixels(page);
          await until(page, "the end", (p) => p.state === "done");
          // Let the loop draw the last preview (and the canvas stop on it).
          await new Promise((r) => setTimeout(r, 300));
          const late = await pixels(page);
          const p = await probe(page);
          assert.equal(p.steps, 12, "every step event reached the page");
          assert.ok(p.frames > 0 && p.framesDrawn > 0, "preview frames were decoded and drawn");
          assert.ok(meanAbsDiff(early, late) > 0, "the canvas changed between step 2 and the end");
          assert.ok(p.audioSamples > 0, `the AudioContext got ${p.audioSamples} samples`);
        },
      );

      await t.step("the final MP4 plays in the <video> and can be downloaded", async () => {
        await page.waitForFunction(() =>
          (document.getElementById("video") as HTMLVideoElement).readyState >= 2
        );
        const video = await page.$eval("#video", (v) => {
          const el = v as HTMLVideoElement;
          return { readyState: el.readyState, duration: el.duration, width: el.videoWidth };
        });
        assert.ok(Math.abs(video.duration - 2) < 0.5, `duration ${video.duration} is about 2 s`);
        assert.ok(video.width > 0, "the video has frames");
        const href = await page.$eval("#download", (a) => (a as HTMLAnchorElement).href);
        const res = await fetch(href);
        assert.equal(res.headers.get("content-type"), "video/mp4");
        assert.ok((await res.arrayBuffer()).byteLength > 1000);
        await Deno.mkdir(DOCS, { recursive: true });
        await page.screenshot({ path: join(DOCS, "screenshot.png"), fullPage: true });
      });

      await t.step("steer changes the prompt mid-run and cancel stops it", async () => {
        await startRun(page, "a green square slides left", 150);
        await until(page, "a running job", (p) => p.lastStep >= 1);
        await page.fill("#steer", "a yellow circle rises");
        await page.press("#steer", "Enter");
        await until(page, "the steered event", (p) => p.steered >= 1);
        const before = (await probe(page)).lastStep;
        await page.click("#cancel");
        const p = await until(page, "the cancel", (p) => p.state === "cancelled", 30_000);
        assert.ok(p.lastStep < 150, `cancelled at step ${p.lastStep}, after ${before}`);
        assert.match(await page.textContent("#status") ?? "", /Cancelled/);
        // Escape cancels too: the keyboard path.
        await startRun(page, "a blue triangle spins", 150);
        await until(page, "a running job", (p) => p.lastStep >= 1);
        await page.keyboard.press("Escape");
        await until(page, "the Escape cancel", (p) => p.state === "cancelled", 30_000);
      });

      await t.step(
        "a reconnect and media URLs after the first token expired get a fresh one",
        async () => {
          const [first] = await opened(page);
          // Usually long expired by now; else wait for it (under 2 s).
          await new Promise((r) =>
            setTimeout(r, Math.max(0, expiry(first!.url) + 100 - Date.now()))
          );
          await page.evaluate(() =>
            (globalThis as unknown as { sockets: { ws: WebSocket }[] }).sockets.at(-1)!.ws.close()
          );
          await page.waitForFunction(() => {
            const sockets = (globalThis as unknown as { sockets: { ws: WebSocket }[] }).sockets;
            return sockets.length === 2 && sockets[1]!.ws.readyState === WebSocket.OPEN;
          });
          const again: Opened = (await opened(page))[1]!;
          assert.ok(expiry(first!.url) < again.at, "the first token had expired at the reconnect");
          assert.ok(expiry(again.url) > again.at, `the reconnect's token is valid: ${again.url}`);
          const clicked = Date.now();
          await page.click("#history li button");
          const src = await page.$eval("#video", (v) => (v as HTMLVideoElement).src);
          assert.ok(expiry(src) > clicked, `the media URL's token is valid: ${src}`);
        },
      );

      await t.step("history survives a reload; the page fits a phone", async () => {
        await page.reload();
        await until(page, "the hello", (p) => p.ready, 30_000);
        const items = await page.$$eval("#history li", (li) => li.map((e) => e.textContent));
        assert.equal(items.length, 1, "one finished clip in this browser's history");
        assert.match(items[0]!, /a large red ball bounces/);
        await page.setViewportSize({ width: 390, height: 844 });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(overflow <= 390, `no sideways scroll on a phone (scrollWidth ${overflow})`);
        await page.screenshot({ path: join(DOCS, "screenshot-phone.png"), fullPage: true });
      });
      assert.deepEqual(errors, [], "no uncaught errors in the page");
    } finally {
      await browser?.close();
      await server.stop();
    }
  },
});
