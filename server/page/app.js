// The Emerge page: a thin view over the client library's browser bundle (the
// same EmergeClient the npm package ships), so the page speaks no protocol of
// its own. `window.emerge` exposes counters for the browser tests.
import { remember, renderHistory } from "./history.js";
import { Preview } from "./preview.js";
import { fetchToken, hasToken, storedKey, storeKey, withToken } from "./tokens.js";

const $ = (id) => document.getElementById(id);
/** The run this tab is watching, in sessionStorage, so a reload re-attaches to it. */
const RUN_KEY = "emerge.run";
/** style.css's one-column layout, where the preview sits below the form. */
const NARROW = matchMedia("(max-width: 760px)");
const STILL = matchMedia("(prefers-reduced-motion: reduce)");

/** What the browser tests read. */
const probe = {
  ready: false,
  connection: "idle",
  state: "idle",
  job: null,
  steps: 0,
  lastStep: 0,
  sigma: 1,
  frames: 0,
  framesDrawn: 0,
  audioSamples: 0,
  audioChunks: 0,
  steered: 0,
  lastSteer: null,
  error: null,
};
globalThis.emerge = probe;

// Imported by its served URL, computed so `deno check` does not try to resolve
// a path that exists only on the server (dist/ is built on demand).
const { CancelledError, ConnectionError, EmergeClient, ProtocolError, ServerError } = await import(
  new URL("/client/emerge.js", location.href).href
);

const preview = new Preview($("canvas"), probe);
let client = null;
/** The pending connect(), so a Generate during the page's own connect makes no second client. */
let connecting = null;
/** A token connect() fetched to check the key, for the first dial to use. */
let spare = null;
/** Why the page closed its client, shown instead of "connection lost". */
let closedWhy = null;
/** Whether the connection dropped and has not come back yet. */
let lost = false;
let gen = null;
/** Between a Generate click and the generation it starts (a connect may come between). */
let starting = false;

function status(text) {
  $("status").textContent = text;
}

// ------------------------------------------------------------------ connection

/**
 * The stream URL with a fresh token, for EmergeClient to call at every
 * (re)connect. Fresh every time, not only after the expiry: a restarted server
 * voids every token it issued (server/auth/tokens.ts), however long it had left.
 * A refused key closes the client: retrying cannot fix it, the user can.
 */
async function streamUrl() {
  const token = spare ?? await fetchToken();
  spare = null;
  if (token === undefined) {
    closedWhy = keyRefused();
    client?.close();
    throw new Error("Cannot get a token: the API key was refused");
  }
  const url = new URL("/v1/stream", location.href);
  url.searchParams.set("token", token);
  return url;
}

/** Opens the key box and says why; returns the sentence. */
function keyRefused() {
  $("keybox").open = true;
  const sentence = storedKey()
    ? "That API key was refused: check it above, then Generate"
    : "This server needs an API key: enter it above, then Generate";
  status(sentence);
  return sentence;
}

/** A live client, made when there is none or the last one closed; false when the key is refused. */
function ensureClient() {
  if (client && client.state !== "closed") return Promise.resolve(true);
  connecting ??= connect().finally(() => (connecting = null));
  return connecting;
}

async function connect() {
  // A server that cannot be reached now is the client's to retry, with its backoff.
  const token = await fetchToken().catch(() => null);
  if (token === undefined) {
    keyRefused();
    return false;
  }
  showHistory(); // its thumbnails need the token
  spare = token;
  closedWhy = null;
  lost = false;
  client = new EmergeClient(streamUrl, {
    // A page open in a tab keeps trying, at most 5 s apart: a short outage or a
    // server restart must not need a reload.
    reconnect: { maxAttempts: Infinity },
    onState: connectionState,
  });
  client.connect().then((hello) => {
    fill($("size"), hello.capabilities.sizes, (s) => s);
    fill($("seconds"), hello.capabilities.durations.map(String), (s) => `${s} s`);
    // The form's bounds follow this server's limits, not the defaults in the HTML.
    const { maxSteps, maxPromptChars } = hello.capabilities;
    if (maxSteps) $("steps").max = String(maxSteps);
    if (maxPromptChars) $("prompt").maxLength = maxPromptChars;
    if (!gen) status("Connected");
    probe.ready = true;
  }, () => {}); // closed before the hello: closedWhy has said why
  return true;
}

/** Shows a lost connection while the client works on getting it back. */
function connectionState(state) {
  probe.connection = state;
  if (state === "reconnecting") {
    lost = true;
    status("Reconnecting…");
  } else if (state === "open" && lost) {
    lost = false;
    status(gen ? "Reconnected: catching up…" : "Reconnected");
  }
}

