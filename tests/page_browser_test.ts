/**
 * The page at `/` in real Chromium (Debian's, driven by playwright-core) against
 * `server/main.ts` in its own process on the default pack: a form that allows
 * what the server allows, type a prompt with the keyboard, watch the canvas
 * change across steps, the AudioContext receive samples, steer prompt and
 * guidance mid-run (the note stays), cancel by button and by Escape (not from a
 * text box), play the final MP4 with its poster, download MP4 and WAV, renew the
 * short-lived token for a reconnect and media URLs, keep a history across a
 * reload (a long prompt keeps its card short), and on a phone bring the preview
 * into view. Screenshots go to docs/ for the README with EMERGE_SCREENSHOTS=1.
 * Reloads, keys and server restarts are page_session_test.ts.
 * Skipped, with the reason printed, when Chromium or the pack is missing.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { REQUEST_LIMITS } from "../core/request.ts";
import { DEFAULT_LIMITS } from "../server/limits/limits.ts";
import {
  launch,
  missing,
  openPage,
  PACK,
  probe,
  recordStatuses,
  ROOT,
  startRun,
  statuses,
  until,
} from "./_page.ts";
import { spawnServer } from "./_server.ts";

// Screenshots go to a temp folder; EMERGE_SCREENSHOTS=1 refreshes the README's in docs/.
const DOCS = Deno.env.get("EMERGE_SCREENSHOTS") === "1"
  ? join(ROOT, "docs")
  : await Deno.makeTempDir({ prefix: "emerge-shots-" });

if (missing) console.log(`page_browser_test skipped: ${missing}`);

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

Deno.test({
  name: "page: generate, sharpen, hear, steer, cancel, play, history, phone",
  ignore: missing !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    // 2 s tokens, so the page renews them during the run (auth is off: none is refused);
    // a steps cap off the default, so the form's bound is seen to come from the hello.
    const server = await spawnServer({
      EMERGE_PACK: PACK,
      EMERGE_TOKEN_SECONDS: "2",
      EMERGE_MAX_STEPS: "160",
    });
    let browser: Browser | undefined;
    try {
      browser = await launch();
      const { page, errors } = await openPage(browser);
      // Every request the server refused (a thumbnail); the favicon's shows only in the console.
      const refused: string[] = [];
      page.on("response", (r) => r.status() >= 400 && refused.push(`${r.status()} ${r.url()}`));
      page.on("console", (m) => m.type() === "error" && refused.push(m.text()));
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
      await recordStatuses(page);
      await page.goto(server.url);
      await until(page, "the hello", (p) => p.ready, 30_000);
      const sizes = await page.$$eval("#size option", (o) => o.map((e) => e.textContent));
      assert.ok(sizes.includes("64x64"), `sizes come from the hello: ${sizes}`);
      await page.selectOption("#size", "64x64");
      await page.selectOption("#seconds", "2");

      await t.step("the form allows what the server allows", async () => {
        const limits = await page.evaluate(() => {
          const attr = (id: string, name: string) =>
            document.getElementById(id)!.getAttribute(name);
          return {
            steps: attr("steps", "max"),
            prompt: attr("prompt", "maxlength"),
            guidance: ["gv", "ga", "steergv", "steerga"].map((id) => attr(id, "max")),
          };
        });
        assert.equal(Number(limits.steps), 160, "Steps stops at this server's cap (its hello)");
        assert.equal(Number(limits.prompt), DEFAULT_LIMITS.maxPromptChars);
        for (const max of limits.guidance) assert.equal(Number(max), REQUEST_LIMITS.maxGuidance);
        // Any guidance the server takes, not only multiples of 0.5.
        const valid = await page.evaluate(() =>
          ["gv", "ga", "steergv", "steerga"].map((id) => {
            const input = document.getElementById(id) as HTMLInputElement;
            input.value = "7.3";
            const ok = input.validity.valid;
            input.value = "";
            return ok;
          })
        );
        assert.deepEqual(valid, [true, true, true, true], "7.3 is a valid guidance everywhere");
      });

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
          const seen = await statuses(page);
          assert.ok(seen.includes("Starting…"), `a job that starts at once: ${seen.slice(0, 4)}`);
          assert.ok(!seen.some((s) => /position/.test(s)), "no queue position 0");
        },
      );

      await t.step(
        "the final MP4 plays in the <video> with its poster; MP4 and WAV download",
        async () => {
          await page.waitForFunction(() =>
            (document.getElementById("video") as HTMLVideoElement).readyState >= 2
          );
          const video = await page.$eval("#video", (v) => {
            const el = v as HTMLVideoElement;
            return { duration: el.duration, width: el.videoWidth, poster: el.poster };
          });
          assert.ok(Math.abs(video.duration - 2) < 0.5, `duration ${video.duration} is about 2 s`);
          assert.ok(video.width > 0, "the video has frames");
          assert.match(video.poster, /variant=thumbnail/);
          const poster = await fetch(video.poster);
          assert.equal(poster.headers.get("content-type"), "image/jpeg");
          await poster.body?.cancel();
          for (const [id, type] of [["#download", "video/mp4"], ["#wav", "audio/wav"]] as const) {
            const link = await page.$eval(id, (a) => ({
              href: (a as HTMLAnchorElement).href,
              download: (a as HTMLAnchorElement).download,
              visible: (a as HTMLElement).offsetWidth > 0,
            }));
            assert.ok(
              link.visible && link.download.endsWith(type === "audio/wav" ? ".wav" : ".mp4"),
            );
            const res = await fetch(link.href);
            assert.equal(res.headers.get("content-type"), type);
            assert.ok((await res.arrayBuffer()).byteLength > 1000);
          }
          await Deno.mkdir(DOCS, { recursive: true });
          await page.screenshot({ path: join(DOCS, "screenshot.png"), fullPage: true });
        },
      );

      await t.step(
        "steer changes prompt and guidance mid-run and says so until the next",
        async () => {
          await startRun(page, "a green square slides left", 150);
          await until(page, "a running job", (p) => p.lastStep >= 1);
          await page.fill("#steer", "a yellow circle rises");
          await page.fill("#steergv", "6");
          await page.press("#steer", "Enter");
          let p = await until(page, "the steered event", (p) => p.steered >= 1);
          assert.deepEqual(p.lastSteer, {
            prompt: "a yellow circle rises",
            guidance: { video: 6 },
          });
          await until(page, "three steps more", (q) => q.lastStep >= p.lastStep + 3);
          assert.match(
            await page.textContent("#steered") ?? "",
            /^Steered at step \d+ to "a yellow circle rises", video guidance 6$/,
            "the steer is still on screen steps later",
          );
          // Only what is filled is sent: the audio guidance alone.
          await page.fill("#steer", "");
          await page.fill("#steergv", "");
          await page.fill("#steerga", "2.5");
          await page.click("#steerbtn");
          p = await until(page, "the second steer", (p) => p.steered >= 2);
          assert.deepEqual(p.lastSteer, { guidance: { audio: 2.5 } });
        },
      );

      await t.step("Escape cancels, but not while typing in a text box; Cancel does", async () => {
        // Still the 150-step run from the step before.
        await page.fill("#steer", "a draft I give up on");
        await page.press("#steer", "Escape");
        const at = (await probe(page)).lastStep;
        let p = await until(page, "steps after the Escape", (p) => p.lastStep >= at + 3);
        assert.equal(p.state, "running", "Escape in the steer box left the run alone");
        await page.click("#cancel");
        p = await until(page, "the cancel", (p) => p.state === "cancelled", 30_000);
        assert.ok(p.lastStep < 150, `cancelled at step ${p.lastStep}`);
        assert.match(await page.textContent("#status") ?? "", /Cancelled/);
        // Escape outside a text box cancels: the keyboard path.
        await startRun(page, "a blue triangle spins", 150);
        await until(page, "a running job", (p) => p.lastStep >= 1);
        await page.evaluate(() => (document.activeElement as HTMLElement).blur());
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

      await t.step("history survives a reload; a long prompt keeps its card short", async () => {
        const long = "a red ball bounces ".repeat(106).slice(0, 2000);
        await page.evaluate((prompt) => {
          const clips = JSON.parse(localStorage.getItem("emerge.history")!);
          localStorage.setItem(
            "emerge.history",
            JSON.stringify([...clips, { ...clips[0], id: "video_long", prompt }]),
          );
        }, long);
        await page.reload();
        await until(page, "the hello", (p) => p.ready, 30_000);
        const items = await page.$$eval("#history li button", (b) =>
          b.map((e) => ({
            text: e.textContent,
            title: (e as HTMLElement).title,
            height: e.getBoundingClientRect().height,
          })));
        assert.equal(items.length, 2, "the finished clip and the long one");
        assert.match(items[0]!.text!, /a large red ball bounces/);
        assert.equal(items[1]!.title, long, "the whole prompt is in the title");
        assert.ok(items[1]!.height < 300, `the long prompt's card is ${items[1]!.height} px tall`);
      });

      await t.step("on a phone the preview comes into view when a run starts", async () => {
        await page.setViewportSize({ width: 375, height: 667 });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(overflow <= 375, `no sideways scroll on a phone (scrollWidth ${overflow})`);
        await page.screenshot({ path: join(DOCS, "screenshot-phone.png"), fullPage: true });
        await startRun(page, "a white ball bounces on a red floor", 150);
        await until(page, "a running job", (p) => p.lastStep >= 1);
        // Smooth scrolling takes a moment; before, the canvas stayed a screen below.
        await page.waitForFunction(
          () => {
            const r = document.getElementById("canvas")!.getBoundingClientRect();
            return r.top >= -1 && r.top < innerHeight / 3;
          },
          undefined,
          { timeout: 5000 },
        );
        await page.click("#cancel");
        await until(page, "the cancel", (p) => p.state === "cancelled", 30_000);
      });
      assert.deepEqual(errors, [], "no uncaught errors in the page");
      assert.deepEqual(refused, [], "no request the server refused");
    } finally {
      await browser?.close();
      await server.stop();
    }
  },
});
