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
// It keeps polling through errors (a busy or restarting server), waiting twice as long after
// each failed poll (up to 30 s), and says so in [data-import-problem]; the import itself goes on
// in the background whatever the page sees. A signed-out session or a vanished import ends it.
const POLL_MS = 500;
const MAX_POLL_MS = 30000;

function pollImport(box) {
  const url = box.dataset.importStatus;
  const bar = box.querySelector("progress");
  const label = box.querySelector("[data-import-label]");
  const notice = box.querySelector("[data-import-problem]");
  let wait = POLL_MS;
  const show = (text) => {
    if (!notice) return;
    notice.textContent = text || "";
    notice.hidden = !text;
  };
  const tick = async () => {
    let job = null;
    let problem = "";
    try {
      const response = await fetch(url, {
        headers: { Accept: "application/json" },
        cache: "no-store",
        redirect: "manual",
      });
      if (response.type === "opaqueredirect" || [401, 403, 404].includes(response.status)) {
        show("Progress can no longer be shown here (signed out?). Reload the page.");
        return;
      }
      if (response.ok) {
        job = await response.json();
      } else {
        problem = `The server answered ${response.status} while we checked on the import.`;
      }
    } catch (_err) {
      problem = "The server could not be reached while we checked on the import.";
    }
    if (job === null) {
      wait = Math.min(wait * 2, MAX_POLL_MS);
      show(`${problem} The import goes on; checking again in ${Math.round(wait / 1000)} s.`);
      window.setTimeout(tick, wait);
      return;
    }
    wait = POLL_MS;
    show(job.problem || "");
    if (bar) { bar.max = job.total || 1; bar.value = job.processed; }
    if (label) label.textContent = `${job.processed} of ${job.total} rows`;
    if (job.status === "done" || job.status === "failed") {
      window.location.reload();
      return;
    }
    window.setTimeout(tick, wait);
  };
  tick();
}
document.querySelectorAll("[data-import-status]").forEach(pollImport);