/** Replaces a select's options, keeping the chosen one when it is still offered. */
function fill(select, values, label) {
  const chosen = select.value;
  select.replaceChildren(...values.map((v) => new Option(label(v), v)));
  if (values.includes(chosen)) select.value = chosen;
}

// ------------------------------------------------------------------ generate

async function generate(event) {
  event.preventDefault();
  if (gen || starting) return;
  preview.startAudio(); // first: only a click may start sound, and the awaits end the click
  const params = readParams();
  if (!params.prompt) return status("Type a prompt first");
  // A changed key needs a new client: its token names the new owner.
  if (storeKey($("apikey").value.trim())) {
    client?.close();
    client = null;
  }
  starting = true;
  try {
    if (!(await ensureClient()) || gen) return; // gen: a reload's run re-attached meanwhile
  } finally {
    starting = false;
  }
  if (!lost) status("Queued…");
  await watch(client.generate(params), params);
}

function readParams() {
  const params = { prompt: $("prompt").value.trim() };
  if ($("size").value) params.size = $("size").value;
  if ($("seconds").value) params.seconds = Number($("seconds").value);
  for (const [id, key] of [["seed", "seed"], ["steps", "steps"]]) {
    if ($(id).value !== "") params[key] = Number($(id).value);
  }
  const guidance = readGuidance("gv", "ga");
  if (guidance) params.guidance = guidance;
  return params;
}

/** The guidance fields the user filled, or undefined when neither is. */
function readGuidance(videoId, audioId) {
  const guidance = {};
  if ($(videoId).value !== "") guidance.video = Number($(videoId).value);
  if ($(audioId).value !== "") guidance.audio = Number($(audioId).value);
  return Object.keys(guidance).length ? guidance : undefined;
}

/**
 * Shows `next` (a new generation, or one re-attached after a reload) until it
 * ends. `params` is what it was asked with, for the history.
 */
async function watch(next, params) {
  gen = next;
  preview.reset(params.seconds ?? 2);
  Object.assign(probe, { state: "running", job: next.id, steps: 0, lastStep: 0, error: null });
  $("final").hidden = true;
  $("steered").textContent = "";
  running(true);
  reveal();
  try {
    for await (const ev of gen) await show(ev, params);
    const { outputs, id } = await gen.result;
    sessionStorage.removeItem(RUN_KEY);
    finished(id, params, outputs);
  } catch (error) {
    // Only a lost connection leaves the job running on the server: a reload re-attaches.
    if (!(error instanceof ConnectionError)) sessionStorage.removeItem(RUN_KEY);
    const cancelled = error instanceof CancelledError;
    probe.state = cancelled ? "cancelled" : "failed";
    probe.error = cancelled ? null : String(error.message ?? error);
    status(failure(error));
  } finally {
    gen = null;
    running(false);
  }
}

/**
 * A plain sentence for why a generation ended. A connection error names the
 * URL, whose `?token=` is a credential: its text never reaches the screen.
 */
function failure(error) {
  if (error instanceof CancelledError) return "Cancelled";
  if (error instanceof ServerError) {
    return error.code === "unknown_job"
      ? "The server no longer has this clip"
      : `Failed: ${error.message}`;
  }
  if (error instanceof ConnectionError) {
    return closedWhy ?? "Lost the connection to the server: Generate to try again";
  }
  if (error instanceof ProtocolError) return "This page is older than the server: reload it";
  return `Failed: ${error.message ?? error}`;
}

async function show(ev, params) {
  switch (ev.type) {
    case "queued":
      // A reload re-attaches from here: the server replays the rest and the latest preview.
      sessionStorage.setItem(RUN_KEY, JSON.stringify({ job: ev.job, lastSeq: ev.seq, params }));
      // The same job queued again: a restarted server runs it again from the start.
      if (probe.job === ev.job) return status("The server restarted: the clip starts again");
      probe.job = ev.job;
      return status(
        ev.position > 0
          ? `Starting… (${ev.position} other clip${ev.position > 1 ? "s are" : " is"} running too)`
          : "Starting…",
      );
    case "step":
      probe.steps++;
      probe.lastStep = ev.i;
      probe.sigma = ev.sigma;
      return status(`Step ${ev.i} / ${ev.n} · σ ${ev.sigma.toFixed(3)}`);
    case "snapshot":
      // What a resume gets when the events it missed have left the server's log.
      probe.lastStep = ev.step;
      return status(`Step ${ev.step} / ${ev.steps}`);
    case "resumed":
      return status("Picking up the running clip…");
    case "steered":
      probe.steered++;
      probe.lastSteer = ev.steer;
      return steerNote(`Steered at step ${probe.lastStep} to ${describeSteer(ev.steer)}`);
    case "error":
      // A steer (or a late cancel) the server refused, in its words; the run goes on.
      return steerNote(ev.message);
    case "frame":
      if (await preview.frame(ev)) probe.frames++;
      return;
    case "audio":
      return preview.sound(ev.samples, ev.header.rate);
  }
}

