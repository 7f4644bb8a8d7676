"""Videos for the library: uploads checked by content, normalised to H.264/AAC MP4, and the
stream facts (codec, pixel format, frame rate, keyframes) the variant renderer plans with.

An upload's file name is never used. HLS playlists, text renamed .mp4 and anything else
that is not an MP4/MOV/WebM by its first bytes are refused before FFmpeg parses them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import ffmpeg

from core.adapters.media.ffmpeg import (
    BITEXACT_OPTIONS,
    FASTSTART_OPTIONS,
    file_url,
)
from core.adapters.media.files import atomic_output, format_mb, format_seconds
from core.adapters.media.probe import open_container, probe_media, require_sniff
from core.adapters.media.sniff import sniff
from core.domain.media import MediaInfo, VideoFile
from core.errors import MediaRejected
from core.ports import PostProduction

logger = logging.getLogger(__name__)

VIDEO_CONTAINERS = ("mp4", "mov", "webm")
NOT_A_VIDEO = "Please upload an MP4, MOV or WebM video; this file is not one."
PLAYLIST = "This is a streaming playlist (HLS .m3u8), not a video file; upload the video itself."
_PLAYLIST_MARKS = (b"#EXTM3U", b"#EXT-X-")
_TRANSCODE_VIDEO = {"c:v": "libx264", "preset": "veryfast", "crf": "20", "pix_fmt": "yuv420p", "g": "60"}
_TRANSCODE_AUDIO = {"c:a": "aac", "b:a": "160k"}
_COPY = {"c:v": "copy", "c:a": "copy"}


@dataclass(frozen=True, slots=True)
class StreamFacts:
    """What partial re-encoding must match in the source's video stream."""

    codec: str
    pix_fmt: str
    profile: str
    width: int
    height: int
    fps: float
    frames: int
    constant_rate: bool
    keyframes: tuple[float, ...]  # presentation times (s) of sync samples
    frame_times: tuple[float, ...]
    has_audio: bool
    audio_codec: str | None


def _looks_like_playlist(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(_PLAYLIST_MARKS) or b"#EXT-X-" in head


def precheck_video_upload(path: Path, *, max_bytes: int) -> None:
    """The cheap checks an upload is refused by at once (size, playlist, container by its first
    bytes); the full probe runs later in the upload's job."""
    size = Path(path).stat().st_size
    if size == 0:
        raise MediaRejected("This file is empty.")
    if size > max_bytes:
        raise MediaRejected(f"Your video is {format_mb(size)}; the limit is {format_mb(max_bytes)}.")
    if _looks_like_playlist(path):
        raise MediaRejected(PLAYLIST)
    sniffed = sniff(path)
    if sniffed is None or sniffed.container not in VIDEO_CONTAINERS:
        raise MediaRejected(NOT_A_VIDEO)


def validate_video_upload(path: Path, *, max_bytes: int, max_duration_s: float) -> MediaInfo:
    """An MP4/MOV/WebM by content, with a picture, within the size, side and length caps."""
    precheck_video_upload(path, max_bytes=max_bytes)
    info = probe_media(path)  # codecs on the allow-list, at most 4096 px a side, first frames decode
    if not info.has_video:
        raise MediaRejected("This file has no picture in it.")
    if info.duration_s > max_duration_s + 0.05:
        raise MediaRejected(f"Your video is {info.duration_s:.1f} s; the limit is {format_seconds(max_duration_s)}.")
    if info.duration_s < 0.5:
        raise MediaRejected("Your video is too short to use.")
    return info


def stream_facts(path: Path) -> StreamFacts:
    """Demux (no decode) the first video stream: sync samples, frame times, frame rate."""
    sniffed = require_sniff(Path(path))
    with open_container(Path(path), sniffed) as container:
        stream = container.streams.video[0]
        ctx = stream.codec_context
        audio = container.streams.audio[0] if container.streams.audio else None
        times, keys = [], []
        for packet in container.demux(stream):
            if packet.pts is None or packet.size == 0:
                continue
            t = float(packet.pts * (stream.time_base or 0))  # a demuxed video stream always has one
            times.append(t)
            if packet.is_keyframe:
                keys.append(t)
        times.sort()
        start = times[0] if times else 0.0
        rel = tuple(round(t - start, 6) for t in times)
        gaps = [b - a for a, b in zip(rel, rel[1:], strict=False)]
        fps = float(stream.average_rate) if stream.average_rate else (1 / (sum(gaps) / len(gaps)) if gaps else 30.0)
        constant = bool(gaps) and max(gaps) - min(gaps) < 0.25 / fps
        return StreamFacts(
            codec=str(ctx.codec.canonical_name),
            pix_fmt=str(ctx.format.name) if ctx.format else "",
            profile=str(ctx.profile or ""),
            width=ctx.width,
            height=ctx.height,
            fps=fps,
            frames=len(rel),
            constant_rate=constant,
            keyframes=tuple(sorted(round(k - start, 6) for k in keys)),
            frame_times=rel,
            has_audio=audio is not None,
            audio_codec=str(audio.codec_context.codec.canonical_name) if audio else None,
        )


def needs_transcode(info: MediaInfo, facts: StreamFacts) -> str | None:
    """Why a library video must be re-encoded before use, or None when a remux will do."""
    if info.video_codec != "h264":
        return f"video codec {info.video_codec}"
    if facts.pix_fmt not in ("yuv420p", "yuvj420p"):
        return f"pixel format {facts.pix_fmt}"
    if info.has_audio and info.audio_codec != "aac":
        return f"audio codec {info.audio_codec}"
    if facts.width % 2 or facts.height % 2:
        return "odd frame size"
    return None


def normalise_video(toolkit: PostProduction, src: Path, dest: Path, info: MediaInfo) -> tuple[VideoFile, bool]:
    """An MP4 with H.264 video (and AAC sound if any), moov first. Returns (file, transcoded)."""
    reason = needs_transcode(info, stream_facts(src))
    source = toolkit.source(src)
    picture, options = source["v:0"], _COPY
    if reason:  # x264 wants even sides
        picture = picture.filter("scale", "trunc(iw/2)*2", "trunc(ih/2)*2")
        options = _TRANSCODE_VIDEO | _TRANSCODE_AUDIO | {"threads": str(toolkit.threads)}
    with atomic_output(Path(dest)) as tmp:
        out = {**options, **FASTSTART_OPTIONS, **BITEXACT_OPTIONS}
        graph = ffmpeg.output(picture, source["a:0?"], file_url(tmp), format="mp4", **out)
        toolkit.run_graph(graph, what="video transcode" if reason else "video remux")
        result = toolkit.video_file(tmp)
    if reason:
        logger.info("library video transcoded to H.264/AAC: %s", reason)
    return VideoFile(Path(dest), result.duration_s, result.width, result.height), reason is not None
