"""Post-production in one FFmpeg pass per output: one lossy video encode, by construction.

One command takes every scene clip, every voice line and the music bed, and in a single
filter graph: scales and crops each clip to the output's aspect, joins them with cuts and
transitions (crossfade, dissolve and dip to black all made by one shared merge, see
`core.adapters.media.transitions`; whip and zoom by `xfade`), takes the soundtrack mixed
beforehand in numpy (`mixdown`: voice lines at their scenes, music ducked under them,
EBU R128 loudness), adds the realism layer (micro-shake, saturation trim, film grain,
vignette) and burns in captions timed to the voice (`drawtext` reading generated text
files with `expansion=none`). The clips are decoded once and the result encoded once.

Clips that share a codec and size are read as one input through FFmpeg's concat demuxer
(one decoder, whatever the number of scenes) and split per scene by time, so memory stays
flat with the scene count; clips that differ fall back to one input each.
"""

from __future__ import annotations

import logging
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np
from PIL import Image

from core.adapters.media.captions import (
    PlacedCaption,
    Rect,
    between,
    chunk_line,
    font_for,
    place,
    safe_file_stem,
)
from core.adapters.media.ffmpeg import BITEXACT_OPTIONS, FASTSTART_OPTIONS, file_url, graph_args
from core.adapters.media.files import atomic_output
from core.adapters.media.mixdown import VoicePlacement, mix
from core.adapters.media.probe import decode_audio_mono, require_sniff
from core.adapters.media.transitions import MERGED, Span, field_stream, merge_transitions, write_dissolve_field
from core.adapters.media.voice_timing import CUT_AFTER_S, Speech, fit_breaths
from core.domain.ads import Caption, Platform, RealismSettings, Transition
from core.domain.media import VideoFile
from core.ports import PostProduction

logger = logging.getLogger(__name__)

VOICE_LEAD_S = 0.12  # a breath between a scene's first frame (or the middle of its transition) and its line
VOICE_TAIL_S = 0.2


@dataclass(frozen=True, slots=True)
class SceneCut:
    clip: Path
    clip_duration_s: float
    voice: Path | None = None
    voice_duration_s: float = 0.0
    dialogue: str = ""
    transition: Transition = Transition.CUT  # into this scene from the one before
    duration_s: float | None = None  # the scene's length in the script (default: the clip's)
    speech: Speech | None = None  # where the speech is inside the voice file (timing that follows the voice)
    clip_voice_at_s: float | None = None  # a lip-synced clip: where its voice file starts in the clip
    pause_before: bool = False  # the call to action: a deliberate pause before its line
    keep_clear: tuple[Rect, ...] = ()  # the face and the product, in the clip's pixels: captions stay off them
    clip_size: tuple[int, int] | None = None
    hold_s: float = 0.0  # a long take the script asked for: the scene lasts at least this long, line or not

    @property
    def nominal_s(self) -> float:
        return self.duration_s if self.duration_s is not None else self.clip_duration_s


@dataclass(frozen=True, slots=True)
class EditSpec:
    scenes: tuple[SceneCut, ...]
    width: int
    height: int
    fps: int = 30
    platform: Platform = Platform.TIKTOK
    realism: RealismSettings = field(default_factory=RealismSettings)
    music: Path | None = None
    music_volume: float = 0.35
    captions: bool = True
    preset: str = "veryfast"
    crf: int = 21
    loudness_lufs: float = -14.0
    target_s: float | None = None  # the brief's duration
    follow_voice: bool = False  # scenes last their line plus breaths (else their script lengths)


@dataclass(frozen=True, slots=True)
class Timeline:
    starts: tuple[float, ...]  # when each scene first shows
    slots: tuple[float, ...]  # how long each scene's footage runs (transitions overlap neighbours)
    voice_at: tuple[float, ...]  # where each voice file starts
    fades: tuple[float, ...]  # transition length into each scene (0 for cuts and the first)
    total_s: float
    trims: tuple[float, ...] = ()  # seconds cut from the start of each clip (lip-synced clips line up)
    speech_starts: tuple[float, ...] = ()  # when each scene's speech starts and ends in the ad
    speech_ends: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class EditResult:
    video: VideoFile
    captions: list[Caption]
    placed: list[PlacedCaption]
    timeline: Timeline
    encode_passes: int
    command: list[str]
    keep_clear: list[list[Rect]] = field(default_factory=list)  # per scene, in output pixels


def _spoken(scene: SceneCut) -> bool:
    return scene.voice is not None and scene.speech is not None and scene.speech.length_s > 0


