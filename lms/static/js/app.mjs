// Progressive enhancement only: every page works without this file.
import { initAll } from "/vendor/nhsuk/nhsuk-frontend.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();

// An assignment's live word count; the saved count shown by the server stays the one that counts.
for (const box of document.querySelectorAll("textarea[data-word-count]")) {
  const out = document.getElementById(box.dataset.wordCount);
  const limit = Number(box.dataset.wordLimit) || 0;
  let timer;
  box.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {  // announced after a pause, not on every key
      const words = box.value.trim() ? box.value.trim().split(/\s+/).length : 0;
      const over = limit && words > limit ? `, ${words - limit} over the limit` : "";
      out.textContent = `${words} word${words === 1 ? "" : "s"} typed${over} (not saved yet).`;
    }, 800);
  });
}
