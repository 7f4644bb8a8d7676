"""One ad variant: a library video with another soundtrack and a hook burned in over its start.

Fast by design:
- the new soundtrack (looped or trimmed to the video, faded out, at the ads' EBU R128
  target, measured in numpy by `mixdown`) is muxed next to a stream copy of the picture;
- a hook re-encodes only the head under it: up to the first keyframe after the hook ends,
  with x264 at the source's size, pixel format and frame timing; the rest is stream-copied
  and both are joined by the concat demuxer through MPEG-TS (Annex B keeps each part's
  own SPS/PPS in band, so the copied tail still decodes after the new head);
- where that is unsafe (not H.264 4:2:0, variable frame rate, no keyframe after the hook),
  the whole picture is re-encoded once and the log says why.

The hook's words never enter the filter graph: they are wrapped and written to a text file
that `drawtext` reads with `expansion=none`, exactly as captions are.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np

from core.adapters.media.captions import FONT, _font, clean_text, safe_area, wrap
from core.adapters.media.ffmpeg import (
    BITEXACT_ARGS,
    BITEXACT_OPTIONS,
    FASTSTART,
    FASTSTART_OPTIONS,
    file_url,
)
from core.adapters.media.files import atomic_output
from core.adapters.media.library_video import StreamFacts, stream_facts
from core.adapters.media.mixdown import RATE, mix
from core.adapters.media.probe import decode_audio_mono
from core.domain.ads import Platform
from core.domain.media import VideoFile
from core.ports import PostProduction

logger = logging.getLogger(__name__)

POSITIONS = ("top", "centre", "bottom")
SIZES = {"small": 0.045, "medium": 0.06, "large": 0.078}  # share of the frame width
COLOURS = {"white": "white", "black": "black", "yellow": "#FFE14D", "red": "#FF4D4D", "cyan": "#4DE1FF"}
_KEY_EPS = 1e-3

# At most one x264 encode of a variant at a time in this process. A 1080x1920 encode holds
# 120-190 MB (decoder, drawtext, x264's frames) and already keeps both cores busy with its
# own threads, so two at once (one per worker) raised a batch's peak past 500 MB without
# finishing it sooner; the other worker meanwhile copies, joins and builds soundtracks,
# which need little memory. The benchmark swaps this to compare (`--encode-slots`).
ENCODE_SLOTS = threading.BoundedSemaphore(1)


@dataclass(frozen=True, slots=True)
class HookStyle:
    position: str = "top"
    start_s: float = 0.0
    duration_s: float = 3.0
    size: str = "medium"
    colour: str = "white"
    box: bool = True
    box_colour: str = "black"
    outline: bool = True
    platform: str = Platform.TIKTOK.value

    def __post_init__(self) -> None:
        # Only our own names reach the graph; anything else is a programming error upstream.
        assert self.position in POSITIONS and self.size in SIZES
        assert self.colour in COLOURS and self.box_colour in COLOURS

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s


@dataclass(frozen=True, slots=True)
class VariantSpec:
    video: Path
    audio: Path | None = None  # None: keep the video's own sound
    hook_text: str | None = None
    style: HookStyle = field(default_factory=HookStyle)
    loudness_lufs: float = -14.0
    fade_s: float = 0.6
    preset: str = "veryfast"
    crf: int = 18


@dataclass(frozen=True, slots=True)
class VariantResult:
    video: VideoFile
    mode: str  # copy | partial | full
    reason: str = ""  # why a full re-encode was needed


# --------------------------------------------------------------------------- sound


def soundtrack(audio: Path, duration_s: float, dest: Path, *, fade_s: float, target_lufs: float) -> Path:
    """The audio looped or cut to `duration_s`, faded at the end, at the loudness target (WAV)."""
    samples = decode_audio_mono(audio, rate=RATE).astype(np.float64)
    total = int(round(duration_s * RATE))
    bed = np.resize(samples, total) if len(samples) else np.zeros(total)
    fade = min(total, int(fade_s * RATE))
    if fade:
        bed[total - fade :] *= np.linspace(1.0, 0.0, fade)
    mix([], bed, duration_s, dest, music_volume=1.0, target_lufs=target_lufs)
    return dest


# --------------------------------------------------------------------------- hook text


def hook_options(text: str, style: HookStyle, width: int, height: int, text_file: Path) -> dict[str, str]:
    """`drawtext` options reading the wrapped hook from `text_file`: only our numbers and names,
    unescaped (ffmpeg-python escapes them for the option and the graph levels)."""
    safe = safe_area(Platform(style.platform), width, height)
    size = max(12, round(width * SIZES[style.size]))
    pad = round(size * 0.35)
    lines = wrap(clean_text(text), size, safe.w - 2 * pad)
    text_file.write_text("\n".join(lines), encoding="utf-8")
    ascent, descent = _font(size).getmetrics()
    spacing = round(size * 0.2)
    text_h = len(lines) * (ascent + descent) + (len(lines) - 1) * spacing
    top = {"top": safe.y + pad, "centre": safe.y + (safe.h - text_h) // 2, "bottom": safe.y + safe.h - text_h - pad}
    options = {
        "fontfile": str(FONT),
        "textfile": str(text_file),
        "expansion": "none",
        "text_align": "C",
        "fontsize": str(size),
        "fontcolor": COLOURS[style.colour],
        "line_spacing": str(spacing),
        "x": f"{safe.x}+({safe.w}-text_w)/2",
        "y": str(top[style.position]),
        "enable": f"between(t,{style.start_s:.3f},{style.end_s:.3f})",
    }
    if style.box:
        options |= {"box": "1", "boxcolor": COLOURS[style.box_colour] + "@0.72", "boxborderw": str(pad)}
    if style.outline:
        options |= {"borderw": str(max(1, round(size * 0.08))), "bordercolor": "black@0.9"}
    return options


# --------------------------------------------------------------------------- planning


def cut_point(facts: StreamFacts, hook_end_s: float) -> tuple[float | None, str]:
    """The first keyframe at or after the hook's end, or why the picture cannot be joined safely."""
    if facts.codec != "h264":
        return None, f"source is {facts.codec}, not H.264"
    if facts.pix_fmt not in ("yuv420p", "yuvj420p"):
        return None, f"source pixel format {facts.pix_fmt}"
    if not facts.constant_rate:
        return None, "source has a variable frame rate"
    duration = facts.frames / facts.fps
    after = [k for k in facts.keyframes if k >= hook_end_s - _KEY_EPS and k > 0]
    if not after or after[0] > duration - 2 / facts.fps:
        return None, "no keyframe after the hook ends"
    return after[0], ""