def scene_lengths(spec: EditSpec) -> tuple[list[float], list[float]]:
    """(each scene's own length, where its speech starts from the scene's own start).

    Script lengths by default, a scene growing only if its line would not fit. With
    `follow_voice`, a spoken scene lasts its lead (breath), its speech and a short tail."""
    if not spec.follow_voice:
        lengths = [
            max(s.nominal_s, VOICE_LEAD_S + s.voice_duration_s + VOICE_TAIL_S) if s.voice else s.nominal_s
            for s in spec.scenes
        ]
        offsets = [VOICE_LEAD_S + (s.speech.start_s if s.speech else 0.0) for s in spec.scenes]
        return lengths, offsets
    spoken = [k for k, s in enumerate(spec.scenes) if _spoken(s)]
    silent_s = sum(s.nominal_s for k, s in enumerate(spec.scenes) if k not in spoken)
    speech = [spec.scenes[k].speech.length_s for k in spoken]  # type: ignore[union-attr]
    target = spec.target_s - silent_s if spec.target_s is not None else None
    breaths = fit_breaths(speech, bool(spoken) and spec.scenes[spoken[-1]].pause_before, target)
    lengths, offsets = [s.nominal_s for s in spec.scenes], [0.0] * len(spec.scenes)
    for i, k in enumerate(spoken):
        last = i == len(spoken) - 1
        spoken_s = breaths.lead_s[i] + speech[i] + (breaths.hold_s if last else CUT_AFTER_S)
        lengths[k] = max(spec.scenes[k].hold_s, spoken_s)  # a long take holds past its line
        offsets[k] = breaths.lead_s[i]
    return lengths, offsets


def _whole_frames(lengths: list[float], offsets: list[float], fps: int) -> tuple[list[float], list[float]]:
    """Scene boundaries on whole frames (rounded where they fall, so no error adds up), each
    scene's speech offset moved with its start: a lip-synced clip's picture then lands on the
    frame its voice was planned for, not up to a frame off after a few scenes."""
    edges, t = [0.0], 0.0
    for length in lengths:
        t += length
        edges.append(round(t * fps) / fps)
    starts = [0.0, *(t for t in np.cumsum(lengths)[:-1])]
    moved = [o + (s - e) for o, s, e in zip(offsets, starts, edges, strict=False)]
    return [b - a for a, b in zip(edges, edges[1:], strict=False)], [max(0.0, o) for o in moved]


def _even_frames(seconds: float, fps: int) -> float:
    """A transition of an even number of frames: centred on a cut that is on a frame, it starts on one."""
    return 2 * round(seconds * fps / 2) / fps


def plan(spec: EditSpec) -> Timeline:
    """A transition is centred on the cut, taking half its length from each neighbour's
    handles (clips run a little past their scene); scene lengths from `scene_lengths`."""
    count = len(spec.scenes)
    lengths, offsets = _whole_frames(*scene_lengths(spec), spec.fps)
    fades = [0.0] + [
        _even_frames(min(spec.scenes[k].transition.seconds, lengths[k - 1] / 2, lengths[k] / 2), spec.fps)
        for k in range(1, count)
    ]
    starts, slots, voice_at, trims, said, ended = [], [], [], [], [], []
    t = 0.0  # where scene k's own time begins (the middle of its incoming transition)
    for k, scene in enumerate(spec.scenes):
        tail = fades[k + 1] / 2 if k + 1 < count else 0.0
        start, speech = t - fades[k] / 2, scene.speech
        file_at = max(0.0, t + offsets[k] - (speech.start_s if speech else 0.0))
        trim = 0.0
        if scene.clip_voice_at_s is not None:  # a lip-synced clip: cut whole frames, then the voice follows
            frames = max(0, round((scene.clip_voice_at_s - (file_at - max(0.0, start))) * spec.fps))
            trim = frames / spec.fps
            file_at = max(0.0, start) + scene.clip_voice_at_s - trim  # the picture's voice, to the sample
        starts.append(round(start, 3))
        voice_at.append(round(file_at, 3))
        trims.append(round(trim, 4))
        said.append(round(file_at + (speech.start_s if speech else 0.0), 3))
        ended.append(round(file_at + (speech.end_s if speech else scene.voice_duration_s), 3))
        slots.append(round(lengths[k] + fades[k] / 2 + tail, 3))
        t += lengths[k]
    rounded = tuple(round(f, 3) for f in fades)
    return Timeline(
        tuple(starts), tuple(slots), tuple(voice_at), rounded, round(t, 3), tuple(trims), tuple(said), tuple(ended)
    )


CAMERA_ROOM = 0.08  # a clip's camera move (zoom up to 1.14) carries boxes about this share further out


