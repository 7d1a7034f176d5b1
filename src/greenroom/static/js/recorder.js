// Records an answer in the browser with MediaRecorder and uploads it with fetch.
// The section stays hidden where recording is not possible; the upload form still works.
(function () {
  "use strict";
  var section = document.getElementById("recorder");
  if (!section || !window.MediaRecorder || !navigator.mediaDevices) { return; }
  section.hidden = false;
  var startBtn = document.getElementById("rec-start");
  var stopBtn = document.getElementById("rec-stop");
  var status = document.getElementById("rec-status");
  var recorder = null;
  var chunks = [];
  var stream = null;

  startBtn.addEventListener("click", function () {
    var video = document.getElementById("rec-mode").value === "video";
    navigator.mediaDevices.getUserMedia({ audio: true, video: video }).then(function (s) {
      stream = s;
      chunks = [];
      recorder = new MediaRecorder(s);
      recorder.ondataavailable = function (e) { if (e.data.size) { chunks.push(e.data); } };
      recorder.onstop = upload;
      recorder.start(250);
      startBtn.disabled = true;
      stopBtn.disabled = false;
      status.textContent = "Recording…";
    }).catch(function (err) {
      status.textContent = "Could not start recording: " + err.message;
    });
  });

  stopBtn.addEventListener("click", function () {
    stopBtn.disabled = true;
    if (recorder) { recorder.stop(); }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
  });

  function upload() {
    status.textContent = "Uploading…";
    var type = recorder.mimeType || "video/webm";
    var form = new FormData();
    form.append("rating", document.getElementById("rating-rec").value);
    form.append("media", new Blob(chunks, { type: type }), "recording.webm");
    fetch(section.dataset.upload, {
      method: "POST",
      body: form,
      credentials: "same-origin",
      headers: { "x-csrftoken": section.dataset.csrf }
    }).then(function (response) {
      if (response.ok) {
        window.location.assign(response.url);
      } else {
        status.textContent = "Upload failed (" + response.status + "). Try again or upload a file.";
        startBtn.disabled = false;
      }
    }).catch(function () {
      status.textContent = "Upload failed. Check your connection and try again.";
      startBtn.disabled = false;
    });
  }
})();
