// While recorded answers are being analysed, asks the server now and then whether they are
// done, and shows the transcripts and feedback once they are: by reloading the page, or, when a
// recording is playing, by offering a button to do so (nothing is interrupted).
(function () {
  "use strict";
  var marker = document.querySelector("[data-analysis-poll]");
  if (!marker || !window.fetch) { return; }
  var url = marker.getAttribute("data-analysis-poll");
  var wait = 2000;

  function playing() {
    var media = document.querySelectorAll("audio, video");
    for (var i = 0; i < media.length; i += 1) {
      if (!media[i].paused && !media[i].ended) { return true; }
    }
    return false;
  }

  function ready() {
    if (!playing()) { window.location.reload(); return; }
    var note = document.createElement("p");
    note.setAttribute("role", "status");
    note.className = "done";
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = "Show the transcript and feedback";
    button.addEventListener("click", function () { window.location.reload(); });
    note.appendChild(document.createTextNode("Your feedback is ready. "));
    note.appendChild(button);
    marker.parentNode.insertBefore(note, marker.nextSibling);
  }

  function poll() {
    window.fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (body && body.pending === 0) { ready(); return; }
        wait = Math.min(wait * 1.5, 15000);
        window.setTimeout(poll, wait);
      })
      .catch(function () {
        wait = Math.min(wait * 2, 30000);
        window.setTimeout(poll, wait);
      });
  }

  window.setTimeout(poll, wait);
})();