def output_box(box: Rect, clip: tuple[int, int], out: tuple[int, int], grow: float = CAMERA_ROOM) -> Rect:
    """A box in a clip's pixels where it lands in the output (scaled to cover, centred crop, as
    `_scene_chain` does), grown on each side by `grow` of its size for the camera move."""
    scale = max(out[0] / clip[0], out[1] / clip[1])
    ox, oy = (clip[0] * scale - out[0]) / 2, (clip[1] * scale - out[1]) / 2
    w, h = box.w * scale * (1 + 2 * grow), box.h * scale * (1 + 2 * grow)
    cx, cy = (box.x + box.w / 2) * scale - ox, (box.y + box.h / 2) * scale - oy
    x0, y0 = max(0, round(cx - w / 2)), max(0, round(cy - h / 2))
    x1, y1 = min(out[0], round(cx + w / 2)), min(out[1], round(cy + h / 2))
    return Rect(x0, y0, max(0, x1 - x0), max(0, y1 - y0))


def keep_clear_boxes(spec: EditSpec) -> list[list[Rect]]:
    return [
        [output_box(b, s.clip_size, (spec.width, spec.height)) for b in s.keep_clear] if s.clip_size else []
        for s in spec.scenes
    ]


def shake_margin(spec: EditSpec) -> int:
    """Pixels each scene is grown by on every side: room for the shake, and for the lens distortion to
    pull its edges inwards without showing the frame's border."""
    shake = math.ceil(spec.realism.shake_px * spec.width / 1080) + 1 if spec.realism.shake_px > 0 else 0
    room = shake + lens_margin(spec)
    return room + room % 2  # even: the picture then sits on whole chroma samples of the grown 4:2:0 frame


def lens_margin(spec: EditSpec) -> int:
    """A barrel of strength k samples up to (1 + k) times further out at the corners: that much room, in pixels."""
    k = spec.realism.lens_distortion
    return math.ceil(k * max(spec.width, spec.height) / 2) + 2 if k > 0 else 0


def _fit(spec: EditSpec, scene: SceneCut, margin: int, stream: Any) -> Any:
    """A clip's frames covering the grown canvas (the output plus `margin` on every side), centred, 4:2:0."""
    return _cover(spec, scene, margin, stream).filter("setsar", 1).filter("format", "yuv420p")


def _cover(spec: EditSpec, scene: SceneCut, margin: int, stream: Any) -> Any:
    w, h, size = spec.width + 2 * margin, spec.height + 2 * margin, scene.clip_size
    if size == (spec.width, spec.height) and margin > 0 and lens_margin(spec) == 0:
        # A clip made at the output's size needs only the shake's few pixels of room: its edges mirrored
        # outwards, no resampling of the whole frame (they show only at the edge, a pixel or two at a time).
        room = dict(left=margin, right=margin, top=margin, bottom=margin)
        return stream.filter("pad", w, h, margin, margin).filter("fillborders", **room, mode="mirror")
    # Growing a clip by a few pixels: bilinear looks the same and costs less than bicubic.
    near = size is not None and max(w / size[0], h / size[1]) < 1.02
    flags = "bilinear" if near else "bicubic"
    if size is None:
        return stream.filter("scale", w, h, force_original_aspect_ratio="increase", flags=flags).filter("crop", w, h)
    # Crop to the canvas's aspect first, so the scaler reads only the pixels that stay.
    cw, ch = min(size[0], round(size[1] * w / h)), min(size[1], round(size[0] * h / w))
    stream = stream.filter("crop", cw - cw % 2, ch - ch % 2) if (cw, ch) != size else stream
    return stream.filter("scale", w, h, flags=flags) if (cw, ch) != (w, h) else stream


def _scene_stream(spec: EditSpec, index: int, timeline: Timeline, margin: int, clip: Any, fitted: bool = False) -> Any:
    """One scene's picture: back to its own zero, trimmed, at the edit's rate and size, held on its
    last frame when it is shorter than its slot, cut to the slot (`fitted`: already at the size)."""
    scene, slot = spec.scenes[index], timeline.slots[index]
    trim = timeline.trims[index] if timeline.trims else 0.0
    pad = slot - (scene.clip_duration_s - trim)
    # Back to zero first: the clip's timestamps are where it sits in the joined input (see `ClipFeed`).
    stream = clip.filter("setpts", "PTS-STARTPTS")
    if trim > 0:
        stream = stream.filter("trim", start=f"{trim:.3f}").filter("setpts", "PTS-STARTPTS")
    # Cut to the slot before `fps` too: `fps` keeps the frames it holds when the stream after it is closed
    # early, to the end of the render (measured: ~18 MB per scene at 1080x1920), but lets them go at its
    # own input's end.
    stream = stream.filter("trim", duration=f"{slot:.3f}").filter("fps", spec.fps)
    if not fitted:
        stream = _fit(spec, scene, margin, stream)
    if pad > -0.05:
        stream = stream.filter("tpad", stop_mode="clone", stop_duration=f"{pad + 0.1:.3f}")
    return (
        stream.filter("trim", duration=f"{slot:.3f}").filter("setpts", "PTS-STARTPTS").filter("settb", f"1/{spec.fps}")
    )


