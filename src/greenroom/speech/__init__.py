"""Speech analysis: recordings in, transcript and spoken-answer feedback out.

Self-contained and offline (nothing is downloaded at run time):

- `media`: probe an upload, refuse what is not audio/video, remux browser recordings so they
  have a duration and seek, decode any recording's audio to 16 kHz mono 16-bit PCM (PyAV).
- `engines`: the transcription interface, the engine registry and the PocketSphinx engine.
- `vad`: voice activity from the audio: speaking time and long pauses (WebRTC VAD).
- `feedback`: feedback for spoken and typed answers (pace, fillers, pauses, STAR, tips).

All of it is blocking CPU work: call it from a worker, or off the event loop.
"""
