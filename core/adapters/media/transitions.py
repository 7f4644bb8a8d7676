"""Every fade of the ad in one filter: one `maskedmerge` over the whole picture, whatever the scene count.

A chain of `xfade`s keeps memory for each transition to the end of the render: every filter
link holds a pool of the frames it ever had in flight (each `xfade` in 4:4:4 with a format
conversion on each side, 50-100 MB at 1080x1920), and a pool is freed only with the graph.
The crossfade, the dissolve and the dip to black are per-frame mixes of the two pictures
(and black), so they are made here by one merge in 4:2:0 for the whole ad:

- the picture (`base`) shows the incoming scene during each transition;
- a second stream (`overlay`) carries the outgoing scene's last frames at those moments
  (the dissolve field's one frame in between: nothing is merged there);
- a mask stream gives, per frame, the outgoing picture's weight in 256ths: uniform for a
  crossfade or a dip, the dissolve field thresholded for a dissolve (`lut` filters, one per
  distinct weight, each switched on for its frames only and working in place);
- for a dip to black the outgoing frames are first taken toward black (`lut` again), so
  incoming, outgoing and black mix as `xfade=fadeblack` mixes them.

The weights follow `xfade`'s own formulas (progress 1 at a transition's first frame), so the
transitions look as before (within a grey level or two of rounding). Whip and zoom move pixels
and keep their own `xfade` (see `postprod._joined`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np

from core.adapters.media.ffmpeg import file_url
from core.domain.ads import Transition

MERGED = frozenset({Transition.CROSSFADE, Transition.DISSOLVE, Transition.DIP_TO_BLACK})
PAD = 2  # frames of zero weight each side of a transition: the merge's switch may read a neighbouring frame
DIP_PHASE = 0.2  # `xfade=fadeblack`'s own: the outgoing picture is gone before the middle, the incoming comes after


@dataclass(frozen=True, slots=True)
class Span:
    """A transition the merge makes: its kind, its first output frame and its length in frames."""

    kind: Transition
    first: int
    frames: int


@dataclass(frozen=True, slots=True)
class MergeFrame:
    """One output frame of a transition: the outgoing picture's weight as a `lut` expression of 0..255
    (256ths; over the dissolve field's values for a dissolve) and its gain toward black (dip to black)."""

    frame: int
    mask: str
    gain: float = 1.0


def _smoothstep(edge0: float, edge1: float, x: float) -> float:
    t = min(1.0, max(0.0, (x - edge0) / (edge1 - edge0)))
    return t * t * (3 - 2 * t)


def _weight(share: float) -> str:
    return str(min(255, round(256 * share)))


def frame_weights(kind: Transition, frames: int) -> list[tuple[str, float]]:
    """(mask expression, gain) for each frame of one transition, from `xfade`'s formulas with its progress
    p = 1 - i / frames (1: all outgoing): crossfade p; dissolve the pixels whose field value is at least
    1 - p; dip to black p * s(0.8) outgoing and (1 - p) * (1 - s(0.2)) incoming (s: smoothstep of p), the rest black."""
    weights = []
    for i in range(frames):
        p = 1 - i / frames
        if kind is Transition.DISSOLVE:
            weights.append((f"255*gte(val,{math.ceil(256 * i / frames)})", 1.0))
        elif kind is Transition.DIP_TO_BLACK:
            outgoing = p * _smoothstep(1 - DIP_PHASE, 1, p)
            incoming = (1 - p) * (1 - _smoothstep(DIP_PHASE, 1, p))
            shown = 1 - incoming  # the merge's weight; the outgoing picture, darkened, supplies the black
            weights.append((_weight(shown), round(outgoing / shown, 4) if shown > 0 else 1.0))
        else:
            weights.append((_weight(p), 1.0))
    return weights


def merge_plan(spans: Iterable[Span]) -> list[MergeFrame]:
    return [
        MergeFrame(span.first + i, mask, gain)
        for span in spans
        for i, (mask, gain) in enumerate(frame_weights(span.kind, span.frames))
    ]


def frames_expression(frames: Iterable[int]) -> str:
    """A timeline `enable` for exactly these frame numbers (runs of consecutive frames as one `between`)."""
    runs: list[list[int]] = []
    for n in sorted(set(frames)):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return "+".join(f"between(n,{a},{b})" for a, b in runs)


def write_dissolve_field(width: int, height: int, path: Path) -> Path:
    """`xfade`'s dissolve pattern, fract(sin(12.9898 x + 78.233 y) * 43758.545) in float32 as it computes it,
    as one raw 4:2:0 frame in 256ths (each chroma sample takes the pattern at its block's top-left pixel)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    r = np.sin(x * np.float32(12.9898) + y * np.float32(78.233)) * np.float32(43758.545)
    luma = np.minimum(255, np.floor((r - np.floor(r)) * 256)).astype(np.uint8)
    chroma = luma[::2, ::2]
    path.write_bytes(luma.tobytes() + chroma.tobytes() + chroma.tobytes())
    return path


def field_stream(path: Path, width: int, height: int, fps: int) -> Any:
    """The field, decoded once and repeated (`loop` hands out the same frame), one frame per output frame."""
    still = ffmpeg.input(
        file_url(path), format="rawvideo", pix_fmt="yuv420p", video_size=(width, height), framerate=fps,
        protocol_whitelist="file",
    )  # fmt: skip
    repeated = still["v:0"].filter("loop", loop=-1, size=1, start=0).filter("setsar", 1)
    return repeated.filter("setpts", "N").filter("settb", f"1/{fps}")


def _framewise(stream: Any, frames: list[MergeFrame], value: Any, window: Iterable[int]) -> Any:
    """`lut`s giving each frame its own values: the first copies the frames of `window` (so the others
    write in place, with no frame pool of their own), then one per distinct value, on for its frames."""
    groups: dict[Any, list[int]] = {}
    for frame in frames:
        groups.setdefault(value(frame), []).append(frame.frame)
    stream = stream.filter("lut", y="val", u="val", v="val", enable=frames_expression(window))
    for expressions, numbers in groups.items():
        stream = stream.filter("lut", **dict(zip("yuv", expressions, strict=True)), enable=frames_expression(numbers))
    return stream


def _outgoing(spans: list[Span], tails: list[Any], field: Any, fps: int) -> Any:
    """The outgoing scenes' last frames at their transitions' frames, the field's frames in between (anything
    will do: nothing is merged there; they are one shared frame, where holding a tail's last frame would keep
    a frame per transition to the end of the render)."""
    segments, at = [], 0
    gaps = field.split()
    for i, (span, tail) in enumerate(zip(spans, tails, strict=True)):
        if span.first > at:
            segments.append(gaps[i].filter("trim", start_frame=at, end_frame=span.first))
        segments.append(tail)
        at = span.first + span.frames
    joined = segments[0] if len(segments) == 1 else ffmpeg.concat(*segments, v=1, a=0)
    return joined.filter("settb", f"1/{fps}").filter("setpts", "N")


def merge_transitions(picture: Any, spans: list[Span], tails: list[Any], field: Any, fps: int, total: int) -> Any:
    """`picture` (the incoming scene during each span) with each span's outgoing frames (`tails`) mixed in
    by one `maskedmerge`; `field` is `field_stream`'s (split here), `total` the picture's frame count."""
    plan = merge_plan(spans)
    shown = {f.frame for f in plan}
    around = {n for s in spans for n in range(s.first - PAD, s.first + s.frames + PAD) if 0 <= n < total}
    pads = [MergeFrame(n, "0") for n in sorted(around - shown)]
    sources = field.split()
    outgoing = _outgoing(spans, tails, sources[1], fps)
    dips = [f for f in plan if f.gain < 1]
    if dips:  # toward xfade's black: luma 0, chroma 127
        gains = {f.frame for f in dips}
        outgoing = _framewise(outgoing, dips, lambda f: _toward_black(f.gain), gains)
    mask = sources[0].filter("trim", end_frame=max(around) + 1)
    mask = _framewise(mask, plan + pads, lambda f: (f.mask, f.mask, f.mask), around)
    # Switched on one frame wider than the spans: the merge may judge a frame by its neighbour; the pads'
    # zero weight then leaves the picture as it is (base + (0 * (overlay - base) + 128) >> 8 = base).
    wide = {n for s in spans for n in range(s.first - 1, s.first + s.frames + 1) if 0 <= n < total}
    return ffmpeg.filter([picture, outgoing, mask], "maskedmerge", enable=frames_expression(wide))


def _toward_black(gain: float) -> tuple[str, str, str]:
    chroma = f"127+(val-127)*{gain}"
    return f"val*{gain}", chroma, chroma