def _frames(seconds: float, fps: int) -> int:
    return round(seconds * fps)


def _piece(stream: Any, first: int, end: int | None = None) -> Any:
    """Frames [first, end) of a scene's stream (whole frames: the plan puts every boundary on one), from zero."""
    bounds = {"start_frame": first} if end is None else {"start_frame": first, "end_frame": end}
    return stream.filter("trim", **bounds).filter("setpts", "PTS-STARTPTS")


def _joined(
    spec: EditSpec, timeline: Timeline, scenes: list[Any], heads: list[Any] | None = None, field: Any = None
) -> Any:
    """The scenes in order: cuts joined by one `concat`, transitions over each cut.

    The pieces are each scene's own stretch and, at a transition, the incoming scene's first
    frames. Crossfades, dissolves and dips to black are then mixed in by one filter for the whole
    ad (`transitions.merge_transitions`, fed the outgoing scenes' last frames and `field`, the
    dissolve pattern): memory stays flat with the number of transitions. Whips and zooms move
    pixels: each is an `xfade` of just the two scenes' overlapping frames, back to 4:2:0 at once,
    so the joins stay in the format the clips and the look filters use."""
    fps, count = spec.fps, len(scenes)
    fade = [
        _frames(timeline.fades[k], fps) if k and spec.scenes[k].transition.xfade else 0 for k in range(count)
    ]  # fmt: skip
    pieces: list[Any] = []
    spans: list[Span] = []
    tails: list[Any] = []  # the outgoing scenes' last frames, one per span
    tail: Any = None
    at = 0  # the output frame where scene k's first frame shows
    for k, scene in enumerate(scenes):
        at = _frames(timeline.starts[k], fps) if fade[k] else at
        out_at = _frames(timeline.starts[k + 1], fps) - at if k + 1 < count and fade[k + 1] else None
        own_head = fade[k] and heads is None
        uses = (1 if own_head else 0) + 1 + (1 if out_at is not None else 0)
        parts = iter([scene] if uses == 1 else [scene.split()[i] for i in range(uses)])
        if fade[k]:
            head = _piece(next(parts) if heads is None else heads[k], 0, fade[k])
            kind = spec.scenes[k].transition
            if kind in MERGED:
                spans.append(Span(kind, at, fade[k]))
                tails.append(tail)
                pieces.append(head)
            else:
                seconds = f"{fade[k] / fps:.6f}"
                joint = ffmpeg.filter([tail, head], "xfade", transition=kind.xfade, duration=seconds, offset=0)
                pieces.append(joint.filter("format", "yuv420p"))
        pieces.append(_piece(next(parts), fade[k], out_at))
        if out_at is not None:
            tail = _piece(next(parts), out_at, out_at + fade[k + 1])
        else:
            at += _frames(timeline.slots[k], fps)
    joined = pieces[0] if len(pieces) == 1 else ffmpeg.concat(*pieces, v=1, a=0)
    # Every frame on its slot (frame n at n / fps): concat adds the pieces' lengths from their frames'
    # durations, which a trimmed piece may carry a fraction off, and the shake and captions read `t`.
    joined = joined.filter("settb", f"1/{fps}").filter("setpts", "N")
    if not spans:
        return joined
    return merge_transitions(joined, spans, tails, field, fps, _frames(timeline.total_s, fps))


def merged_transitions(spec: EditSpec, timeline: Timeline) -> bool:
    """Whether any transition is made by the shared merge (it then needs the dissolve field)."""
    return any(
        k and timeline.fades[k] > 0 and scene.transition in MERGED for k, scene in enumerate(spec.scenes)
    )  # fmt: skip


JOIN_GAP_S = 1.0  # empty time between clips in the joined input: a clip a little longer than probed stays apart


