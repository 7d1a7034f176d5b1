"""Probing, remuxing and decoding recordings (no festival needed: the audio is made here)."""

from __future__ import annotations

import array
import itertools
import math
import struct
import wave
import zlib
from fractions import Fraction
from pathlib import Path

import av
import pytest

from greenroom.speech import media, testing

CUES = b"\x1c\x53\xbb\x6b"  # the Matroska element that lets a player seek


def tone_wav(path: Path, seconds: float, *, rate: int = 48_000, channels: int = 2) -> Path:
    """A 440 Hz tone (as 16-bit PCM in a WAV)."""
    samples = array.array("h")
    for i in range(int(seconds * rate)):
        value = int(8000 * math.sin(2 * math.pi * 440 * i / rate))
        samples.extend([value] * channels)
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(samples.tobytes())
    return path


def png(path: Path) -> Path:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\x80\x80\x80" * 8 for _ in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return path


def h264_in_matroska(path: Path, seconds: float) -> Path:
    """What Chrome writes for video/x-matroska;codecs=avc1: H.264 + Opus, live (no duration)."""
    with av.open(str(path), "w", format="matroska", options={"live": "1"}) as out:
        video = out.add_stream("libx264", rate=15, options={"preset": "ultrafast"})
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        audio = out.add_stream("libopus", rate=48_000)
        audio.layout = "mono"
        for index in range(int(seconds * 15)):
            image = av.VideoFrame(64, 48, "yuv420p")
            image.pts, image.time_base = index, Fraction(1, 15)
            out.mux(video.encode(image))
        out.mux(video.encode(None))
        silence = bytes(960 * 2)
        for index in range(int(seconds * 50)):
            frame = av.AudioFrame(format="s16", layout="mono", samples=960)
            frame.planes[0].update(silence)
            frame.sample_rate, frame.pts = 48_000, index * 960
            frame.time_base = Fraction(1, 48_000)
            out.mux(audio.encode(frame))
        out.mux(audio.encode(None))
    return path


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("notes.txt", b"My answer: I would like to help.\n", "not an audio or video recording"),
        ("answer.webm", b"this is text with a video name\n", "not an audio or video recording"),
        ("random.webm", bytes(range(256)) * 40, "not an audio or video recording"),
        ("empty.webm", b"", "not an audio or video recording"),
    ],
)
def test_what_is_not_audio_or_video_is_refused_with_a_message(
    tmp_path: Path, name: str, content: bytes, says: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(media.MediaRefused) as refused:
        media.probe(path)
    assert says in refused.value.detail
    assert refused.value.status == 415 and refused.value.code == "media_not_decodable"
    with pytest.raises(media.MediaRefused):
        media.remux(path, tmp_path / "out")
    with pytest.raises(media.MediaRefused):
        media.decode_pcm(path)
    assert not list(tmp_path.glob("out*"))


def test_a_picture_is_refused_although_ffmpeg_opens_it(tmp_path: Path) -> None:
    path = png(tmp_path / "photo.webm")
    assert av.open(str(path)).streams.video  # FFmpeg sees a one-frame "video"
    with pytest.raises(media.MediaRefused, match="picture or a document"):
        media.probe(path)


def test_a_cut_off_recording_is_refused(tmp_path: Path) -> None:
    whole = testing.to_live_webm(tone_wav(tmp_path / "t.wav", 1.0), tmp_path / "whole.webm")
    cut = tmp_path / "cut.webm"
    cut.write_bytes(whole.read_bytes()[:200])  # the header and nothing to play
    with pytest.raises(media.MediaRefused):
        media.probe(cut)


def test_media_recorder_webm_gets_a_duration_and_cues_without_reencoding(
    tmp_path: Path,
) -> None:
    live = testing.to_live_webm(
        tone_wav(tmp_path / "t.wav", 3.0), tmp_path / "rec.webm", video=True
    )
    before = media.probe(live)
    assert before.duration is None  # what the browser uploads: players show 0:00, no seek bar
    with av.open(str(live)) as container:
        assert container.duration is None
        packets_before = sum(1 for p in container.demux() if p.dts is not None)
    assert CUES not in live.read_bytes()

    out = media.remux(live, tmp_path / "answer")
    assert out.path == tmp_path / "answer.webm"
    assert (out.container, out.content_type, out.reencoded) == ("webm", "video/webm", ())
    assert out.duration == pytest.approx(3.0, abs=0.05)
    after = media.probe(out.path)
    assert after.duration == pytest.approx(3.0, abs=0.05)
    assert (after.audio_codec, after.video_codec) == ("opus", "vp8")
    assert CUES in out.path.read_bytes()
    with av.open(str(out.path)) as container:
        assert container.duration is not None
        assert sum(1 for p in container.demux() if p.dts is not None) == packets_before
        # It seeks: the first audio frame after seeking to 2 s is at about 2 s.
        stream = container.streams.audio[0]
        assert stream.time_base is not None
        container.seek(int(2.0 / stream.time_base), stream=stream)
        frame = next(container.decode(stream))
        assert frame.time is not None and 1.5 <= frame.time <= 2.1


def test_h264_from_chrome_goes_to_mp4_with_its_index_first(tmp_path: Path) -> None:
    source = h264_in_matroska(tmp_path / "rec.mkv", 2.0)
    assert media.probe(source).duration is None
    out = media.remux(source, tmp_path / "answer")
    assert (out.container, out.content_type, out.reencoded) == ("mp4", "video/mp4", ())
    assert out.duration == pytest.approx(2.0, abs=0.1)
    data = out.path.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # plays while it downloads


def test_other_sound_is_reencoded_to_opus(tmp_path: Path) -> None:
    out = media.remux(tone_wav(tmp_path / "answer.wav", 1.5), tmp_path / "answer")
    assert (out.path.name, out.content_type, out.reencoded) == (
        "answer.webm",
        "audio/webm",
        ("audio",),
    )
    assert out.duration == pytest.approx(1.5, abs=0.05)
    assert media.probe(out.path).audio_codec == "opus"


def test_decoding_gives_16_khz_mono_16_bit_pcm(tmp_path: Path) -> None:
    live = testing.to_live_webm(
        tone_wav(tmp_path / "t.wav", 2.0), tmp_path / "rec.webm", video=True
    )
    pcm = media.decode_pcm(live)  # 48 kHz stereo Opus, no duration in the file
    assert len(pcm) % 2 == 0
    assert len(pcm) / media.BYTES_PER_SECOND == pytest.approx(2.0, abs=0.03)
    samples = array.array("h", pcm)[1600:-1600]  # away from the codec's ramp at each end
    crossings = sum(1 for a, b in itertools.pairwise(samples) if a < 0 <= b)
    assert crossings / (len(samples) / media.SAMPLE_RATE) == pytest.approx(440, rel=0.02)
    assert len(media.decode_pcm(live, max_seconds=0.5)) == media.BYTES_PER_SECOND // 2


def test_a_video_without_sound_cannot_be_listened_to(tmp_path: Path) -> None:
    path = tmp_path / "silent.webm"
    with av.open(str(path), "w", format="webm") as out:
        video = out.add_stream("libvpx", rate=15)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        for index in range(15):
            image = av.VideoFrame(64, 48, "yuv420p")
            image.pts, image.time_base = index, Fraction(1, 15)
            out.mux(video.encode(image))
        out.mux(video.encode(None))
    assert media.probe(path).has_video and not media.probe(path).has_audio
    with pytest.raises(media.MediaRefused, match="no sound"):
        media.decode_pcm(path)
