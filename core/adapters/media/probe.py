"""Probe and validate audio/video by content with PyAV, behind an allow-list.

Every file is sniffed first (see sniff.py); PyAV then opens it through a Python file
object with the demuxer forced, so neither the file name nor libavformat's format
guessing decides anything, and no protocol can be opened from inside the file.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
from av.stream import Disposition

from core.adapters.media.files import format_mb, format_seconds
from core.adapters.media.sniff import Sniffed, sniff
from core.domain.media import MediaInfo
from core.errors import MediaRejected

logger = logging.getLogger(__name__)

NOT_MEDIA = "This file is not an audio or video file we can read."
NOT_RECORDING = "Please upload an MP3 or WAV recording; this file is not one."

MAX_STREAMS = 8
MAX_VIDEO_SIDE = 4096
_FIRST_FRAME_PACKETS = 400
# Nested opens (playlists, references) get no protocol at all.
_DEMUX_OPTIONS = {"protocol_whitelist": "none"}

_PCM = {"pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le", "pcm_f64le", "pcm_u8", "pcm_s16be"}
_AUDIO_CODECS: dict[str, set[str]] = {
    "mp3": {"mp3"},
    "wav": _PCM,
    "aac": {"aac"},
    "m4a": {"aac", "mp3"},
    "ogg": {"opus", "vorbis"},
    "mp4": {"aac", "mp3", "opus"},
    "mov": {"aac", "mp3", "opus", "pcm_s16le"},
    "webm": {"opus", "vorbis"},
}
_VIDEO_CODECS: dict[str, set[str]] = {
    "mp4": {"h264", "hevc", "vp9", "av1"},
    "mov": {"h264", "hevc", "vp9", "av1"},
    "webm": {"vp9", "av1"},
}


def require_sniff(path: Path) -> Sniffed:
    try:
        sniffed = sniff(path)
    except OSError as exc:
        raise MediaRejected("We could not read this file.") from exc
    if sniffed is None:
        raise MediaRejected(NOT_MEDIA)
    return sniffed


@contextmanager
def open_container(path: Path, sniffed: Sniffed) -> Iterator[av.container.InputContainer]:
    with open(path, "rb") as fh:
        container = av.open(fh, mode="r", format=sniffed.demuxer, options=_DEMUX_OPTIONS, metadata_errors="ignore")
        try:
            yield container
        finally:
            container.close()


def probe_media(path: Path) -> MediaInfo:
    """What the file is, by content. Anything unreadable or off the allow-list is rejected."""
    sniffed = require_sniff(path)
    try:
        with open_container(path, sniffed) as container:
            return _inspect(container, sniffed)
    except MediaRejected:
        raise
    except Exception as exc:  # PyAV raises many types for hostile input; all mean "not readable"
        logger.info("probe failed (%s): %s", type(exc).__name__, exc)
        raise MediaRejected(NOT_MEDIA) from exc


def _inspect(container: av.container.InputContainer, sniffed: Sniffed) -> MediaInfo:
    if len(container.streams) > MAX_STREAMS:
        raise MediaRejected(f"This file has {len(container.streams)} streams; we accept at most {MAX_STREAMS}.")
    audio = container.streams.audio[0] if container.streams.audio else None
    videos = [s for s in container.streams.video if not s.disposition & Disposition.attached_pic]
    video = None if sniffed.audio_only or not videos else videos[0]
    if audio is None and video is None:
        raise MediaRejected("This file has no audio or video in it.")
    _check_codecs(sniffed, audio, video)
    _decode_first_frames(container, [s for s in (audio, video) if s is not None])
    width = video.codec_context.width if video else None
    height = video.codec_context.height if video else None
    return MediaInfo(
        container=sniffed.container,
        duration_s=_duration(container),
        has_audio=audio is not None,
        has_video=video is not None,
        audio_codec=_codec_name(audio) if audio else None,
        video_codec=_codec_name(video) if video else None,
        width=width,
        height=height,
        sample_rate=audio.codec_context.sample_rate if audio else None,
        channels=audio.codec_context.channels if audio else None,
    )


def _codec_name(stream: av.stream.Stream) -> str:
    return str(stream.codec_context.codec.canonical_name)


def _check_codecs(sniffed: Sniffed, audio: av.stream.Stream | None, video: av.video.stream.VideoStream | None) -> None:
    if audio is not None and _codec_name(audio) not in _AUDIO_CODECS.get(sniffed.container, set()):
        raise MediaRejected(f"This file's sound is in {_codec_name(audio)}, a format we don't accept.")
    if video is None:
        return
    if _codec_name(video) not in _VIDEO_CODECS.get(sniffed.container, set()):
        raise MediaRejected(
            f"This video uses {_codec_name(video)}; we accept H.264, HEVC, VP9 or AV1 in MP4, MOV or WebM."
        )
    width, height = video.codec_context.width, video.codec_context.height
    if max(width, height) > MAX_VIDEO_SIDE:
        raise MediaRejected(f"This video is {width}×{height}; the limit is {MAX_VIDEO_SIDE} pixels on a side.")


def _decode_first_frames(container: av.container.InputContainer, streams: list[av.stream.Stream]) -> None:
    pending = {s.index for s in streams}
    for n, packet in enumerate(container.demux(*streams)):
        if packet.stream.index in pending and packet.decode():
            pending.discard(packet.stream.index)
        if not pending or n >= _FIRST_FRAME_PACKETS:
            break
    if pending:
        raise MediaRejected(NOT_MEDIA)


def _duration(container: av.container.InputContainer) -> float:
    if container.duration is not None and container.duration > 0:
        return container.duration / 1_000_000
    spans = [float(s.duration * s.time_base) for s in container.streams if s.duration and s.time_base]
    return max(spans, default=0.0)


def decode_audio_mono(path: Path, *, rate: int) -> np.ndarray:
    """The file's first audio stream as mono float32 samples at `rate` Hz."""
    sniffed = require_sniff(path)
    chunks: list[np.ndarray] = []
    resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
    try:
        with open_container(path, sniffed) as container:
            for frame in container.decode(audio=0):
                chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
            chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(None))
    except Exception as exc:
        raise MediaRejected(NOT_MEDIA) from exc
    return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)