class ClipFeed:
    """Each scene's clip as a stream, read with as few decoders as the clips allow.

    Clips of one codec and size go through FFmpeg's concat demuxer as one input: one decoder
    for the whole ad, its clips laid end to end with `JOIN_GAP_S` of nothing between them;
    each scene takes its clip back out by time (`split` + `trim`: the frames are shared, not
    copied). FFmpeg then holds one clip's decoder and a scene's frames at a time, not every
    clip's at once. Transitions need two clips at the same moment: the incoming clips' first
    frames come from a second, short list, so they are decoded alongside the outgoing clip's
    last ones (waiting in the graph instead, those frames grew memory at every transition).
    Clips that differ fall back to one input each. With any merged transition the dissolve
    pattern is one more input, a raw frame read once (`transitions.write_dissolve_field`)."""

    def __init__(
        self, toolkit: PostProduction, spec: EditSpec, timeline: Timeline, work_dir: Path, margin: int
    ) -> None:
        self.toolkit, self.spec, self.timeline, self.work_dir, self.margin = toolkit, spec, timeline, work_dir, margin

    def picture(self) -> Any:
        """The scenes joined (`_joined`), their clips read as `ClipFeed` says."""
        spec, timeline, margin = self.spec, self.timeline, self.margin
        field = self._field()
        if not self.joinable():
            separate = [_scene_stream(spec, k, timeline, margin, c) for k, c in enumerate(self._separate())]
            return _joined(spec, timeline, separate, field=field)
        whole = {k: scene.clip_duration_s for k, scene in enumerate(spec.scenes)}
        scenes = [_scene_stream(spec, k, timeline, margin, c, True) for k, c in self._joined("clips", whole).items()]
        # The incoming scenes' first frames come from a second reader of the same list, so they are
        # decoded at the same moment as the outgoing scenes' last ones: nothing waits in the graph.
        fading = [k for k in range(1, len(scenes)) if spec.scenes[k].transition.xfade and timeline.fades[k] > 0]
        if not fading:
            return _joined(spec, timeline, scenes)
        # Only each incoming clip's first stretch (its lip-sync trim, the transition, a margin) is read.
        starts = {k: min(spec.scenes[k].clip_duration_s, timeline.trims[k] + timeline.fades[k] + 0.5) for k in fading}
        second = self._joined("heads", starts)  # its own list: FFmpeg opens it as its own input
        heads = [
            _scene_stream(spec, k, timeline, margin, second[k], True) if k in second else None
            for k in range(len(scenes))
        ]
        return _joined(spec, timeline, scenes, heads, field)

    def _field(self) -> Any:
        """The dissolve pattern at the grown canvas's size, when the shared merge makes any transition."""
        if not merged_transitions(self.spec, self.timeline):
            return None
        w, h = self.spec.width + 2 * self.margin, self.spec.height + 2 * self.margin
        self.work_dir.mkdir(parents=True, exist_ok=True)
        path = write_dissolve_field(w, h, self.work_dir / "dissolve.yuv")
        return field_stream(path, w, h, self.spec.fps)

    def joinable(self) -> bool:
        """One decoder can read them all: the same container, codec and size (probed, not assumed)."""
        if len(self.spec.scenes) < 2:
            return False
        facts = set()
        for scene in self.spec.scenes:
            info = self.toolkit.probe(scene.clip)
            if not info.has_video or info.video_codec is None:
                return False
            facts.add((require_sniff(scene.clip).demuxer, info.video_codec, info.width, info.height))
        return len(facts) == 1

    def _separate(self) -> list[Any]:
        # Each clip's timestamps start where its scene shows (-itsoffset), so FFmpeg's scheduler reads a
        # clip only when the edit reaches it; one decoder thread each, as clips play in turn.
        return [
            self.toolkit.source(scene.clip, threads=1, itsoffset=f"{max(0.0, self.timeline.starts[k]):.3f}")["v:0"]
            for k, scene in enumerate(self.spec.scenes)
        ]

    def _joined(self, name: str, lengths: dict[int, float]) -> dict[int, Any]:
        """One concat-demuxer input reading the first `lengths[k]` seconds of scene k's clip, for the
        scenes listed; each scene's frames back out by time, fitted to the output size."""
        options = {"safe": 1, "protocol_whitelist": "file", "threads": 1, "reinit_filter": 0}
        # One graph for the whole ad: a clip whose colour tags differ must not restart it (and every scene in it).
        joined = ffmpeg.input(file_url(self._write_listing(name, lengths)), format="concat", **options)
        # Scaled once, before the split: the frames then come from one buffer pool, not one per scene
        # (a pool keeps every buffer it ever handed out until the end: flat memory needs few of them).
        parts = _fit(self.spec, self.spec.scenes[0], self.margin, joined["v:0"]).split()
        streams, at = {}, 0.0
        for i, (k, length) in enumerate(lengths.items()):
            # The clip's own frames: from half a gap before its first to half a gap after its last.
            window = {"start": f"{max(0.0, at - JOIN_GAP_S / 2):.6f}", "end": f"{at + length + JOIN_GAP_S / 2:.6f}"}
            streams[k] = parts[i].filter("trim", **window)
            at += length + JOIN_GAP_S
        return streams

    def _write_listing(self, name: str, lengths: dict[int, float]) -> Path:
        """The concat demuxer's list: links with plain relative names (the demuxer's `safe` mode
        accepts nothing else), each clip read to `lengths[k]` and placed that long plus the gap."""
        lines = ["ffconcat version 1.0"]
        self.work_dir.mkdir(parents=True, exist_ok=True)  # `arguments` may be asked for a graph alone
        for k, length in lengths.items():
            link = self.work_dir / f"clip{k:03d}.mp4"
            if not link.is_symlink():
                link.symlink_to(Path(self.spec.scenes[k].clip).resolve())
            lines += [f"file {link.name}", f"duration {length + JOIN_GAP_S:.6f}"]
            if length < self.spec.scenes[k].clip_duration_s:
                lines.append(f"outpoint {length:.6f}")
        listing = self.work_dir / f"{name}.ffconcat"
        listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return listing


