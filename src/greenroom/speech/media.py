"""Recordings as media files, with PyAV (FFmpeg's libraries, shipped in its wheel).

- `probe`: is this decodable audio/video? (`MediaRefused` with a message for a person if not)
- `remux`: rewrite a recording so that it has a duration and seeks. Browsers' MediaRecorder
  writes WebM as a live stream: no duration, no cues (players show 0:00 and no seek bar).
  Copying the packets into a new file, which FFmpeg can seek back into, fixes both without
  re-encoding; only codecs that the target container cannot hold are re-encoded.
- `decode_pcm`: any recording's audio as 16 kHz mono signed 16-bit little-endian PCM, the
  input of the transcription engines and of voice activity detection.

Everything works on paths and streams packet by packet: a video is never read whole into
memory (the decoded PCM of the sound is: 32 kB a second, 3.8 MB for two minutes).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import av
import av.error
from av.audio.stream import AudioStream
from av.container import InputContainer, OutputContainer
from av.packet import Packet
from av.video.stream import VideoStream

from greenroom.core.errors import UnsupportedMediaType

SAMPLE_RATE = 16_000  # what every engine and the VAD take: 16 kHz, mono, s16le
BYTES_PER_SECOND = SAMPLE_RATE * 2

# Codecs each target container holds (and browsers play from it). MediaRecorder writes
# VP8/VP9/AV1 + Opus in WebM (Chrome, Firefox) or H.264 + AAC/Opus in MP4 (Safari; Chrome
# can also write H.264 in Matroska, which becomes MP4 here).
_WEBM_AUDIO = frozenset({"opus", "vorbis"})
_WEBM_VIDEO = frozenset({"vp8", "vp9", "av1"})
_MP4_AUDIO = frozenset({"aac", "mp3", "opus", "flac", "alac"})
_MP4_VIDEO = frozenset({"h264", "hevc", "av1", "vp9"})
# Demuxers for pictures and text: FFmpeg opens them as one-frame "video", not a recording.
_NOT_RECORDINGS = frozenset({"image2", "gif", "apng", "tty", "ico", "webp"})
_PROBE_PACKETS = 500  # packets read looking for a first decodable frame

Container = Literal["webm", "mp4"]


class MediaRefused(UnsupportedMediaType):
    """The file is not a recording we can use; `detail` says why, for the person uploading."""

    code = "media_not_decodable"
    default_detail = "This file is not an audio or video recording we can play."


@dataclass(frozen=True, slots=True)
class MediaInfo:
    format: str  # FFmpeg's demuxer name, e.g. "matroska,webm", "mov,mp4,m4a,3gp,3g2,mj2"
    duration: float | None  # seconds; None when the file does not say (live WebM)
    audio_codec: str | None
    video_codec: str | None

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None

    @property
    def has_video(self) -> bool:
        return self.video_codec is not None


@dataclass(frozen=True, slots=True)
class Remuxed:
    path: Path
    container: Container
    content_type: str  # e.g. "video/webm", "audio/mp4"
    duration: float  # seconds, from the new file
    reencoded: tuple[str, ...]  # the kinds of stream that had to be re-encoded ("audio", "video")


def _open(path: Path) -> InputContainer:
    try:
        return av.open(str(path), "r", metadata_errors="ignore")
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise MediaRefused(
            "This file is not an audio or video recording we can play. "
            "Record again, or upload a video or audio file (WebM, MP4, MP3, WAV, ...)."
        ) from exc


def _streams(container: InputContainer) -> tuple[AudioStream | None, VideoStream | None]:
    audio = container.streams.audio[0] if container.streams.audio else None
    video = container.streams.video[0] if container.streams.video else None
    return audio, video


def _codec(stream: AudioStream | VideoStream) -> str:
    """The codec's family name ("mp3", "opus"), not the decoder's ("mp3float", "libopus")."""
    return stream.codec_context.codec.canonical_name


def _duration(container: InputContainer) -> float | None:
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    best: float | None = None
    for stream in container.streams:
        if stream.duration and stream.time_base:
            seconds = float(stream.duration * stream.time_base)
            best = seconds if best is None else max(best, seconds)
    return best


def _info(container: InputContainer) -> MediaInfo:
    audio, video = _streams(container)
    return MediaInfo(
        format=container.format.name,
        duration=_duration(container),
        audio_codec=_codec(audio) if audio else None,
        video_codec=_codec(video) if video else None,
    )


def probe(path: Path) -> MediaInfo:
    """What `path` holds, after checking that it is a recording whose first frame decodes.

    Raises `MediaRefused` (with a message for the person uploading) for anything else: text,
    pictures, empty or truncated files, unknown formats.
    """
    with _open(path) as container:
        fmt = container.format.name
        if fmt in _NOT_RECORDINGS or fmt.endswith("_pipe"):
            raise MediaRefused(
                "This file is a picture or a document, not a recording. "
                "Upload a video or audio file of your answer."
            )
        audio, video = _streams(container)
        stream = audio or video
        if stream is None:
            raise MediaRefused(
                "This file has no sound or picture in it, so there is nothing to play."
            )
        info = _info(container)
        try:
            for count, packet in enumerate(container.demux(stream)):
                if count >= _PROBE_PACKETS:
                    break
                if packet.dts is None:
                    continue
                if packet.decode():
                    return info
        except av.error.FFmpegError as exc:
            raise MediaRefused(
                "This recording is damaged and cannot be played. Please record it again."
            ) from exc
    raise MediaRefused(
        "This recording has nothing in it that can be played. Please record it again."
    )


def _target(audio: str | None, video: str | None) -> Container:
    """The container a browser plays this from, copying as much as it can.

    The video decides (re-encoding it is what costs): VP8/VP9/AV1 go to WebM, H.264/HEVC to
    MP4, anything else is re-encoded to VP8 in WebM. Sound only: WebM for Opus/Vorbis, MP4 for
    AAC/MP3/FLAC/ALAC, anything else (PCM from a WAV, ...) is re-encoded to Opus in WebM.
    """
    if video is not None:
        if video in _WEBM_VIDEO and (audio is None or audio in _WEBM_AUDIO):
            return "webm"
        if video in _MP4_VIDEO:
            return "mp4"
        return "webm"
    if audio in _MP4_AUDIO and audio not in _WEBM_AUDIO:
        return "mp4"
    return "webm"


def remux(src: Path, dst: Path) -> Remuxed:
    """Rewrite `src` into a WebM or MP4 at `dst` (suffix replaced by ".webm"/".mp4").

    Streams the target container can hold are copied packet by packet (no re-encoding); the
    first audio and first video stream are kept, others (data, subtitles) are dropped. The
    new file has a duration and an index (WebM cues; MP4's index at the front, for playing
    while downloading). Raises `MediaRefused` when `src` is not a usable recording.
    """
    probe(src)
    with _open(src) as source:
        audio, video = _streams(source)
        target = _target(
            _codec(audio) if audio else None,
            _codec(video) if video else None,
        )
        out_path = dst.with_suffix("." + target)
        options = {"movflags": "+faststart"} if target == "mp4" else {}
        reencoded: list[str] = []
        try:
            with av.open(str(out_path), "w", format=target, options=options) as out:
                pipes: list[_Pipe] = []
                for stream in (video, audio):
                    if stream is None:
                        continue
                    if _fits(target, stream):
                        pipes.append(_Copy(out, stream))
                    else:
                        reencoded.append(stream.type)
                        pipes.append(_transcoder(out, stream, target))
                by_index = {pipe.source.index: pipe for pipe in pipes}
                for packet in source.demux([pipe.source for pipe in pipes]):
                    pipe = by_index[packet.stream.index]
                    pipe.put(packet)
                for pipe in pipes:
                    pipe.flush()
        except av.error.FFmpegError as exc:
            out_path.unlink(missing_ok=True)
            raise MediaRefused(
                "This recording is damaged and cannot be played. Please record it again."
            ) from exc
    with _open(out_path) as written:
        duration = _duration(written)
        kind = "video" if written.streams.video else "audio"
    if duration is None:  # pragma: no cover - both muxers write one to a seekable file
        raise MediaRefused("This recording has no length we can measure. Please record it again.")
    return Remuxed(
        path=out_path,
        container=target,
        content_type=f"{kind}/{target}",
        duration=duration,
        reencoded=tuple(reencoded),
    )


def _fits(target: Container, stream: AudioStream | VideoStream) -> bool:
    name = _codec(stream)
    if stream.type == "audio":
        return name in (_WEBM_AUDIO if target == "webm" else _MP4_AUDIO)
    return name in (_WEBM_VIDEO if target == "webm" else _MP4_VIDEO)


class _Pipe:
    source: AudioStream | VideoStream

    def put(self, packet: Packet[Any]) -> None:
        raise NotImplementedError

    def flush(self) -> None:
        raise NotImplementedError


class _Copy(_Pipe):
    """Packets as they are: no decoding, no re-encoding."""

    def __init__(self, out: OutputContainer, source: AudioStream | VideoStream) -> None:
        self.source = source
        self.out = out
        self.stream = out.add_stream_from_template(source)

    def put(self, packet: Packet[Any]) -> None:
        if packet.dts is None:  # the demuxer's empty flush packet
            return
        packet.stream = self.stream
        self.out.mux(packet)

    def flush(self) -> None:
        return None


class _AudioTranscoder(_Pipe):
    def __init__(self, out: OutputContainer, source: AudioStream, target: Container) -> None:
        self.source = self.audio = source
        self.out = out
        channels = min(source.codec_context.channels or 1, 2)
        layout = "stereo" if channels == 2 else "mono"
        if target == "webm":
            rate, fmt = 48_000, "s16"
            self.stream = out.add_stream("libopus", rate=rate)
        else:
            rate, fmt = source.codec_context.sample_rate or 48_000, "fltp"
            self.stream = out.add_stream("aac", rate=rate)
        self.stream.layout = layout
        self.resampler = av.AudioResampler(format=fmt, layout=layout, rate=rate)
        self.samples = 0

    def _encode(self, frames: list[av.AudioFrame]) -> None:
        for frame in frames:
            frame.pts = self.samples
            frame.time_base = Fraction(1, frame.sample_rate)
            self.samples += frame.samples
            self.out.mux(self.stream.encode(frame))

    def put(self, packet: Packet[Any]) -> None:
        for frame in self.audio.decode(packet):
            self._encode(self.resampler.resample(frame))

    def flush(self) -> None:
        self._encode(self.resampler.resample(None))
        self.out.mux(self.stream.encode(None))


class _VideoTranscoder(_Pipe):
    """Rare (browsers record VP8/VP9/AV1/H.264): other codecs become VP8, fast settings."""

    def __init__(self, out: OutputContainer, source: VideoStream) -> None:
        self.source = self.video = source
        self.out = out
        rate = source.average_rate or Fraction(30)
        self.stream = out.add_stream(
            "libvpx", rate=rate, options={"deadline": "realtime", "cpu-used": "8"}
        )
        self.stream.width = source.codec_context.width
        self.stream.height = source.codec_context.height
        self.stream.pix_fmt = "yuv420p"
        self.stream.bit_rate = 1_000_000
        self.time_base = source.time_base

    def put(self, packet: Packet[Any]) -> None:
        for frame in self.video.decode(packet):
            image = frame.reformat(format="yuv420p")
            image.pts = frame.pts
            image.time_base = self.time_base
            self.out.mux(self.stream.encode(image))

    def flush(self) -> None:
        self.out.mux(self.stream.encode(None))


def _transcoder(
    out: OutputContainer, source: AudioStream | VideoStream, target: Container
) -> _Pipe:
    if isinstance(source, AudioStream):
        return _AudioTranscoder(out, source, target)
    return _VideoTranscoder(out, source)


def decode_pcm(path: Path, *, max_seconds: float | None = None) -> bytes:
    """The first audio stream of `path` as 16 kHz mono s16le PCM (up to `max_seconds`).

    Any format FFmpeg reads (WebM with or without a duration, MP4, WAV, ...); video packets
    are skipped without being decoded. A damaged packet is skipped, so a recording cut short
    still gives what it has. Raises `MediaRefused` for a file with no sound.
    """
    limit = None if max_seconds is None else int(max_seconds * SAMPLE_RATE) * 2
    pcm = bytearray()
    with _open(path) as container:
        audio, _ = _streams(container)
        if audio is None:
            raise MediaRefused(
                "This recording has no sound, so we could not listen to your answer."
            )
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        decoded_any = False

        def add(frames: list[av.AudioFrame]) -> None:
            for frame in frames:
                pcm.extend(bytes(frame.planes[0])[: frame.samples * 2])

        for packet in container.demux(audio):
            try:
                frames = packet.decode()
            except av.error.InvalidDataError:
                continue
            for frame in frames:
                decoded_any = True
                add(resampler.resample(frame))
            if limit is not None and len(pcm) >= limit:
                break
        else:
            add(resampler.resample(None))
    if not decoded_any:
        raise MediaRefused("This recording's sound could not be decoded. Please record it again.")
    return bytes(pcm if limit is None else pcm[:limit])
