// The Emerge page: a thin view over the client library's browser bundle (the
// same EmergeClient the npm package ships), so the page speaks no protocol of
// its own. `window.emerge` exposes counters for the browser test.

const $ = (id) => document.getElementById(id);
const HISTORY_KEY = "emerge.history";
const KEY_KEY = "emerge.key";
/** Behind this much queued audio, new chunks are dropped: previews are latest-wins. */
const MAX_AUDIO_LAG_S = 1.5;

/** What the browser test reads. */
const probe = {
  ready: false,
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
  error: null,
};
globalThis.emerge = probe;

// Imported by its served URL, computed so `deno check` does not try to resolve
// a path that exists only on the server (dist/ is built on demand).
const { CancelledError, EmergeClient } = await import(
  new URL("/client/emerge.js", location.href).href
);

let client = null;
/** The current short-lived token, its expiry (ms since the epoch) and its renewal timer. */
let token = null;
let tokenExpiresAt = 0;
let tokenTimer = 0;
let gen = null;
let audio = null;
let audioAt = 0;
/** The latest preview's decoded frames, by index; the loop plays them. */
let frames = [];
let clipSeconds = 2;

function status(text) {
  $("status").textContent = text;
}

// ------------------------------------------------------------------ connection

/**
 * Trades the stored API key (if any) for a short-lived token and schedules its
 * renewal at 80 % of its life, so a long-open page keeps working. Resolves with
 * the token, or undefined when the key is refused.
 */
async function fetchToken() {
  const key = localStorage.getItem(KEY_KEY) ?? "";
  const headers = key ? { authorization: `Bearer ${key}` } : {};
  const res = await fetch("/v1/tokens", { method: "POST", headers });
  if (res.status === 401) return undefined;
  if (!res.ok) throw new Error(`Cannot get a token: HTTP ${res.status}`);
  const body = await res.json();
  token = body.token;
  tokenExpiresAt = body.expires_at * 1000;
  renewToken(Math.max(1000, 0.8 * (tokenExpiresAt - Date.now())));
  return token;
}

/** Fetches a new token after `ms`; a failed try tries again 10 s later. */
function renewToken(ms) {
  clearTimeout(tokenTimer);
  tokenTimer = setTimeout(() => fetchToken().catch(() => renewToken(10_000)), ms);
}

/**
 * The stream URL with a valid token, for EmergeClient to call at every
 * (re)connect; fetches a token first when it has expired (timers sleep with laptops).
 */
async function streamUrl() {
  if (Date.now() >= tokenExpiresAt && (await fetchToken()) === undefined) {
    throw new Error("Cannot get a token: the API key was refused");
  }
  const url = new URL("/v1/stream", location.href);
  url.searchParams.set("token", token);
  return url;
}

async function connect() {
  if ((await fetchToken()) === undefined) {
    $("keybox").open = true;
    status("This server needs an API key: enter it above, then Generate");
    return false;
  }
  client = new EmergeClient(streamUrl, { reconnect: { maxAttempts: 5 } });
  const hello = await client.connect();
  fill($("size"), hello.capabilities.sizes, (s) => s);
  fill($("seconds"), hello.capabilities.durations.map(String), (s) => `${s} s`);
  status(`Connected to ${hello.server}`);
  probe.ready = true;
  return true;
}

function fill(select, values, label) {
  select.replaceChildren(...values.map((v) => new Option(label(v), v)));
}

/** A server URL with the current token, for what a browser fetches without headers. */
function withToken(href) {
  const url = new URL(href, location.href);
  if (token) url.searchParams.set("token", token);
  return url.href;
}

// ------------------------------------------------------------------ generate

async function generate(event) {
  event.preventDefault();
  if (gen) return;
  if ($("apikey").value) localStorage.setItem(KEY_KEY, $("apikey").value);
  if (!client && !(await connect())) return;
  startAudio();
  const params = { prompt: $("prompt").value.trim() };
  if (!params.prompt) return status("Type a prompt first");
  if ($("size").value) params.size = $("size").value;
  if ($("seconds").value) params.seconds = Number($("seconds").value);
  for (const [id, key] of [["seed", "seed"], ["steps", "steps"]]) {
    if ($(id).value !== "") params[key] = Number($(id).value);
  }
  const guidance = {};
  if ($("gv").value !== "") guidance.video = Number($("gv").value);
  if ($("ga").value !== "") guidance.audio = Number($("ga").value);
  if (Object.keys(guidance).length) params.guidance = guidance;
  clipSeconds = params.seconds ?? 2;
  frames = [];
  Object.assign(probe, { state: "running", job: null, steps: 0, lastStep: 0, error: null });
  $("final").hidden = true;
  running(true);
  status("Queued…");
  gen = client.generate(params);
  try {
    for await (const ev of gen) await show(ev);
    const { outputs, id } = await gen.result;
    finished(id, params, outputs);
  } catch (error) {
    const cancelled = error instanceof CancelledError;
    probe.state = cancelled ? "cancelled" : "failed";
    probe.error = cancelled ? null : String(error.message ?? error);
    status(cancelled ? "Cancelled" : `Failed: ${error.message ?? error}`);
  } finally {
    gen = null;
    running(false);
  }
}

