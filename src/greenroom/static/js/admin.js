// The admin area's only script (no inline scripts: the CSP forbids them).
"use strict";

// Copy buttons: <button data-copy="ID"> copies the text of element ID.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  const text = source.textContent.trim();
  try {
    await navigator.clipboard.writeText(text);
  } catch (_err) {
    // Clipboard API refused (e.g. not a secure context): select the text for Ctrl+C instead.
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  const note = button.parentElement.querySelector(".copied");
  if (note) note.hidden = false;
});

// Import progress: an element with data-import-status="URL" is refreshed from that JSON URL.
function pollImport(box) {
  const url = box.dataset.importStatus;
  const bar = box.querySelector("progress");
  const label = box.querySelector("[data-import-label]");
  const tick = async () => {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const job = await response.json();
    if (bar) { bar.max = job.total || 1; bar.value = job.processed; }
    if (label) label.textContent = `${job.processed} of ${job.total} rows`;
    if (job.status === "done" || job.status === "failed") {
      window.location.reload();
      return;
    }
    window.setTimeout(tick, 500);
  };
  tick();
}
document.querySelectorAll("[data-import-status]").forEach(pollImport);
