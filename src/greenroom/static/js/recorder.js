// The interview moment on a question page (no inline script: CSP).
//
// 1. The interviewer asks the question aloud (the browser's speech synthesis), with a button to
//    hear it again; the text is always on the page.
// 2. The camera/microphone preview with a level meter, before anything is recorded.
// 3. Optional thinking time with a countdown, then the answer, recorded with MediaRecorder,
//    with a visible timer that stops at the question set's time limit.
// 4. Watch or listen back, then "Submit this answer" (uploaded with fetch) or "Record again".
//
// Where recording is not possible the recorder stays hidden, and typing or uploading an answer
// (plain forms) works as before.
(function () {
  "use strict";

  function $(id) { return document.getElementById(id); }

  function clock(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    var rest = seconds % 60;
    return Math.floor(seconds / 60) + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function remember(name, value) {
    try { window.localStorage.setItem(name, value); } catch (e) { /* private mode */ }
  }

  function recall(name) {
    try { return window.localStorage.getItem(name); } catch (e) { return null; }
  }

  // --- 1. The question, asked aloud ---------------------------------------------------------
  var prompt = $("prompt");
  var ask = $("ask");
  var aloud = $("ask-aloud");
  var synth = window.speechSynthesis;
  var asked = false;

  function askQuestion() {
    if (!synth || !prompt) { return; }
    synth.cancel();
    var utterance = new window.SpeechSynthesisUtterance(prompt.textContent.trim());
    utterance.lang = document.documentElement.lang || "en";
    utterance.rate = 0.95;
    utterance.onstart = function () { asked = true; };
    synth.speak(utterance);
  }

  function stopAsking() {
    if (synth) { synth.cancel(); }
  }

  if (synth && ask && aloud && window.SpeechSynthesisUtterance) {
    ask.hidden = false;
    aloud.checked = recall("greenroom.askAloud") !== "off";
    aloud.addEventListener("change", function () {
      remember("greenroom.askAloud", aloud.checked ? "on" : "off");
      if (!aloud.checked) { stopAsking(); }
    });
    $("ask-again").addEventListener("click", askQuestion);
    // Browsers may refuse to speak before the student has clicked something on this page;
    // then the question is asked at their first click in the recorder (below).
    if (aloud.checked && ask.dataset.autoplay === "1") { askQuestion(); }
  }

  // --- 2-4. The recorder ----------------------------------------------------------------------
  var section = $("recorder");
  if (!section || !window.MediaRecorder || !navigator.mediaDevices ||
      !navigator.mediaDevices.getUserMedia) { return; }
  section.hidden = false;
  // Typing and uploading stay on the page as secondary choices, folded.
  ["by-upload-details", "by-text-details"].forEach(function (id) {
    var details = $(id);
    if (details && !details.dataset.keepOpen) { details.open = false; }
  });

  var limit = parseInt(section.dataset.limit, 10) || 120;
  var status = $("rec-status");
  var stages = ["rec-setup", "rec-monitor", "rec-ready", "rec-thinking", "rec-recording", "rec-review"];
  var mode = $("rec-mode");
  var thinkTime = $("think-time");
  var onButton = $("rec-on");
  var preview = $("rec-preview");
  var meter = $("rec-level");
  var meterText = $("rec-level-text");
  var stream = null;
  var audioContext = null;
  var meterFrame = 0;
  var recorder = null;
  var chunks = [];
  var recorded = null; // {blob, url, seconds, video}
  var timer = 0;
  var startedAt = 0;
  var submitted = false;

  function show() {
    var visible = Array.prototype.slice.call(arguments);
    stages.forEach(function (id) { $(id).hidden = visible.indexOf(id) < 0; });
  }

  function say(text) { status.textContent = text; }

  function wantsVideo() { return mode.value === "video"; }

  mode.value = recall("greenroom.recordMode") === "video" ? "video" : "audio";
  var savedThink = recall("greenroom.thinkTime");
  if (savedThink !== null && thinkTime.querySelector('option[value="' + savedThink + '"]')) {
    thinkTime.value = savedThink;
  }
  function labelOnButton() {
    onButton.textContent = wantsVideo() ? "Turn on the camera and microphone" : "Turn on the microphone";
  }
  labelOnButton();
  mode.addEventListener("change", function () {
    remember("greenroom.recordMode", mode.value);
    labelOnButton();
  });
  thinkTime.addEventListener("change", function () { remember("greenroom.thinkTime", thinkTime.value); });

  // The level meter: loudness of the microphone, a few times a second.
  function startMeter() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { meter.parentNode.hidden = true; return; }
    audioContext = new Context();
    var analyser = audioContext.createAnalyser();
    analyser.fftSize = 1024;
    audioContext.createMediaStreamSource(stream).connect(analyser);
    var samples = new Float32Array(analyser.fftSize);
    var described = "";
    function tick() {
      analyser.getFloatTimeDomainData(samples);
      var sum = 0;
      for (var i = 0; i < samples.length; i += 1) { sum += samples[i] * samples[i]; }
      var level = Math.min(1, Math.sqrt(sum / samples.length) * 5);
      meter.value = level;
      var words = level < 0.08 ? "quiet" : level > 0.85 ? "very loud" : "good";
      if (words !== described) {
        described = words;
        meter.setAttribute("aria-valuetext", words);
        meterText.textContent = words === "quiet" ? "Quiet: speak to check your microphone." :
          words === "good" ? "Good: we can hear you." : "Very loud: move back a little.";
      }
      meterFrame = window.requestAnimationFrame(tick);
    }
    tick();
  }

  function stopStream() {
    if (meterFrame) { window.cancelAnimationFrame(meterFrame); meterFrame = 0; }
    if (audioContext) { audioContext.close(); audioContext = null; }
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); stream = null; }
    preview.srcObject = null;
  }

  function turnOn() {
    if (!asked && aloud && aloud.checked) { askQuestion(); }
    var video = wantsVideo();
    onButton.disabled = true;
    say(video ? "Asking for your camera and microphone…" : "Asking for your microphone…");
    var constraints = { audio: true, video: video ? { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" } : false };
    navigator.mediaDevices.getUserMedia(constraints).then(function (s) {
      stream = s;
      onButton.disabled = false;
      preview.hidden = !video;
      if (video) { preview.srcObject = stream; }
      startMeter();
      show("rec-monitor", "rec-ready");
      say((video ? "Camera and microphone on." : "Microphone on.") +
        " Check the level, then choose Start answering.");
      $("rec-start").focus();
    }).catch(function (err) {
      onButton.disabled = false;
      say("We could not turn on your " + (video ? "camera or microphone" : "microphone") +
        " (" + (err && err.name ? err.name : "error") + "). Allow it in your browser, " +
        "or type or upload your answer below.");
    });
  }

  function settings() {
    stopStream();
    show("rec-setup");
    say("");
    onButton.focus();
  }

  function think() {
    var seconds = parseInt(thinkTime.value, 10) || 0;
    if (!seconds) { record(); return; }
    var until = Date.now() + seconds * 1000;
    var left = $("think-left");
    show("rec-monitor", "rec-thinking");
    say("You have " + clock(seconds) + " to think. Recording starts when it runs out.");
    $("think-skip").focus();
    left.textContent = clock(seconds);
    var announced = false;
    timer = window.setInterval(function () {
      var remaining = (until - Date.now()) / 1000;
      left.textContent = clock(Math.ceil(remaining));
      if (!announced && remaining <= 10 && seconds > 10) {
        announced = true;
        say("10 seconds left to think.");
      }
      if (remaining <= 0) { record(); }
    }, 250);
  }

  function mimeType(video) {
    var types = video ?
      ["video/webm;codecs=vp8,opus", "video/webm", "video/mp4"] :
      ["audio/webm;codecs=opus", "audio/webm", "audio/mp4", "audio/ogg;codecs=opus"];
    for (var i = 0; i < types.length; i += 1) {
      if (window.MediaRecorder.isTypeSupported && window.MediaRecorder.isTypeSupported(types[i])) {
        return types[i];
      }
    }
    return "";
  }

  function record() {
    window.clearInterval(timer);
    stopAsking();
    if (!stream) { settings(); return; }
    var video = stream.getVideoTracks().length > 0;
    var type = mimeType(video);
    chunks = [];
    try {
      recorder = type ? new window.MediaRecorder(stream, { mimeType: type }) : new window.MediaRecorder(stream);
    } catch (e) {
      say("Recording is not possible in this browser. Type or upload your answer below.");
      return;
    }
    recorder.ondataavailable = function (e) { if (e.data && e.data.size) { chunks.push(e.data); } };
    recorder.onstop = function () { finished(video); };
    recorder.start(250);
    startedAt = Date.now();
    var elapsed = $("rec-elapsed");
    var bar = $("rec-time");
    elapsed.textContent = "0:00";
    bar.value = 0;
    show("rec-monitor", "rec-recording");
    say("Recording. You have " + clock(limit) + ". Choose Stop recording when you have finished.");
    $("rec-stop").focus();
    var warned = false;
    timer = window.setInterval(function () {
      var seconds = (Date.now() - startedAt) / 1000;
      elapsed.textContent = clock(Math.floor(seconds));
      bar.value = Math.min(limit, seconds);
      if (!warned && limit >= 60 && limit - seconds <= 30) {
        warned = true;
        say("30 seconds left.");
      }
      if (seconds >= limit) { stop(true); }
    }, 250);
  }

  function stop(timeUp) {
    window.clearInterval(timer);
    if (!recorder || recorder.state === "inactive") { return; }
    recorder.timeUp = timeUp === true;
    recorder.stop();
  }

  function finished(video) {
    var seconds = (Date.now() - startedAt) / 1000;
    var type = recorder.mimeType || (video ? "video/webm" : "audio/webm");
    if (recorded) { window.URL.revokeObjectURL(recorded.url); }
    var blob = new window.Blob(chunks, { type: type });
    recorded = { blob: blob, url: window.URL.createObjectURL(blob), seconds: seconds, video: video };
    var player = video ? $("rec-playback-video") : $("rec-playback-audio");
    $("rec-playback-video").hidden = !video;
    $("rec-playback-audio").hidden = video;
    player.src = recorded.url;
    $("rec-review-heading").textContent = video ? "Watch your answer back" : "Listen to your answer";
    $("rec-length").textContent = "Length: " + clock(seconds) + (recorder.timeUp ? " (the time limit)" : "") + ".";
    show("rec-review");
    say((recorder.timeUp ? "Time is up. " : "Recording stopped. ") +
      (video ? "Watch" : "Listen to") + " your answer, then submit it or record it again.");
    $("rec-review-heading").focus();
  }

  function again() {
    [$("rec-playback-video"), $("rec-playback-audio")].forEach(function (player) { player.pause(); });
    if (recorded) { window.URL.revokeObjectURL(recorded.url); recorded = null; }
    if (!stream) { settings(); return; }
    show("rec-monitor", "rec-ready");
    say("Ready to record again.");
    $("rec-start").focus();
  }

  function submit() {
    if (!recorded) { return; }
    var submitButton = $("rec-submit");
    var againButton = $("rec-again");
    submitButton.disabled = true;
    againButton.disabled = true;
    say("Sending your answer…");
    var extension = recorded.blob.type.indexOf("mp4") >= 0 ? "mp4" :
      recorded.blob.type.indexOf("ogg") >= 0 ? "ogg" : "webm";
    var form = new window.FormData();
    form.append("rating", $("rating-rec").value);
    if (section.dataset.replace === "1") { form.append("replace", "1"); }
    form.append("media", recorded.blob, "answer." + extension);
    window.fetch(section.dataset.upload, {
      method: "POST",
      body: form,
      credentials: "same-origin",
      headers: { "x-csrftoken": section.dataset.csrf, "accept": "application/json" }
    }).then(function (response) {
      if (response.ok) {
        submitted = true;
        stopStream();
        window.location.assign(response.url);
        return null;
      }
      return response.json().catch(function () { return {}; }).then(function (problem) {
        submitButton.disabled = false;
        againButton.disabled = false;
        say("Your answer was not saved: " + (problem.detail || ("error " + response.status)) +
          " Submit it again, record it again, or upload a file below.");
      });
    }).catch(function () {
      submitButton.disabled = false;
      againButton.disabled = false;
      say("Your answer was not sent: check your connection and submit it again.");
    });
  }

  onButton.addEventListener("click", turnOn);
  $("rec-settings").addEventListener("click", settings);
  $("rec-start").addEventListener("click", think);
  $("think-skip").addEventListener("click", record);
  $("rec-stop").addEventListener("click", function () { stop(false); });
  $("rec-again").addEventListener("click", again);
  $("rec-submit").addEventListener("click", submit);
  window.addEventListener("beforeunload", function (event) {
    if (recorded && !submitted) { event.preventDefault(); event.returnValue = ""; }
  });
  window.addEventListener("pagehide", stopStream);
})();
