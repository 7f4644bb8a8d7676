"""Render an editor document from its sources in one FFmpeg run: one lossy encode, always.

The graph is built with ffmpeg-python (`FfmpegToolkit.source` inputs, checked by `graph_args`).

Each clip is an input trimmed by `-ss`/`-t`, cropped by its percentages, scaled to cover the
output and cropped to it; clips join by `concat` (cuts) or `xfade` (transitions). Voice lines
are delayed to their places and mixed, the music bed is trimmed, faded and (when ducking is on)
compressed under the voice by `sidechaincompress`. Captions are `drawtext` filters reading
generated text files with `expansion=none`: no user text is ever part of the filter graph or
of a file name. The word-by-word highlight redraws the spoken word in the highlight colour,
the words timed over the speech of the voice lines under the caption (`WordClock`). The mix
starts from a short silent WAV of our own padded to the edit's length (no `lavfi` input).
Progress comes from `-progress pipe:1`.

Exports are that one run. The preview proxy is made in two stages (`render_proxy`: per-clip
segments cached by fingerprint, then the join), and the frame at the playhead reads only the
clips showing then (`frame`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import os
import subprocess
import tempfile
import textwrap
import threading
import wave
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np
from PIL import ImageFont

from core.adapters.media.captions import FONT, _cjk_font, between, font_for, safe_file_stem
from core.adapters.media.ffmpeg import BITEXACT_OPTIONS, FASTSTART_OPTIONS, FfmpegToolkit, file_url, graph_args
from core.adapters.media.files import atomic_output
from core.adapters.media.probe import decode_audio_mono
from core.adapters.media.voice_timing import ENVELOPE_RATE, FRAME_S, envelope_db, voiced
from core.domain.edit import (
    TRANSITIONS,
    AudioTrack,
    CaptionItem,
    Crop,
    EditDoc,
    SfxItem,
    VideoClip,
    clip_starts,
    total_s,
)
from core.domain.media import VideoFile
from core.errors import MediaRejected, ProviderTimeout, ValidationError

logger = logging.getLogger(__name__)

RESOLUTIONS = {"720p": 720, "1080p": 1080, "4k": 2160}  # the short side
FORMATS = ("mp4", "webm")
QUALITIES = ("draft", "standard", "high")
# quality -> (x264 preset, x264 CRF, VP9 CRF, VP9 cpu-used, audio kbit/s)
_QUALITY = {
    "draft": ("ultrafast", 28, 40, 8, 96),
    "standard": ("veryfast", 21, 33, 5, 128),
    "high": ("medium", 18, 28, 2, 192),
}
PROXY_SHORT_SIDE = 360
FRAME_SHORT_SIDE = 540
SEGMENT_VERSION = 2  # bump when the segment chain changes: old segments are then never reused
SEGMENT_CRF = 20  # a proxy's intermediate: close to clean, encoded again by the join
SEGMENTS_KEPT = 400
DUCK = {"threshold": 0.03, "ratio": 8, "attack": 20, "release": 350}  # sidechaincompress

Progress = Callable[[float], None]


@dataclass(frozen=True, slots=True)
class RenderSettings:
    width: int
    height: int
    container: str = "mp4"  # mp4 (H.264/AAC) | webm (VP9/Opus)
    quality: str = "standard"
    fps: int = 30
    proxy: bool = False

    @property
    def content_type(self) -> str:
        return "video/webm" if self.container == "webm" else "video/mp4"


def output_size(resolution: str, aspect: str) -> tuple[int, int]:
    if resolution not in RESOLUTIONS:
        raise ValidationError(f"Pick a resolution among {', '.join(RESOLUTIONS)}.")
    short = RESOLUTIONS[resolution]
    long_side = short * 16 // 9 // 2 * 2
    sizes = {"9:16": (short, long_side), "1:1": (short, short), "16:9": (long_side, short)}
    if aspect not in sizes:
        raise ValidationError("Pick an aspect among 9:16, 1:1 and 16:9.")
    return sizes[aspect]


def export_settings(resolution: str, container: str, quality: str, aspect: str) -> RenderSettings:
    if container not in FORMATS:
        raise ValidationError("Pick MP4 or WebM.")
    if quality not in QUALITIES:
        raise ValidationError(f"Pick a quality among {', '.join(QUALITIES)}.")
    width, height = output_size(resolution, aspect)
    return RenderSettings(width, height, container, quality)


def frame_settings(aspect: str) -> RenderSettings:
    """The still at the playhead: sharper than the proxy, at the proxy's frame rate."""
    short, long_side = FRAME_SHORT_SIDE, FRAME_SHORT_SIDE * 16 // 9 // 2 * 2
    sizes = {"9:16": (short, long_side), "1:1": (short, short), "16:9": (long_side, short)}
    width, height = sizes.get(aspect, sizes["9:16"])
    return RenderSettings(width, height, "mp4", "draft", fps=24, proxy=True)