class VariantRenderer:
    def __init__(self, toolkit: PostProduction) -> None:
        self.toolkit = toolkit

    def render(self, spec: VariantSpec, dest: Path, work: Path, *, force_full: bool = False) -> VariantResult:
        work.mkdir(parents=True, exist_ok=True)
        facts = stream_facts(spec.video)
        duration = facts.frames / facts.fps
        sound = self._sound(spec, duration, work)
        if not spec.hook_text or not clean_text(spec.hook_text):
            return VariantResult(self._mux(spec.video, sound, duration, dest), "copy")
        hook = hook_options(spec.hook_text, spec.style, facts.width, facts.height, work / "hook.txt")
        cut, reason = (None, "full re-encode requested") if force_full else cut_point(facts, spec.style.end_s)
        if cut is None:
            logger.info("variant: full re-encode of %s: %s", spec.video.name, reason)
            return VariantResult(self._full(spec, facts, hook, sound, duration, dest), "full", reason)
        return VariantResult(self._partial(spec, facts, hook, sound, cut, duration, dest, work), "partial")

    def _sound(self, spec: VariantSpec, duration: float, work: Path) -> tuple[Path, int] | None:
        """(file, stream input index) of the soundtrack; None: the source has none to keep."""
        if spec.audio is not None:
            path = soundtrack(
                spec.audio, duration, work / "sound.wav", fade_s=spec.fade_s, target_lufs=spec.loudness_lufs
            )
            return path, 1
        return (spec.video, 0) if stream_facts(spec.video).has_audio else None

    def _audio_args(self, sound: tuple[Path, int] | None, video_inputs: int) -> tuple[list[str], list[str]]:
        if sound is None:
            return [], ["-an"]
        path, _ = sound
        if path == sound[0] and sound[1] == 0:  # the source's own sound, as it is
            return [*self.toolkit.input_args(path)], ["-map", f"{video_inputs}:a:0", "-c:a", "aac", "-b:a", "160k"]
        return [*self.toolkit.input_args(path)], ["-map", f"{video_inputs}:a:0", "-c:a", "aac", "-b:a", "160k"]

    def _finish(self, args: list[str], dest: Path, what: str) -> VideoFile:
        with atomic_output(Path(dest)) as tmp:
            self.toolkit.run([*args, *FASTSTART, *BITEXACT_ARGS, "-f", "mp4", file_url(tmp)], what=what)
            result = self.toolkit.video_file(tmp)
        return VideoFile(Path(dest), result.duration_s, result.width, result.height)

    def _mux(self, video: Path, sound: tuple[Path, int] | None, duration: float, dest: Path) -> VideoFile:
        audio_in, audio_out = self._audio_args(sound, 1)
        args = [*self.toolkit.input_args(video), *audio_in, "-map", "0:v:0", "-c:v", "copy", *audio_out]
        return self._finish([*args, "-t", f"{duration:.6f}"], dest, "variant mux")

    def _encode_options(self, spec: VariantSpec, facts: StreamFacts) -> dict[str, str]:
        profile = {"High": "high", "Main": "main", "Constrained Baseline": "baseline", "Baseline": "baseline"}
        options = {"c:v": "libx264", "preset": spec.preset, "crf": str(spec.crf), "pix_fmt": "yuv420p"}
        if facts.profile in profile:
            options["profile:v"] = profile[facts.profile]
        # Two encodes at 1080x1920 side by side must fit a batch's 500 MB budget. Measured per
        # encoder (rc-lookahead 5, 2 threads): 173 MB as x264 defaults, 122 MB with sliced
        # threads (no frames held per thread) and without mbtree (no lookahead frame costs).
        # The head is a few seconds: neither costs it visible quality or CPU time.
        tuned = {"rc-lookahead": "5", "x264-params": "sliced-threads=1:mbtree=0"}
        return options | tuned | {"threads": str(self.toolkit.threads)}

    def _full(
        self,
        spec: VariantSpec,
        facts: StreamFacts,
        hook: dict[str, str],
        sound: tuple[Path, int] | None,
        duration: float,
        dest: Path,
    ) -> VideoFile:
        # One decoder thread and no B-frames, as for the head: frame-threaded decoding holds
        # extra 1080x1920 frames and B-frames hold reordered ones (194 MB -> 139 MB per encode).
        picture = self.toolkit.source(spec.video, threads="1")["v:0"].filter("drawtext", **hook)
        streams: list[Any] = [picture]
        audio: dict[str, Any] = {"an": None}
        if sound is not None:
            streams.append(self.toolkit.source(sound[0])["a:0"])
            audio = {"c:a": "aac", "b:a": "160k"}
        options = self._encode_options(spec, facts) | {"bf": "0"} | audio | {"t": f"{duration:.6f}"}
        with atomic_output(Path(dest)) as tmp:
            graph = ffmpeg.output(
                *streams, file_url(tmp), format="mp4", **options, **FASTSTART_OPTIONS, **BITEXACT_OPTIONS
            )
            with ENCODE_SLOTS:
                self.toolkit.run_graph(graph, what="variant full encode")
            result = self.toolkit.video_file(tmp)
        return VideoFile(Path(dest), result.duration_s, result.width, result.height)

    def _partial(
        self,
        spec: VariantSpec,
        facts: StreamFacts,
        hook: dict[str, str],
        sound: tuple[Path, int] | None,
        cut: float,
        duration: float,
        dest: Path,
        work: Path,
    ) -> VideoFile:
        head_frames = sum(1 for t in facts.frame_times if t < cut - _KEY_EPS)
        head = work / "head.ts"
        src = self.toolkit.input_args(spec.video)
        # One decoder thread: frame-threaded decoding holds extra 1080x1920 frames.
        picture = self.toolkit.source(spec.video, threads="1")["v:0"].filter("drawtext", **hook)
        gop = {"g": str(head_frames + 1), "bf": "0", "fps_mode": "passthrough", "frames:v": str(head_frames)}
        head_options = self._encode_options(spec, facts) | gop | {"an": None, "bsf:v": "h264_metadata=aud=insert"}
        graph = ffmpeg.output(picture, file_url(head), format="mpegts", **head_options)
        with ENCODE_SLOTS:
            self.toolkit.run_graph(graph, what="variant head encode")
        tail = work / "tail.ts"  # stream copy from the keyframe, Annex B so its SPS/PPS travel in band
        self.toolkit.run(
            [
                "-ss",
                f"{cut + _KEY_EPS:.6f}",
                *src,
                "-map",
                "0:v:0",
                "-an",
                "-c:v",
                "copy",
                "-bsf:v",
                "h264_mp4toannexb",
                "-f",
                "mpegts",
                file_url(tail),
            ],
            what="variant tail copy",
        )
        listing = work / "join.txt"
        listing.write_text(f"file '{head.name}'\nduration {cut:.6f}\nfile '{tail.name}'\n", encoding="ascii")
        concat_in = ["-f", "concat", "-safe", "1", "-protocol_whitelist", "file", "-i", file_url(listing)]
        audio_in, audio_out = self._audio_args(sound, 1)
        args = [*concat_in, *audio_in, "-map", "0:v:0", "-c:v", "copy", *audio_out, "-t", f"{duration:.6f}"]
        result = self._finish(args, dest, "variant join")
        for part in (head, tail):
            part.unlink(missing_ok=True)
        return result