// ------------------------------------------------------------------ steer

/** The note under the steer form stays until the next steer or run: the status changes every step. */
function steerNote(text) {
  $("steered").textContent = text;
}

function describeSteer(steer) {
  const parts = [];
  if (steer.prompt !== undefined) parts.push(`"${steer.prompt}"`);
  if (steer.guidance?.video !== undefined) parts.push(`video guidance ${steer.guidance.video}`);
  if (steer.guidance?.audio !== undefined) parts.push(`audio guidance ${steer.guidance.audio}`);
  return parts.join(", ");
}

/** Sends what the user filled in, and only that: an empty field keeps the current value. */
function steer(event) {
  event.preventDefault();
  if (!gen) return;
  const change = {};
  const prompt = $("steer").value.trim();
  if (prompt) change.prompt = prompt;
  const guidance = readGuidance("steergv", "steerga");
  if (guidance) change.guidance = guidance;
  if (Object.keys(change).length === 0) return steerNote("Type a prompt or a guidance to steer");
  gen.steer(change);
}

// ------------------------------------------------------------------ ends

function finished(id, params, outputs) {
  probe.state = "done";
  const clip = {
    id,
    prompt: params.prompt,
    size: params.size ?? "",
    seconds: params.seconds ?? 2,
    at: Date.now(),
    video: outputs.video,
    audio: outputs.audio,
    thumbnail: outputs.thumbnail,
  };
  play(clip);
  status(`Done: ${id}`);
  remember(clip);
  showHistory();
}

/** Shows a finished clip in the player, with its download links. */
function play(clip) {
  const video = $("video");
  video.poster = withToken(clip.thumbnail);
  video.src = withToken(clip.video);
  link($("download"), clip.video, `${clip.id}.mp4`);
  link($("wav"), clip.audio, `${clip.id}.wav`);
  $("final").hidden = false;
}

/** Points a download link at `href`; hidden for clips saved before there was a WAV link. */
function link(a, href, name) {
  a.hidden = !href;
  if (!href) return;
  a.href = withToken(href);
  a.download = name;
  // The token may have been renewed since: the click takes the current one.
  a.onclick = () => (a.href = withToken(href));
}

function showHistory() {
  renderHistory($("history"), {
    thumbnail: (clip) => hasToken() ? withToken(clip.thumbnail) : null,
    pick: (clip) => {
      play(clip);
      $("video").focus();
    },
  });
}

function running(on) {
  const fromGo = document.activeElement === $("go");
  $("go").disabled = on;
  $("cancel").disabled = !on;
  for (const id of ["steer", "steergv", "steerga", "steerbtn"]) $(id).disabled = !on;
  if (on && fromGo) $("cancel").focus(); // a disabled button drops the focus to the page
}

/** On a phone the preview is below the form: bring it up when a run starts. */
function reveal() {
  if (!NARROW.matches) return;
  $("stage").scrollIntoView({ block: "start", behavior: STILL.matches ? "auto" : "smooth" });
}

/** Re-attaches to the run this tab was watching before a reload, if it had one. */
async function reattach() {
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(RUN_KEY) ?? "null");
  } catch {
    // Unreadable: dropped below.
  }
  if (!saved?.job || !saved.params) return sessionStorage.removeItem(RUN_KEY);
  if (gen || starting) return; // the user started another run first
  if (!(await ensureClient()) || gen) return;
  $("prompt").value ||= saved.params.prompt;
  status("Picking up the running clip…");
  await watch(client.resume(saved.job, saved.lastSeq ?? 0), saved.params);
}

// ------------------------------------------------------------------ wiring

$("form").addEventListener("submit", generate);
$("prompt").addEventListener("keydown", (e) => {
  // Enter generates, Shift+Enter is a new line: the prompt box is the main control.
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    $("form").requestSubmit();
  }
});
$("cancel").addEventListener("click", () => gen?.cancel());
document.addEventListener("keydown", (e) => {
  // Escape in a text box is the box's (closing a suggestion list, leaving a draft):
  // typing a steer must not end the run.
  if (e.key !== "Escape" || !gen || e.target.closest?.("input, textarea, select")) return;
  gen.cancel();
});
$("steerform").addEventListener("submit", steer);
$("apikey").value = storedKey();
showHistory();
ensureClient().then(reattach).catch(() => status("Cannot connect: reload the page to try again"));