def proxy_settings(aspect: str) -> RenderSettings:
    short, long_side = PROXY_SHORT_SIDE, PROXY_SHORT_SIDE * 16 // 9 // 2 * 2
    sizes = {"9:16": (short, long_side), "1:1": (short, short), "16:9": (long_side, short)}
    width, height = sizes.get(aspect, sizes["9:16"])
    return RenderSettings(width, height, "mp4", "draft", fps=24, proxy=True)


# --------------------------------------------------------------------------- the graph


class _Inputs:
    """Every input of one graph, each distinct: ffmpeg-python merges inputs with equal options,
    and a clip used twice (a duplicate, a voice file placed twice) would then be one input whose
    stream feeds two chains. A queue size that differs per input (a harmless demuxer option)
    keeps them apart, so each use decodes its own part of the file instead of buffering frames."""

    def __init__(self, toolkit: FfmpegToolkit, *, fast_decode: bool = False) -> None:
        self.toolkit, self.count, self.fast_decode = toolkit, 0, fast_decode

    def open(self, path: Path, in_s: float | None = None, length_s: float | None = None) -> Any:
        self.count += 1
        options: dict[str, Any] = {"thread_queue_size": 8 + self.count}
        if self.fast_decode:  # proxy only: H.264 without its deblocking filter decodes much faster
            options |= {"skip_loop_filter": "all", "flags2": "+fast"}
        if in_s is not None and length_s is not None:
            options |= {"ss": f"{in_s:.3f}", "t": f"{length_s:.3f}"}
        return self.toolkit.source(path, **options)


def _clip_stream(clip: VideoClip, source: Any, s: RenderSettings, scaler: str | None = None) -> Any:
    """One clip's picture: cropped by its percentages, scaled to cover the output, at its rate, from zero.
    `scaler`: the scale filter's algorithm (FFmpeg's default, bicubic, unless named)."""
    c = clip.crop
    scaling = {"flags": scaler} if scaler else {}
    keep_w, keep_h = (100 - c.left - c.right) / 100, (100 - c.top - c.bottom) / 100
    return (
        source["v:0"]
        .filter(
            "crop", w=f"iw*{keep_w:.4f}", h=f"ih*{keep_h:.4f}", x=f"iw*{c.left / 100:.4f}", y=f"ih*{c.top / 100:.4f}"
        )
        .filter("scale", w=s.width, h=s.height, force_original_aspect_ratio="increase", **scaling)
        .filter("crop", w=s.width, h=s.height)
        .filter("setsar", "1")
        .filter("fps", fps=s.fps)
        .filter("format", pix_fmts="yuv420p")
        .filter("settb", expr="AVTB")
        .filter("setpts", "PTS-STARTPTS")
    )


def _joined(doc: EditDoc, streams: list[Any]) -> Any:
    """Cuts by concat, transitions by xfade at the running length minus the transition."""
    current, length = streams[0], doc.clips[0].length_s
    for index, clip in enumerate(doc.clips[1:], start=1):
        xfade = TRANSITIONS[clip.transition]
        if xfade:
            offset = length - clip.transition_s
            current = ffmpeg.filter(
                [current, streams[index]],
                "xfade",
                transition=xfade,
                duration=f"{clip.transition_s:.3f}",
                offset=f"{offset:.3f}",
            )
            length += clip.length_s - clip.transition_s
        else:
            current = ffmpeg.concat(current, streams[index], n=2, v=1, a=0)
            length += clip.length_s
    return current


