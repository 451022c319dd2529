// "Your clips": the clips this browser finished, newest first, kept in localStorage.

const HISTORY_KEY = "emerge.history";
const MAX_CLIPS = 50;

/** The saved clips; none when the entry is missing or unreadable. */
export function clips() {
  try {
    return JSON.parse(localStorage.getItem(HISTORY_KEY) ?? "[]");
  } catch {
    return [];
  }
}

/** Saves `clip` first (once, by id). */
export function remember(clip) {
  const kept = [clip, ...clips().filter((c) => c.id !== clip.id)].slice(0, MAX_CLIPS);
  localStorage.setItem(HISTORY_KEY, JSON.stringify(kept));
}

/**
 * Shows the clips in `list` as buttons: `thumbnail(clip)` gives an image URL, or
 * null to show none yet; `pick(clip)` plays a clicked one. The prompt shows
 * clamped (style.css), the whole of it in the button's title.
 */
export function renderHistory(list, { thumbnail, pick }) {
  const items = clips().map((clip) => {
    const button = document.createElement("button");
    button.type = "button";
    button.title = clip.prompt;
    const img = new Image();
    img.alt = "";
    const src = thumbnail(clip);
    if (src) img.src = src;
    const text = document.createElement("span");
    text.textContent = clip.prompt;
    const meta = document.createElement("small");
    meta.textContent = `${clip.size} · ${clip.seconds} s`;
    button.append(img, text, meta);
    button.addEventListener("click", () => pick(clip));
    const li = document.createElement("li");
    li.append(button);
    return li;
  });
  list.replaceChildren(...items);
}