def _realism(spec: EditSpec, stream: Any, margin: int) -> Any:
    real = spec.realism
    # The joins run in 4:4:4 (`xfade` has no 4:2:0): back to 4:2:0 before the per-frame work, so the look
    # filters touch half the chroma and the encoder gets the format it wants without another conversion.
    stream = _whip_blur(spec, stream.filter("format", "yuv420p"))
    if real.lens_distortion > 0:  # on the grown frame, so the pulled-in edges stay outside the picture
        stream = stream.filter("lenscorrection", k1=f"{real.lens_distortion:.3f}", k2="0", i="bilinear")
    if margin:
        amp = spec.realism.shake_px * spec.width / 1080
        x = f"{margin}+{amp:.3f}*(0.7*sin(2*PI*1.3*t)+0.3*sin(2*PI*3.1*t+1))"
        y = f"{margin}+{amp:.3f}*(0.7*sin(2*PI*1.1*t+2)+0.3*sin(2*PI*2.7*t))"
        stream = stream.filter("crop", spec.width, spec.height, x=x, y=y)
    if real.chromatic_aberration > 0:  # colour fringes: blue-difference one way, red-difference the other
        shift = max(1, round(real.chromatic_aberration * spec.width / 1080 / 2))  # chroma is half size
        stream = stream.filter("chromashift", cbh=-shift, crh=shift, edge="smear")
    if real.lut:  # the grade: our own .cube (see core.adapters.media.lut), in RGB, back to 4:2:0
        stream = stream.filter("format", "gbrp").filter("lut3d", file=str(real.lut), interp="tetrahedral")
        stream = stream.filter("format", "yuv420p")
    if abs(real.saturation - 1.0) > 1e-3:
        stream = stream.filter("eq", saturation=f"{real.saturation:.3f}")
    return stream


WHIP_BLUR = 24.0  # horizontal Gaussian blur (sigma in pixels at 1080 wide) over a whip


def _whip_blur(spec: EditSpec, stream: Any) -> Any:
    """A whip pan's motion blur: a horizontal-only blur over each whip transition (timeline `enable`)."""
    timeline = plan(spec)
    for index, scene in enumerate(spec.scenes):
        fade = timeline.fades[index]
        if scene.transition is Transition.WHIP and fade > 0:
            start = timeline.starts[index]
            sigma = f"{WHIP_BLUR * spec.width / 1080:.1f}"
            stream = stream.filter("gblur", sigma=sigma, sigmaV="0", steps=1, enable=between(start, start + fade))
    return stream


GRAIN_HOLD = 2  # output frames each grain pattern stays (see `_grain`)
GRAIN_ROOM = 64  # the grain tile's extra pixels on every side: each grain frame is a crop of it somewhere else
GRAIN_SEED = 19
# Luma levels of standard deviation per unit of `RealismSettings.grain`: the spread of FFmpeg `noise`'s uniform
# grain of that strength (its old implementation), so saved settings keep their meaning.
GRAIN_SIGMA_PER_STRENGTH = 1 / math.sqrt(12)