async function show(ev) {
  switch (ev.type) {
    case "queued":
      probe.job = ev.job;
      return status(`Queued (position ${ev.position})`);
    case "step":
      probe.steps++;
      probe.lastStep = ev.i;
      probe.sigma = ev.sigma;
      return status(`Step ${ev.i} / ${ev.n} · σ ${ev.sigma.toFixed(3)}`);
    case "steered":
      probe.steered++;
      return status(`Steered to "${ev.steer.prompt ?? ""}"`);
    case "error":
      // A steer the server refused; the generation runs on.
      return status(ev.message);
    case "frame": {
      const bitmap = await ev.bitmap();
      frames.length = ev.header.count;
      frames[ev.header.index] = bitmap;
      probe.frames++;
      return;
    }
    case "audio":
      return playChunk(ev.samples, ev.header.rate);
  }
}

function finished(id, params, outputs) {
  probe.state = "done";
  const video = $("video");
  video.src = withToken(outputs.video);
  $("download").href = withToken(outputs.video);
  $("download").download = `${id}.mp4`;
  $("final").hidden = false;
  status(`Done: ${id}`);
  remember({
    id,
    prompt: params.prompt,
    size: params.size ?? "",
    seconds: clipSeconds,
    at: Date.now(),
    video: outputs.video,
    thumbnail: outputs.thumbnail,
  });
}

function running(on) {
  $("go").disabled = on;
  $("cancel").disabled = !on;
  $("steer").disabled = !on;
  $("steerbtn").disabled = !on;
}

// ------------------------------------------------------------------ canvas loop

/** Plays the latest preview's frames in a loop at the clip's own frame rate. */
function loop(now) {
  const ready = frames.filter(Boolean);
  if (ready.length > 0) {
    const fps = frames.length / clipSeconds;
    const bitmap = frames[Math.floor((now / 1000) * fps) % frames.length] ?? ready[0];
    const canvas = $("canvas");
    if (canvas.width !== bitmap.width || canvas.height !== bitmap.height) {
      canvas.width = bitmap.width;
      canvas.height = bitmap.height;
    }
    canvas.getContext("2d").drawImage(bitmap, 0, 0);
    probe.framesDrawn++;
  }
  requestAnimationFrame(loop);
}

// ------------------------------------------------------------------ audio

/** Created inside a click so autoplay rules let it sound. */
function startAudio() {
  audio ??= new AudioContext();
  if (audio.state === "suspended") audio.resume();
}

/** Schedules a PCM chunk right after the previous one. */
function playChunk(samples, rate) {
  if (!audio || samples.length === 0) return;
  const now = audio.currentTime;
  if (audioAt - now > MAX_AUDIO_LAG_S) return; // a newer preview will come
  const buffer = audio.createBuffer(1, samples.length, rate);
  buffer.copyToChannel(samples, 0);
  const source = audio.createBufferSource();
  source.buffer = buffer;
  source.connect(audio.destination);
  audioAt = Math.max(audioAt, now + 0.05);
  source.start(audioAt);
  audioAt += buffer.duration;
  probe.audioSamples += samples.length;
  probe.audioChunks++;
}

// ------------------------------------------------------------------ history

function history() {
  try {
    return JSON.parse(localStorage.getItem(HISTORY_KEY) ?? "[]");
  } catch {
    return [];
  }
}

function remember(clip) {
  const clips = [clip, ...history().filter((c) => c.id !== clip.id)].slice(0, 50);
  localStorage.setItem(HISTORY_KEY, JSON.stringify(clips));
  renderHistory();
}

function renderHistory() {
  const items = history().map((clip) => {
    const button = document.createElement("button");
    button.type = "button";
    const img = new Image();
    img.alt = "";
    img.src = withToken(clip.thumbnail);
    const text = document.createElement("span");
    text.textContent = `${clip.prompt} · ${clip.size} · ${clip.seconds} s`;
    button.append(img, text);
    button.addEventListener("click", () => {
      $("video").src = withToken(clip.video);
      $("download").href = withToken(clip.video);
      $("download").download = `${clip.id}.mp4`;
      $("final").hidden = false;
      $("video").focus();
    });
    const li = document.createElement("li");
    li.append(button);
    return li;
  });
  $("history").replaceChildren(...items);
}

// ------------------------------------------------------------------ wiring

$("form").addEventListener("submit", generate);
$("prompt").addEventListener("keydown", (e) => {
  // Enter generates, Shift+Enter is a new line: the prompt box is the main control.
  if (e.key === "Enter" && !e.shiftKey) {
    e.preventDefault();
    $("form").requestSubmit();
  }
});
$("cancel").addEventListener("click", () => gen?.cancel());
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && gen) gen.cancel();
});
$("steerform").addEventListener("submit", (e) => {
  e.preventDefault();
  const prompt = $("steer").value.trim();
  if (gen && prompt) gen.steer({ prompt });
});
$("apikey").value = localStorage.getItem(KEY_KEY) ?? "";
renderHistory();
requestAnimationFrame(loop);
connect().catch((error) => status(`Cannot connect: ${error.message}`));