def measure_audio_duration(path: Path, sniffed: Sniffed) -> float:
    """Decode the whole first audio stream: exact length, and proof every packet is sound."""
    samples, packets, errors, rate = 0, 0, 0, 0
    with open_container(path, sniffed) as container:
        stream = container.streams.audio[0]
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            packets += 1
            try:
                for frame in packet.decode():
                    samples += frame.samples
                    rate = frame.sample_rate
            except av.error.FFmpegError:
                errors += 1
    if samples == 0 or rate == 0 or errors > max(2, packets // 10):
        raise MediaRejected("This recording is damaged; we could not play it through.")
    return samples / rate


def validate_audio_upload(path: Path, *, max_bytes: int, max_duration_s: float) -> MediaInfo:
    """A creator's recording: MP3 or WAV by content, with sound, within the size and length caps."""
    size = Path(path).stat().st_size
    if size == 0:
        raise MediaRejected("This file is empty.")
    if size > max_bytes:
        raise MediaRejected(f"Your file is {format_mb(size)}; the limit is {format_mb(max_bytes)}.")
    sniffed = require_sniff(path)
    if sniffed.container not in ("mp3", "wav"):
        raise MediaRejected(NOT_RECORDING)
    info = probe_media(path)
    if not info.has_audio:
        raise MediaRejected("This file has no sound in it.")
    try:
        duration = measure_audio_duration(path, sniffed)
    except MediaRejected:
        raise
    except Exception as exc:
        raise MediaRejected(NOT_MEDIA) from exc
    if duration > max_duration_s + 0.05:
        raise MediaRejected(f"Your recording is {duration:.1f} s; the limit is {format_seconds(max_duration_s)}.")
    if duration < 0.2:
        raise MediaRejected("Your recording is too short to use.")
    return replace(info, duration_s=duration)