def write_grain_tile(width: int, height: int, strength: float, path: Path, seed: int = GRAIN_SEED) -> Path:
    """One raw yuv420p frame of luma grain: mid-grey plus Gaussian noise (chroma neutral: a phone's processing
    wipes out colour noise), `GRAIN_ROOM` larger than the output on every side. Seeded: the same every render."""
    w, h = width + 2 * GRAIN_ROOM, height + 2 * GRAIN_ROOM
    noise = np.random.default_rng(seed).standard_normal((h, w), np.float32) * strength * GRAIN_SIGMA_PER_STRENGTH
    luma = np.clip(np.rint(128 + noise), 0, 255).astype(np.uint8)
    path.write_bytes(luma.tobytes() + np.full(2 * (h // 2) * (w // 2), 128, np.uint8).tobytes())
    return path


def grain_offset(axis: int) -> str:
    """Where grain frame `n` is cut from the tile: an even offset in [0, 2 * GRAIN_ROOM) from a hash of `n`
    (the shader hash fract(sin(n * 12.9898) * 43758.5453)): each frame's grain unrelated to the last."""
    hashed = f"sin(n*12.9898+{axis})*43758.5453"
    return f"2*floor({GRAIN_ROOM}*({hashed}-floor({hashed})))"


def _grain(spec: EditSpec, picture: Any, work_dir: Path) -> Any:
    """Film grain on the luma, a new pattern every `GRAIN_HOLD` frames (15 a second at 30 fps).

    Fresh noise on every frame (FFmpeg `noise`) cost more than the rest of the look together, inside the
    encoder: x264 can skip no block whose noise changed. Film's own grain changes with its frames (24 a
    second, each shown for two or three video frames after a pull-down), so holding a pattern for two
    frames keeps the look and lets x264 skip the flat, still parts of every other frame (measured: 3.7
    CPU s for a 30 s ad instead of 5; docs/benchmarks.md, issue 19). `noise` also drew its temporal
    noise from one generator shared by its slice threads, so no two renders matched; this is seeded.
    The patterns are crops of one tile at hashed offsets (`loop` hands the same tile on, `crop` moves a
    pointer: no per-frame noise generation) added to the luma by `blend`'s grain merge (A + B - 128);
    chroma is passed through. At the default strength x264 veryfast CRF 21 smooths most of it away on
    real footage; grain coarse enough to survive costs about twice the CPU (same measurements)."""
    if spec.realism.grain <= 0:
        return picture
    tile = write_grain_tile(spec.width, spec.height, spec.realism.grain, work_dir / "grain.yuv")
    size = (spec.width + 2 * GRAIN_ROOM, spec.height + 2 * GRAIN_ROOM)  # ffmpeg-python writes it as WxH
    rate = f"{spec.fps}/{GRAIN_HOLD}"
    raw = {"format": "rawvideo", "pixel_format": "yuv420p", "video_size": size, "framerate": rate}
    source = ffmpeg.input(file_url(tile), protocol_whitelist="file", **raw)  # our own frame
    frames = source["v:0"].filter("loop", loop=-1, size=1).filter("setpts", f"N*{GRAIN_HOLD}/{spec.fps}/TB")
    grain = frames.filter("crop", spec.width, spec.height, x=grain_offset(1), y=grain_offset(2))
    # The picture drives the output (blend's first input); each grain frame stays until the next one's time.
    return ffmpeg.filter([picture, grain], "blend", c0_mode="grainmerge", shortest=1)


def vignette_angle(realism: RealismSettings) -> float:
    return realism.vignette * 0.8


def write_vignette_mask(width: int, height: int, angle: float, path: Path) -> Path:
    """The vignette as one still: black with alpha 1 - cos^4(angle * d / dmax), FFmpeg's `vignette`
    curve (d from the centre, dmax the half diagonal). Overlaid on every frame it darkens as
    that filter does (chroma pulled to neutral alike), but the curve is computed once, not per frame."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    d = np.hypot(x - width / 2, y - height / 2) / math.hypot(width / 2, height / 2)
    factor = np.cos(np.minimum(angle * d, math.pi / 2)) ** 4
    rgba = np.zeros((height, width, 4), np.uint8)
    rgba[..., 3] = np.rint((1.0 - factor) * 255).astype(np.uint8)
    Image.fromarray(rgba, "RGBA").save(path, format="PNG", optimize=False, compress_level=1)
    return path


def _drawtext(stream: Any, placed: PlacedCaption, text_file: Path) -> Any:
    """A caption read from its file (`textfile=`, `expansion=none`): the words never enter the graph."""
    pad = round(placed.font_size * 0.25)
    return stream.filter(
        "drawtext",
        fontfile=str(font_for(placed.caption.text)),
        textfile=str(text_file),
        expansion="none",
        text_align="C",
        fontsize=placed.font_size,
        fontcolor="white",
        borderw=max(1, round(placed.font_size * 0.09)),
        bordercolor="black@0.85",
        line_spacing=placed.line_spacing,
        x=f"{placed.box.x + pad}+({placed.box.w - 2 * pad}-text_w)/2",
        y=placed.box.y + pad,
        enable=between(placed.caption.start_s, placed.caption.end_s),
    )


CONVERSION_FLAGS = "fast_bilinear"  # 4:2:0 <-> 4:4:4 at the same size: only chroma is resampled, unseen


def cheap_conversions(args: list[str]) -> list[str]:
    """The scalers FFmpeg inserts for pixel-format conversions (around `xfade`, for the LUT) get the cheapest
    resampling: they only move chroma between 4:2:0 and 4:4:4 at the same size, where bicubic buys nothing
    visible. Our own `scale` filters name their flags and keep them."""
    index = args.index("-filter_complex") + 1
    return [*args[:index], f"sws_flags={CONVERSION_FLAGS};{args[index]}", *args[index + 1 :]]


def _output_options(spec: EditSpec, timeline: Timeline, threads: int) -> dict[str, Any]:
    """The one lossy video encode (x264), the sound to AAC stereo, cut to the planned length."""
    video = {"c:v": "libx264", "preset": spec.preset, "crf": spec.crf, "pix_fmt": "yuv420p", "r": spec.fps}
    audio = {"c:a": "aac", "b:a": "160k", "ar": 48000, "ac": 2}
    return {**video, "threads": threads, **audio, "t": f"{timeline.total_s:.3f}"}


class PostProducer:
    """Builds and runs the one FFmpeg command per output through the toolkit (argv, no shell)."""

    def __init__(self, toolkit: PostProduction, *, threads: int = 2) -> None:
        self.toolkit = toolkit
        self.threads = threads

    def captions_for(self, spec: EditSpec, timeline: Timeline) -> list[tuple[Caption, int]]:
        """Each scene's line in short captions timed to its speech, with the scene's index."""
        captions: list[tuple[Caption, int]] = []
        for index, scene in enumerate(spec.scenes):
            if scene.voice and scene.dialogue:
                start = timeline.speech_starts[index] if timeline.speech_starts else timeline.voice_at[index]
                end = timeline.speech_ends[index] if timeline.speech_ends else start + scene.voice_duration_s
                captions += [(c, index) for c in chunk_line(scene.dialogue, start, end - start)]
        return captions

    def mixdown(self, spec: EditSpec, timeline: Timeline, work_dir: Path) -> Path:
        """The whole soundtrack as one WAV at the loudness target (numpy; no FFmpeg run)."""
        voices = [
            VoicePlacement(scene.voice, timeline.voice_at[index])
            for index, scene in enumerate(spec.scenes)
            if scene.voice is not None
        ]
        music = decode_audio_mono(spec.music, rate=48_000) if spec.music is not None else None
        result = mix(
            voices,
            music,
            timeline.total_s,
            work_dir / "mix.wav",
            music_volume=spec.music_volume,
            target_lufs=spec.loudness_lufs,
        )
        return result.path

    def arguments(self, spec: EditSpec, out: Path, work_dir: Path) -> tuple[list[str], Timeline, list[PlacedCaption]]:
        if not spec.scenes:
            raise ValueError("post-production needs at least one scene")
        timeline, margin = plan(spec), shake_margin(spec)
        joined = ClipFeed(self.toolkit, spec, timeline, work_dir, margin).picture()
        sound = self.toolkit.source(self.mixdown(spec, timeline, work_dir))
        timed, clear = self.captions_for(spec, timeline) if spec.captions else [], keep_clear_boxes(spec)
        avoid = [clear[index] for _, index in timed]
        placed = place([c for c, _ in timed], spec.platform, spec.width, spec.height, avoid)
        picture = _grain(spec, _realism(spec, joined, margin), work_dir)
        if spec.realism.vignette > 0:
            mask = write_vignette_mask(spec.width, spec.height, vignette_angle(spec.realism), work_dir / "vignette.png")
            still = ffmpeg.input(file_url(mask), format="png_pipe", protocol_whitelist="file")  # our own still
            picture = ffmpeg.overlay(
                picture.filter("format", "yuv420p"),
                still["v:0"].filter("format", "yuva420p"),
                eof_action="repeat",
                format="yuv420",
            )
        for i, p in enumerate(placed):
            picture = _drawtext(picture, p, self._text_file(p, i, work_dir))
        graph = ffmpeg.output(
            picture.filter("format", "yuv420p"),
            sound["a:0"],
            file_url(out),
            format="mp4",
            **_output_options(spec, timeline, self.threads),
            **FASTSTART_OPTIONS,
            **BITEXACT_OPTIONS,
        )
        return cheap_conversions(graph_args(graph)), timeline, placed

    @staticmethod
    def _text_file(placed: PlacedCaption, index: int, work_dir: Path) -> Path:
        path = work_dir / f"{safe_file_stem(index)}.txt"
        path.write_text("\n".join(placed.lines), encoding="utf-8")
        return path

    def render(self, spec: EditSpec, dest: Path, work_dir: Path) -> EditResult:
        """Exactly one FFmpeg invocation, hence one lossy video encode, writes `dest`."""
        work = Path(work_dir) / "postprod"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        with atomic_output(Path(dest)) as tmp:
            args, timeline, placed = self.arguments(spec, tmp, work)
            self.toolkit.run(args, what="post-production")
            video = self.toolkit.video_file(tmp)
        logger.info("post-production: %d scenes, %.1f s, %d captions", len(spec.scenes), timeline.total_s, len(placed))
        final = VideoFile(Path(dest), video.duration_s, video.width, video.height)
        return EditResult(final, [p.caption for p in placed], placed, timeline, 1, args, keep_clear_boxes(spec))
