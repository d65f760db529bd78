// The course source editor, progressively enhanced: every page works without this file.
// 1. While typing pauses, the lesson preview is fetched for the chosen track (nothing is saved).
// 2. A link to a line (#L13) puts the cursor on that line of the text area.

const PAUSE_MS = 700;
const text = document.getElementById("text");

function lineOffset(value, line) {
  let offset = 0;
  for (let n = 1; n < line; n += 1) {
    const next = value.indexOf("\n", offset);
    if (next === -1) return value.length;
    offset = next + 1;
  }
  return offset;
}

function focusLine() {
  const match = /^#L(\d+)$/.exec(window.location.hash);
  if (!text || !match) return;
  const line = Number(match[1]);
  const start = lineOffset(text.value, line);
  const end = text.value.indexOf("\n", start);
  text.focus();
  text.setSelectionRange(start, end === -1 ? text.value.length : end);
  const lineHeight = parseFloat(getComputedStyle(text).lineHeight) || 20;
  text.scrollTop = Math.max(0, (line - 3) * lineHeight);
}

function livePreview() {
  const url = text && text.dataset.previewUrl;
  const region = document.getElementById("live-preview");
  const track = document.getElementById("track");
  if (!url || !region) return;
  region.hidden = false;
  document.querySelectorAll(".app-live-only").forEach((element) => { element.hidden = false; });
  let timer = null;
  let controller = null;
  const refresh = async () => {
    if (controller) controller.abort();
    controller = new AbortController();
    const body = new FormData(text.form);
    body.set("track", track ? track.value : "");
    try {
      const response = await fetch(url, { method: "POST", body, signal: controller.signal,
        headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" });
      if (response.ok) region.innerHTML = await response.text();  // sanitised by the compiler
    } catch (error) {
      if (error.name !== "AbortError") region.textContent = "The preview could not be refreshed.";
    }
  };
  const later = () => { clearTimeout(timer); timer = setTimeout(refresh, PAUSE_MS); };
  text.addEventListener("input", later);
  if (track) track.addEventListener("change", refresh);
  refresh();
}

focusLine();
window.addEventListener("hashchange", focusLine);
livePreview();
