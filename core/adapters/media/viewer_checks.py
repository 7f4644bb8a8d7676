"""Quality checks of what a viewer sees and hears: lips, silence, product, captions.

Pure judgements over measured inputs: the mouth-region readings of the finished picture
(`lips`), the speech spans placed on the timeline, each scene's frame facts (face,
mouth, product, in output pixels) and the caption layout. Each check fails with the
scenes and the reason; a check with nothing to measure says "not checked".
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from core.adapters.media.captions import PlacedCaption, Rect, clean_text
from core.adapters.media.lips import LipReading
from core.adapters.media.postprod import Timeline
from core.adapters.media.voice_timing import MAX_BREATH_S, MAX_PAUSE_S
from core.domain.ads import QcFinding

logger = logging.getLogger(__name__)

GAP_SLACK_S = 0.05  # measurement slack on the silence bound
CAPTION_TIME_SLACK_S = 0.15


@dataclass
class SceneView:
    """One scene as the checks see it (boxes in output pixels; None when unknown)."""

    number: int
    dialogue: str = ""
    spoken: bool = False
    pause_before: bool = False
    face: Rect | None = None
    product: Rect | None = None
    face_area: Rect | None = None  # where the face may be during the camera move (captions stay off it)
    product_area: Rect | None = None
    product_expected: bool | None = None
    lips: LipReading | None = None


@dataclass
class ViewerInputs:
    scenes: list[SceneView]
    timeline: Timeline
    captions: list[PlacedCaption] = field(default_factory=list)
    captions_on: bool = True


def _not_checked(name: str, why: str) -> QcFinding:
    return QcFinding(name, True, why, [], checked=False)


def lips(inputs: ViewerInputs) -> QcFinding:
    measured = [s for s in inputs.scenes if s.spoken and s.face is not None and s.lips is not None]
    if not measured:
        return _not_checked("lips", "no spoken scene with a known face to watch")
    still = [s for s in measured if not s.lips.moving]  # type: ignore[union-attr]
    detail = "; ".join(
        f"scene {s.number}: activity {s.lips.activity:.2f}, follows the voice {s.lips.correlation:.2f}"  # type: ignore[union-attr]
        for s in measured
    )
    reason = (
        f"lips do not move while the voice speaks in scene {', '.join(str(s.number) for s in still)}. " if still else ""
    )
    return QcFinding("lips", not still, reason + detail, [s.number for s in still])


def silence(inputs: ViewerInputs) -> QcFinding:
    t = inputs.timeline
    if not t.speech_starts or sum(s.spoken for s in inputs.scenes) < 2:
        return _not_checked("silence", "fewer than two spoken lines")
    spoken = [k for k, s in enumerate(inputs.scenes) if s.spoken]
    long_gaps, widest = [], 0.0
    for a, b in zip(spoken, spoken[1:], strict=False):
        gap = t.speech_starts[b] - t.speech_ends[a]
        bound = MAX_PAUSE_S if inputs.scenes[b].pause_before else MAX_BREATH_S
        widest = max(widest, gap)
        if gap > bound + GAP_SLACK_S:
            long_gaps.append((inputs.scenes[b].number, gap, bound))
    listed = "; ".join(f"{g:.2f} s of silence before scene {n}'s line (bound {bound} s)" for n, g, bound in long_gaps)
    return QcFinding(
        "silence",
        not long_gaps,
        listed or f"longest gap between lines {widest:.2f} s (bound {MAX_BREATH_S} s; {MAX_PAUSE_S} s before the CTA)",
        [n for n, _, _ in long_gaps],
    )


def _overlap(a: Rect, b: Rect) -> bool:
    return a.intersects(b)


def product(inputs: ViewerInputs) -> QcFinding:
    known = [s for s in inputs.scenes if s.product_expected is not None]
    if not known:
        return _not_checked("product", "no scene says where its product is")
    problems = []
    for s in known:
        if s.product_expected and s.product is None:
            problems.append((s.number, "product missing"))
        elif s.product is not None and s.face is not None and _overlap(s.product, s.face):
            problems.append((s.number, "product covers the face"))
    detail = "; ".join(f"scene {n}: {why}" for n, why in problems)
    shown = sum(1 for s in known if s.product is not None)
    return QcFinding(
        "product", not problems, detail or f"shown clear of the face in {shown} scene(s)", [n for n, _ in problems]
    )


def _scene_of_caption(inputs: ViewerInputs, caption: PlacedCaption) -> SceneView | None:
    t, middle = inputs.timeline, (caption.caption.start_s + caption.caption.end_s) / 2
    for k, s in enumerate(inputs.scenes):
        if (
            t.speech_starts
            and t.speech_starts[k] - CAPTION_TIME_SLACK_S <= middle <= t.speech_ends[k] + CAPTION_TIME_SLACK_S
        ):
            return s
    return None


def captions_clear(inputs: ViewerInputs) -> QcFinding:
    if not inputs.captions:
        return _not_checked("captions_clear", "no captions")
    covering = []
    for placed in inputs.captions:
        scene = _scene_of_caption(inputs, placed)
        if scene is None:
            continue
        for what, box in (("face", scene.face_area or scene.face), ("product", scene.product_area or scene.product)):
            if box is not None and placed.box.intersects(box):
                covering.append((scene.number, what, placed.caption.text))
    detail = "; ".join(f"scene {n}: caption “{text}” covers the {what}" for n, what, text in covering)
    known = any(s.face or s.product for s in inputs.scenes)
    if not known:
        return _not_checked("captions_clear", "no face or product positions known")
    return QcFinding(
        "captions_clear", not covering, detail or f"{len(inputs.captions)} captions clear of faces and products",
        sorted({n for n, _, _ in covering}),
    )  # fmt: skip


def _words(text: str) -> list[str]:
    return re.findall(r"[\w']+", clean_text(text).lower())


def captions_match_voice(inputs: ViewerInputs) -> QcFinding:
    """Each spoken line's captions say exactly its words, while that line is being spoken."""
    if not inputs.captions_on:
        return _not_checked("captions_match_voice", "captions are off")
    said: dict[int, list[str]] = {s.number: [] for s in inputs.scenes}
    stray = []
    for placed in inputs.captions:
        scene = _scene_of_caption(inputs, placed)
        if scene is None:
            stray.append(placed.caption.text)
            continue
        said[scene.number] += _words(" ".join(placed.lines))
    wrong = [s.number for s in inputs.scenes if s.spoken and said[s.number] != _words(s.dialogue)]
    details = [f"scene {n}: captions say “{' '.join(said[n])}”" for n in wrong]
    details += [f"caption “{text}” shows while no line is spoken" for text in stray]
    return QcFinding(
        "captions_match_voice", not wrong and not stray,
        "; ".join(details) or "every caption says its line's words while the line is spoken", wrong,
    )  # fmt: skip


def judge_viewer(inputs: ViewerInputs) -> list[QcFinding]:
    return [lips(inputs), silence(inputs), product(inputs), captions_clear(inputs), captions_match_voice(inputs)]