def _wrap(text: str, style_size: int, width: int) -> str:
    per_line = max(8, int(width * 0.86 / (style_size * 0.58)))
    return "\n".join(textwrap.wrap(text, per_line)[:4])


def _caption_font(doc: EditDoc, text: str) -> Path:
    if doc.caption_style.font == "noto sans cjk":
        return _cjk_font() or FONT
    return font_for(text)


def _caption(stream: Any, doc: EditDoc, index: int, cap: CaptionItem, s: RenderSettings, folder: Path) -> Any:
    """One caption read from its generated file (`textfile=`, `expansion=none`): the words never
    enter the graph or a file name."""
    style = doc.caption_style
    size = max(8, round(style.size * s.width / 1080))
    text_file = folder / f"{safe_file_stem(index)}.txt"
    text_file.write_text(_wrap(cap.text, size, s.width), encoding="utf-8")
    y = {"top": "h*0.12", "middle": "(h-text_h)/2", "bottom": "h*0.80-text_h"}[style.position]
    start = f"{cap.start_s:.3f}"
    if style.animation == "pop":
        y = f"{y}+max(0,{start}+0.2-t)*{size}"
    options: dict[str, Any] = {
        "fontfile": str(_caption_font(doc, cap.text)),
        "textfile": str(text_file),
        "expansion": "none",
        "fontsize": size,
        "fontcolor": f"0x{style.colour[1:]}",
        "borderw": round(style.outline * s.width / 1080),
        "bordercolor": f"0x{style.outline_colour[1:]}",
        "x": "(w-text_w)/2",
        "y": y,
        "line_spacing": size // 5,
        "enable": between(cap.start_s, cap.end_s),
    }
    if style.box:
        options.update(box=1, boxcolor="0x000000@0.55", boxborderw=size // 3)
    if style.animation in ("fade in", "pop"):
        options["alpha"] = f"min(1,(t-{start})/0.25)"
    return stream.filter("drawtext", **options)


def word_times(cap: CaptionItem, words: list[str]) -> list[float]:
    """When each word starts, the caption's span shared out by the words' lengths (a long word
    takes longer to say), and the caption's end last."""
    weights = [len(word) + 1 for word in words]
    span, total, out, done = cap.end_s - cap.start_s, sum(weights), [], 0
    for weight in weights:
        out.append(cap.start_s + span * done / total)
        done += weight
    return [*out, cap.end_s]


@functools.lru_cache(maxsize=256)
def _voiced_frames(path: str, size: int, mtime_ns: int) -> np.ndarray:
    """Which 10 ms frames of a voice file are speech (the studio's voice timing), per file version."""
    samples = decode_audio_mono(Path(path), rate=ENVELOPE_RATE)
    return voiced(envelope_db(samples, ENVELOPE_RATE))


class WordClock:
    """When each word of a caption is said. The words share the voiced part of the caption's
    span (where a voice line is speech, 10 ms steps, from the lines placed on the timeline), each
    by its length, so a pause in the voice holds the highlight and the first word lights when the
    speech starts; with no speech under the caption, the whole span is shared out instead.

    Built from the whole edit, so a window of it (the frame at the playhead) times its captions
    (matched by id, moved by the window's shift) exactly as the whole render does."""

    def __init__(self, doc: EditDoc, sources: dict[str, Path]) -> None:
        self.starts = {c.id: c.start_s for c in doc.captions}
        self.mask = np.zeros(int(math.ceil(total_s(doc) / FRAME_S)) + 1, bool)
        for item in doc.voice.items:
            path = sources.get(item.source_key)
            if path is None:
                continue
            stat = Path(path).stat()
            try:
                frames = _voiced_frames(str(path), stat.st_size, stat.st_mtime_ns)
            except MediaRejected:
                continue
            played = frames[round(item.in_s / FRAME_S) : round(item.out_s / FRAME_S)]
            at = round(item.start_s / FRAME_S)
            room = max(0, min(len(played), len(self.mask) - at))
            self.mask[at : at + room] |= played[:room]

    def times(self, cap: CaptionItem, words: list[str]) -> list[float]:
        shift = self.starts.get(cap.id, cap.start_s) - cap.start_s
        first, last = round((cap.start_s + shift) / FRAME_S), round((cap.end_s + shift) / FRAME_S)
        on = np.flatnonzero(self.mask[max(0, first) : max(0, last)]) + max(0, first)
        if on.size < 5 * len(words):  # under 50 ms of speech a word: not this caption's voice
            return word_times(cap, words)
        weights = np.cumsum([0] + [len(word) + 1 for word in words[:-1]]) / sum(len(w) + 1 for w in words)
        said = [float(on[min(on.size - 1, int(f * on.size))]) * FRAME_S - shift for f in weights]
        return [*(max(cap.start_s, t) for t in said), cap.end_s]


def _highlighted(
    stream: Any, doc: EditDoc, index: int, cap: CaptionItem, s: RenderSettings, folder: Path, clock: WordClock | None
) -> Any:
    """Word by word: each line drawn in the caption colour at a position computed here (Pillow
    measures it with the same font), then, while a word is spoken, the line up to that word in
    the highlight colour and the line up to the word before in the caption colour again, both
    from the same left edge, so exactly the spoken word changes colour. Every text is a
    generated file read with `textfile=` and `expansion=none`."""
    style = doc.caption_style
    size = max(8, round(style.size * s.width / 1080))
    font_path = _caption_font(doc, cap.text)
    font = ImageFont.truetype(str(font_path), size)
    lines = _wrap(cap.text, size, s.width).split("\n")
    step = size + size // 5
    block = len(lines) * step
    top = {"top": s.height * 0.12, "middle": (s.height - block) / 2, "bottom": s.height * 0.80 - block}[style.position]
    common: dict[str, Any] = {
        "fontfile": str(font_path),
        "expansion": "none",
        "fontsize": size,
        "borderw": round(style.outline * s.width / 1080),
        "bordercolor": f"0x{style.outline_colour[1:]}",
    }
    stem = safe_file_stem(index)

    def draw(stream: Any, name: str, text: str, x: int, y: int, colour: str, start: float, end: float) -> Any:
        text_file = folder / f"{stem}-{name}.txt"
        text_file.write_text(text, encoding="utf-8")
        extra = {"box": 1, "boxcolor": "0x000000@0.55", "boxborderw": size // 3} if style.box and name[0] == "l" else {}
        return stream.filter(
            "drawtext",
            textfile=str(text_file),
            fontcolor=f"0x{colour[1:]}",
            x=x,
            y=y,
            enable=between(start, end),
            **common,
            **extra,
        )

    placed = []
    for number, line in enumerate(lines):
        x, y = max(0, round((s.width - font.getlength(line)) / 2)), round(top + number * step)
        stream = draw(stream, f"l{number}", line, x, y, style.colour, cap.start_s, cap.end_s)
        placed += [(position, line.split(), x, y) for position in range(len(line.split()))]
    spoken = [words[position] for position, words, _, _ in placed]
    times = clock.times(cap, spoken) if clock is not None else word_times(cap, spoken)
    for g, (position, words, x, y) in enumerate(placed):
        start, end = times[g], times[g + 1]
        said = " ".join(words[: position + 1])
        stream = draw(stream, f"w{g}a", said, x, y, style.highlight_colour, start, end)
        if position:
            stream = draw(stream, f"w{g}b", " ".join(words[:position]), x, y, style.colour, start, end)
    return stream


def _captioned(picture: Any, doc: EditDoc, s: RenderSettings, folder: Path, clock: WordClock | None = None) -> Any:
    total = total_s(doc)
    for index, cap in enumerate(doc.captions):
        if cap.start_s < total:
            if doc.caption_style.animation == "word highlight":
                picture = _highlighted(picture, doc, index, cap, s, folder, clock)
            else:
                picture = _caption(picture, doc, index, cap, s, folder)
    return picture


def _audio_in(source: Any) -> Any:
    return source["a:0"].filter("aresample", "48000").filter("aformat", sample_fmts="fltp", channel_layouts="stereo")


def _track_bus(track: AudioTrack, sources: list[Any], total: float) -> Any:
    delayed = [
        _audio_in(source).filter("adelay", delays=str(round(item.start_s * 1000)), all=1)
        for item, source in zip(track.items, sources, strict=True)
    ]
    bus = delayed[0]
    if len(delayed) > 1:
        bus = ffmpeg.filter(delayed, "amix", inputs=len(delayed), normalize=0, duration="longest")
    bus = bus.filter("apad", whole_dur=f"{total:.3f}").filter("atrim", start=0, end=f"{total:.3f}")
    bus = bus.filter("volume", volume=f"{track.volume:.3f}")
    if track.fade_in_s > 0:
        bus = bus.filter("afade", t="in", st=0, d=f"{track.fade_in_s:.3f}")
    if track.fade_out_s > 0:
        bus = bus.filter("afade", t="out", st=f"{max(0.0, total - track.fade_out_s):.3f}", d=f"{track.fade_out_s:.3f}")
    return bus


def _sfx_bus(items: list[SfxItem], sources: list[Any], total: float) -> Any:
    """Each sound effect at its own volume and fades, delayed to its place, mixed (never ducked)."""
    placed = []
    for item, source in zip(items, sources, strict=True):
        sound = _audio_in(source).filter("volume", volume=f"{item.volume:.3f}")
        if item.fade_in_s > 0:
            sound = sound.filter("afade", t="in", st=0, d=f"{item.fade_in_s:.3f}")
        if item.fade_out_s > 0:
            at = max(0.0, item.length_s - item.fade_out_s)
            sound = sound.filter("afade", t="out", st=f"{at:.3f}", d=f"{item.fade_out_s:.3f}")
        placed.append(sound.filter("adelay", delays=str(round(item.start_s * 1000)), all=1))
    bus = placed[0]
    if len(placed) > 1:
        bus = ffmpeg.filter(placed, "amix", inputs=len(placed), normalize=0, duration="longest")
    return bus.filter("apad", whole_dur=f"{total:.3f}").filter("atrim", start=0, end=f"{total:.3f}")


def _silence(folder: Path) -> Path:
    """A tenth of a second of silence, our own file, padded to the edit's length in the graph."""
    path = folder / "silence.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(48000)
        out.writeframes(b"\0" * 4 * 4800)
    return path


def _sound(opener: _Inputs, doc: EditDoc, sources: dict[str, Path], folder: Path) -> Any:
    total = total_s(doc)

    def inputs(track: AudioTrack) -> list[Any]:
        return [opener.open(sources[i.source_key], i.in_s, i.length_s) for i in track.items]

    silence = _audio_in(opener.open(_silence(folder)))
    buses = [silence.filter("apad", whole_dur=f"{total:.3f}").filter("atrim", start=0, end=f"{total:.3f}")]
    voice = _track_bus(doc.voice, inputs(doc.voice), total) if doc.voice.items else None
    music = _track_bus(doc.music, inputs(doc.music), total) if doc.music.items else None
    if voice is not None and music is not None and doc.ducking:
        split = voice.filter_multi_output("asplit", 2)
        voice = split[0]
        music = ffmpeg.filter([music, split[1]], "sidechaincompress", **DUCK)
    buses += [bus for bus in (voice, music) if bus is not None]
    effects = [item for item in doc.sfx if item.start_s < total]
    if effects:
        buses.append(
            _sfx_bus(effects, [opener.open(sources[i.source_key], i.in_s, i.length_s) for i in effects], total)
        )
    mixed = buses[0]
    if len(buses) > 1:
        mixed = ffmpeg.filter(buses, "amix", inputs=len(buses), normalize=0, duration="first")
    return mixed.filter("volume", volume=f"{doc.master_volume:.3f}").filter("atrim", start=0, end=f"{total:.3f}")


def _picture(opener: _Inputs, doc: EditDoc, sources: dict[str, Path], s: RenderSettings) -> Any:
    inputs = [opener.open(sources[c.source_key], c.in_s, c.length_s) for c in doc.clips]
    return _joined(doc, [_clip_stream(c, source, s) for c, source in zip(doc.clips, inputs, strict=True)])


def _encoder_options(s: RenderSettings, threads: int) -> dict[str, Any]:
    preset, crf, vp9_crf, cpu_used, kbits = _QUALITY[s.quality]
    if s.proxy:
        preset, crf, kbits = "ultrafast", 32, 64
    if s.container == "webm":
        deadline = "realtime" if s.quality == "draft" else "good"
        video = {"c:v": "libvpx-vp9", "b:v": 0, "crf": vp9_crf, "deadline": deadline, "cpu-used": cpu_used}
        video |= {"row-mt": 1, "pix_fmt": "yuv420p"}
        return {**video, "c:a": "libopus", "b:a": f"{kbits}k", "threads": threads, "format": "webm"}
    video = {"c:v": "libx264", "preset": preset, "crf": crf, "pix_fmt": "yuv420p"}
    audio = {"c:a": "aac", "b:a": f"{kbits}k", **FASTSTART_OPTIONS}
    return {**video, **audio, "threads": threads, "format": "mp4"}


def build_graph(
    toolkit: FfmpegToolkit, doc: EditDoc, sources: dict[str, Path], s: RenderSettings, folder: Path, out: Path
) -> Any:
    """The whole render as one ffmpeg-python output graph. `sources`: storage key -> local file;
    `folder` receives the generated caption text files and the silence the mix starts from."""
    opener = _Inputs(toolkit)
    clock = WordClock(doc, sources) if doc.caption_style.animation == "word highlight" else None
    picture = _captioned(_picture(opener, doc, sources, s), doc, s, folder, clock)
    sound = _sound(opener, doc, sources, folder)
    options = {**_encoder_options(s, toolkit.threads), "t": f"{total_s(doc):.3f}", **BITEXACT_OPTIONS}
    return ffmpeg.output(picture, sound, file_url(out), **options)


def build_command(
    toolkit: FfmpegToolkit, doc: EditDoc, sources: dict[str, Path], s: RenderSettings, folder: Path, out: Path
) -> list[str]:
    """The whole argv (after the executable's global options), checked by `graph_args`."""
    return graph_args(build_graph(toolkit, doc, sources, s, folder, out))


def graph_in_file(args: list[str], folder: Path) -> list[str]:
    """The argv with its filter graph read from a file (`-/filter_complex`): Linux refuses any one
    argument over 128 KiB, and the word highlight draws two texts a word (40 captions of 8 words
    are about 700 filters, a graph of some 200 kB)."""
    index = args.index("-filter_complex")
    script = folder / "graph.txt"
    script.write_text(args[index + 1], encoding="utf-8")
    return [*args[:index], "-/filter_complex", str(script), *args[index + 2 :]]


# --------------------------------------------------------------------------- the frame at the playhead


def frame_window(doc: EditDoc, at_s: float, fps: int) -> tuple[EditDoc, float]:
    """The few clips the picture at `at_s` is made of, cut around it, with the captions showing
    then moved to the window's time, and where in the window the frame is: the clip under the
    playhead starting at it, or (inside a transition) both clips from the transition's start."""
    total = total_s(doc)
    at = min(max(0.0, float(at_s)), max(0.0, total - 1.0 / fps))
    starts = clip_starts(doc)
    k = max(i for i, start in enumerate(starts) if start <= at + 1e-9)
    clip = doc.clips[k]
    # A clip's frames show from its start, one per 1/fps: the frame on screen at `at` is the last
    # one that started by then. Seeks are written to the millisecond, so each starts half a
    # millisecond early and lands on the frame meant, not the next.
    early = 0.0005
    if k and TRANSITIONS[clip.transition] and at < starts[k] + clip.transition_s:
        before = doc.clips[k - 1]
        # From the frame of the clip before that precedes the first blended one: xfade then blends
        # the same frames at the same progress as in the whole render.
        blend_from = before.length_s - clip.transition_s
        j = max(0, math.ceil(blend_from * fps - 1e-6) - 1)
        head_in = max(0.0, before.in_s + j / fps - early)
        head = replace(before, in_s=head_in, out_s=before.out_s - early, transition="cut", transition_s=0.0)
        tail = replace(clip, out_s=min(clip.out_s, clip.in_s + clip.transition_s + 0.2))
        shift = starts[k - 1] + j / fps
        clips: tuple[VideoClip, ...] = (head, tail)
        local = math.floor((at - shift) * fps + 1e-6) / fps
    else:
        shown = math.floor((at - starts[k]) * fps + 1e-6) / fps
        into = min(clip.in_s + shown - early, clip.out_s - 1.0 / fps)
        single = replace(
            clip, in_s=max(0.0, into), out_s=min(clip.out_s, into + 0.5), transition="cut", transition_s=0.0
        )
        clips, shift, local = (single,), starts[k] + shown, 0.0
    showing = tuple(
        replace(c, start_s=c.start_s - shift, end_s=c.end_s - shift) for c in doc.captions if c.start_s <= at < c.end_s
    )
    window = replace(doc, clips=clips, captions=showing, voice=AudioTrack(), music=AudioTrack(), sfx=())
    return window, local


# --------------------------------------------------------------------------- proxy segments


def segment_fingerprint(clip: VideoClip, source: Path, s: RenderSettings) -> str:
    """What a clip's proxy segment depends on: its source file, its cut, its crop and the size."""
    stat = Path(source).stat()
    facts = [SEGMENT_VERSION, clip.source_key, stat.st_size, stat.st_mtime_ns, clip.in_s, clip.out_s]
    facts += [clip.crop.left, clip.crop.right, clip.crop.top, clip.crop.bottom, s.width, s.height, s.fps]
    return hashlib.sha256(json.dumps(facts).encode()).hexdigest()[:32]


def _segment_doc(doc: EditDoc, keys: list[str], lengths: list[float]) -> EditDoc:
    """The edit with each clip replaced by its segment (already cut, cropped and scaled)."""
    clips = tuple(
        replace(c, source_key=key, source_s=length, in_s=0.0, out_s=length, crop=Crop())
        for c, key, length in zip(doc.clips, keys, lengths, strict=True)
    )
    return replace(doc, clips=clips)


def prune_segments(folder: Path, keep: int = SEGMENTS_KEPT, pattern: str = "*.mp4") -> None:
    """Only the most recently used files stay (a segment is a few hundred kB, a frame tens)."""
    if not folder.is_dir():
        return
    files = []
    for path in folder.glob(pattern):
        try:
            files.append((path.stat().st_mtime, path))
        except FileNotFoundError:  # pruned by another render meanwhile
            continue
    for _, old in sorted(files, reverse=True)[keep:]:
        old.unlink(missing_ok=True)


def _starts_ok(doc: EditDoc) -> None:
    if any(start < -1e-6 for start in clip_starts(doc)):
        raise ValidationError("A transition is longer than the clip before it.")


class EditRenderer:
    def __init__(self, toolkit: FfmpegToolkit) -> None:
        self.toolkit = toolkit

    def render(
        self,
        doc: EditDoc,
        sources: dict[str, Path],
        dest: Path,
        settings: RenderSettings,
        *,
        on_progress: Progress | None = None,
    ) -> VideoFile:
        _starts_ok(doc)
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=dest.parent) as work, atomic_output(dest) as tmp:
            args = graph_in_file(build_command(self.toolkit, doc, sources, settings, Path(work), tmp), Path(work))
            self._run(["-progress", "pipe:1", "-nostats", *args], total_s(doc), on_progress)
            result = self.toolkit.video_file(tmp)
        return VideoFile(dest, result.duration_s, result.width, result.height, settings.content_type)

    def frame(self, doc: EditDoc, sources: dict[str, Path], at_s: float, dest: Path, settings: RenderSettings) -> Path:
        """The one picture of the edit at `at_s` (JPEG): only the clips showing then are read, each
        input seeked to its place (an accurate seek: FFmpeg decodes from the keyframe before)."""
        _starts_ok(doc)
        window, local = frame_window(doc, at_s, settings.fps)
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=dest.parent) as work, atomic_output(dest) as tmp:
            clock = WordClock(doc, sources) if doc.caption_style.animation == "word highlight" else None
            picture = _picture(_Inputs(self.toolkit), window, sources, settings)
            picture = _captioned(picture, window, settings, Path(work), clock)
            if local > 0:
                picture = picture.filter("trim", start=f"{local - 0.5 / settings.fps:.4f}")
            still = {"c:v": "mjpeg", "q:v": 3, "pix_fmt": "yuvj420p", "frames:v": 1, "update": 1}
            graph = ffmpeg.output(picture, file_url(tmp), format="image2", **still, **BITEXACT_OPTIONS)
            self.toolkit.run(graph_in_file(graph_args(graph), Path(work)), what="edit frame")
        return dest

    def render_proxy(
        self, doc: EditDoc, sources: dict[str, Path], dest: Path, settings: RenderSettings, segments: Path
    ) -> VideoFile:
        """The preview in two stages: each clip cut, cropped and scaled to the proxy size once and
        kept under `segments` by a fingerprint of its inputs, then the segments joined with the
        transitions, the captions and the mix. A changed caption re-runs only the join; a changed
        trim re-renders that clip's segment alone. (Exports never use segments: one encode.)"""
        _starts_ok(doc)
        segments.mkdir(parents=True, exist_ok=True)
        keys, lengths, todo = [], [], {}
        for clip in doc.clips:
            key = "segment:" + segment_fingerprint(clip, sources[clip.source_key], settings)
            path = segments / f"{key[8:]}.mp4"
            keys.append(key)
            lengths.append(clip.length_s)
            if not path.exists():
                todo[key] = (clip, path)
        workers = max(1, min(len(todo), self.toolkit.threads))
        with ThreadPoolExecutor(max_workers=workers) as pool:  # one FFmpeg per core: decoding is the cost
            done = [
                pool.submit(self._segment, clip, sources[clip.source_key], path, settings)
                for clip, path in todo.values()
            ]
            for future in done:
                future.result()
        joined_sources = {**sources, **{key: segments / f"{key[8:]}.mp4" for key in keys}}
        joined = self.render(_segment_doc(doc, keys, lengths), joined_sources, dest, settings)
        for key in keys:
            os.utime(joined_sources[key])  # recently used: kept by `prune_segments`
        return joined

    def _segment(self, clip: VideoClip, source: Path, dest: Path, s: RenderSettings) -> None:
        single = replace(clip, transition="cut", transition_s=0.0)
        opener = _Inputs(self.toolkit, fast_decode=True)
        # Area averaging: a clean downscale to the proxy size for about a quarter less CPU than bicubic.
        picture = _clip_stream(single, opener.open(source, clip.in_s, clip.length_s), s, scaler="area")
        options = {"c:v": "libx264", "preset": "ultrafast", "crf": SEGMENT_CRF, "pix_fmt": "yuv420p", "threads": 1}
        with atomic_output(dest) as tmp:
            graph = ffmpeg.output(
                picture, file_url(tmp), format="mp4", t=f"{clip.length_s:.3f}", **options, **BITEXACT_OPTIONS
            )
            self.toolkit.run_graph(graph, what="proxy segment")

    def _run(self, args: list[str], total: float, on_progress: Progress | None) -> None:
        """Like FfmpegToolkit.run, reading FFmpeg's progress lines as it encodes."""
        cmd = self.toolkit.command(*args)
        with tempfile.TemporaryFile() as stderr:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL)
            timer = threading.Timer(self.toolkit.timeout_s, proc.kill)
            timer.start()
            try:
                assert proc.stdout is not None
                for raw in proc.stdout:
                    line = raw.decode("ascii", "replace").strip()
                    if on_progress and line.startswith("out_time_us=") and line[12:].isdigit() and total > 0:
                        on_progress(min(1.0, int(line[12:]) / 1e6 / total))
                code = proc.wait()
            finally:
                timed_out = not timer.is_alive() and proc.returncode not in (0, None)
                timer.cancel()
            if timed_out and code < 0:
                raise ProviderTimeout("The export took too long.", provider="ffmpeg")
            if code != 0:
                stderr.seek(0)
                raise self.toolkit.failure("edit render", stderr.read().decode("utf-8", "replace"))
