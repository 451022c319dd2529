/**
 * The page's hold on a run across what breaks a session, in real Chromium against
 * `server/main.ts` with an API key: a missing, wrong or cleared key, history
 * thumbnails after a reload, a reload mid-run (the page re-attaches to its job:
 * it can cancel it and it lands in the history), and the server killed mid-run
 * and started again on the same port and data dir (the page says it is
 * reconnecting for as long as it takes, picks up the job the server runs again,
 * and generates afterwards). No status line may show a URL or a token.
 * Skipped, with the reason printed, when Chromium or the pack is missing.
 */
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import {
  launch,
  missing,
  openPage,
  PACK,
  probe,
  recordStatuses,
  startRun,
  statuses,
  until,
} from "./_page.ts";
import { type ServerProcess, spawnServer } from "./_server.ts";

if (missing) console.log(`page_session_test skipped: ${missing}`);

const KEY = "page-test-key";
const RUN_KEY = "emerge.run";

const statusText = async (page: Page) => await page.textContent("#status") ?? "";

/** Waits until the status line matches `pattern`. */
async function statusMatches(page: Page, pattern: RegExp, ms = 30_000): Promise<string> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const text = await statusText(page);
    if (pattern.test(text)) return text;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out waiting for status ${pattern}: "${await statusText(page)}"`);
}

/** The job this tab would re-attach to after a reload. */
const savedRun = (page: Page) => page.evaluate((key) => sessionStorage.getItem(key), RUN_KEY);

const historyPrompts = (page: Page) =>
  page.$$eval("#history li button", (b) => b.map((e) => (e as HTMLElement).title));

Deno.test({
  name: "page: API key, reload mid-run, server restart mid-run",
  ignore: missing !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dataDir = await Deno.makeTempDir({ prefix: "emerge_page_session_" });
    const env = { EMERGE_PACK: PACK, EMERGE_API_KEYS: KEY };
    let server: ServerProcess = await spawnServer(env, { dataDir });
    let browser: Browser | undefined;
    try {
      browser = await launch();
      const { page, errors } = await openPage(browser);
      await recordStatuses(page);
      await page.goto(server.url);

      await t.step(
        "a missing, a wrong and a cleared key each say so; the right one works",
        async () => {
          await statusMatches(page, /^This server needs an API key/);
          assert.ok(await page.$eval("#keybox", (d) => (d as HTMLDetailsElement).open));
          await page.fill("#prompt", "a red ball rolls");
          await page.fill("#steps", "8");
          await page.fill("#apikey", "wrong-key");
          await page.click("#go");
          try {
            await statusMatches(page, /^That API key was refused/);
          } finally {
            // The rest needs a run with the key, whatever failed above.
            await page.fill("#apikey", KEY);
            await page.click("#go");
            await until(page, "the run with the right key", (p) => p.state === "done");
          }
          // Emptying the field forgets the stored key: the next Generate goes without.
          await page.fill("#apikey", "");
          await page.click("#go");
          try {
            await statusMatches(page, /^This server needs an API key/);
            assert.equal(await page.evaluate(() => localStorage.getItem("emerge.key")), null);
          } finally {
            await page.fill("#apikey", KEY);
            await page.evaluate((key) => localStorage.setItem("emerge.key", key), KEY);
          }
        },
      );

      await t.step("history thumbnails load after a reload", async () => {
        await page.reload();
        await until(page, "the hello", (p) => p.ready, 30_000);
        await page.waitForFunction(() => {
          const images = [...document.querySelectorAll<HTMLImageElement>("#history img")];
          return images.length > 0 && images.every((i) => i.complete);
        });
        const images = await page.$$eval(
          "#history img",
          (i) => i.map((e) => (e as HTMLImageElement).naturalWidth),
        );
        assert.ok(images.every((w) => w > 0), `every thumbnail loaded: widths ${images}`);
      });

      await t.step(
        "a reload mid-run re-attaches: the run can be cancelled, or ends in the history",
        async () => {
          await startRun(page, "a purple ball rolls right", 150);
          const { job } = await until(page, "a running job", (p) => p.lastStep >= 3);
          await page.reload();
          let p = await until(
            page,
            "the run again",
            (p) => p.job === job && p.lastStep > 0,
            30_000,
          );
          assert.equal(p.state, "running");
          assert.equal(
            await page.isEnabled("#cancel"),
            true,
            "the re-attached run can be cancelled",
          );
          await page.click("#cancel");
          p = await until(page, "the cancel", (p) => p.state === "cancelled", 30_000);
          assert.ok(p.lastStep < 150, `cancelled at step ${p.lastStep}`);
          assert.equal(await savedRun(page), null, "an ended run is forgotten");
          const res = await fetch(`${server.url}/v1/videos/${job}`, {
            headers: { authorization: `Bearer ${KEY}` },
          });
          assert.equal((await res.json()).error?.code, "cancelled", "the server stopped the job");

          await startRun(page, "a cyan ball after the reload", 20);
          const second = await until(page, "a running job", (p) => p.lastStep >= 2);
          await page.reload();
          p = await until(page, "the end", (p) => p.job === second.job && p.state === "done");
          assert.ok((await historyPrompts(page)).includes("a cyan ball after the reload"));
          assert.equal(await savedRun(page), null);
        },
      );

      await t.step(
        "a server restart mid-run: reconnecting until it is back, then the run ends",
        async () => {
          await startRun(page, "a grey cube spins through a restart", 60);
          const { job } = await until(page, "a running job", (p) => p.lastStep >= 3);
          await server.kill("SIGKILL");
          await statusMatches(page, /^Reconnecting…$/, 5_000);
          // Past the five attempts the page once gave up after.
          await new Promise((r) => setTimeout(r, 8_000));
          assert.equal(await statusText(page), "Reconnecting…");
          assert.equal((await probe(page)).state, "running");
          server = await spawnServer({ ...env, PORT: new URL(server.url).port }, { dataDir });
          const p = await until(page, "the run the server ran again", (p) => p.state === "done");
          assert.equal(p.job, job);
          assert.ok((await historyPrompts(page)).includes("a grey cube spins through a restart"));
          const seen = await statuses(page);
          assert.ok(seen.includes("The server restarted: the clip starts again"), seen.join(" | "));
          // And the page still generates, on the same client.
          await startRun(page, "a pink ball after the restart", 8);
          await until(page, "a run after the restart", (p) => p.state === "done" && p.job !== job);
        },
      );

      const seen = await statuses(page);
      const leaks = seen.filter((s) => /token|ws:|http:|\?/i.test(s));
      assert.deepEqual(leaks, [], "no status shows a URL or a token");
      assert.deepEqual(errors, [], "no uncaught errors in the page");
    } finally {
      await browser?.close();
      await server.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
