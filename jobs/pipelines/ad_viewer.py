"""The quality check's viewer pass: each scene's facts in output pixels, the mouths watched frame by frame.

The frame facts (face, mouth, product) come from each scene's storyboard frame and are
mapped to the output the way post-production maps its clip. While the quality check's
one decode runs, every frame's mouth contrast is taken for the scene on screen (outside
transitions); afterwards each spoken scene's mouth texture is read against its voice line.
The picture is watched at about 270 pixels wide whatever the output size (`watch_shrink`),
so a small output's mouth is not a few pixels.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from core.adapters.media.captions import Rect
from core.adapters.media.frame_facts import FrameFacts
from core.adapters.media.lips import Box, mouth_box, mouth_texture, read_lips, voice_envelope
from core.adapters.media.postprod import CAMERA_ROOM, Timeline, output_box
from core.adapters.media.viewer_checks import SceneView
from core.domain.ads import QcFinding

logger = logging.getLogger(__name__)


def facts_in_output(facts: FrameFacts, width: int, height: int) -> dict[str, Rect | None]:
    """Face, mouth and product where they land in the output; "*_area" grown for the camera move."""

    def mapped(box: Rect | None, grow: float = 0.0) -> Rect | None:
        return output_box(box, facts.size, (width, height), grow) if box else None

    return {
        "face": mapped(facts.face), "product": mapped(facts.product), "mouth": mapped(facts.mouth, CAMERA_ROOM),
        "face_area": mapped(facts.face, CAMERA_ROOM), "product_area": mapped(facts.product, CAMERA_ROOM),
    }  # fmt: skip


class MouthWatcher:
    """Collects, per scene, the mouth texture of each frame that scene fills alone."""

    def __init__(self, timeline: Timeline, mouths: dict[int, Rect], fps: int, shrink: int) -> None:
        self.timeline, self.fps, self.shrink = timeline, fps, shrink
        self.boxes = {k: self._watch_box(m, shrink) for k, m in mouths.items()}
        self.frames: dict[int, list[int]] = {k: [] for k in mouths}
        self.values: dict[int, list[float]] = {k: [] for k in mouths}

    @staticmethod
    def _watch_box(mouth: Rect, shrink: int) -> Box:
        # The output box is already grown for the camera move; `mouth_box` adds room for the jaw and a nod.
        return mouth_box(Box(mouth.x, mouth.y, mouth.w, mouth.h).scaled(1 / shrink, 1 / shrink))

    def scene_on(self, t: float) -> int | None:
        t_line = self.timeline
        for k in range(len(t_line.starts) - 1, -1, -1):
            if t >= t_line.starts[k]:
                inside_fade = t < t_line.starts[k] + t_line.fades[k]
                leaving = k + 1 < len(t_line.starts) and t >= t_line.starts[k + 1]
                return None if inside_fade or leaving else k
        return None

    def __call__(self, index: int, grey: np.ndarray) -> None:
        k = self.scene_on(index / self.fps)
        if k is None or k not in self.boxes:
            return
        height, width = grey.shape
        mouth = self.boxes[k].clipped(width, height)
        if mouth is None:
            return
        self.frames[k].append(index)
        self.values[k].append(mouth_texture(grey.astype(np.float32), mouth))

    def readings(self, voices: dict[int, Path], voice_at: tuple[float, ...]) -> dict[int, Any]:
        out = {}
        for k, frames in self.frames.items():
            if k not in voices or len(frames) < self.fps // 2:
                continue
            first, count = frames[0], frames[-1] - frames[0] + 1
            envelope = voice_envelope(voices[k], self.fps, count, voice_at[k] - first / self.fps)
            picked = np.array(frames) - first
            out[k] = read_lips(np.array(self.values[k]), envelope[picked], self.fps)
        return out


def scene_views(scenes: list[dict[str, Any]], width: int, height: int, readings: dict[int, Any]) -> list[SceneView]:
    views = []
    for k, scene in enumerate(scenes):
        facts = FrameFacts.from_dict(scene["facts"]) if scene.get("facts") else None
        boxes = facts_in_output(facts, width, height) if facts else {}
        views.append(
            SceneView(
                number=k + 1,
                dialogue=scene["dialogue"],
                spoken=bool(scene["voice"] and scene["dialogue"]),
                pause_before=scene["type"] == "cta",
                face=boxes.get("face"),
                product=boxes.get("product"),
                face_area=boxes.get("face_area"),
                product_area=boxes.get("product_area"),
                product_expected=facts.product_expected if facts else None,
                lips=readings.get(k),
            )
        )
    return views


def brief_duration(duration_s: float, brief_s: float | None, tolerance_s: float) -> QcFinding:
    if not brief_s:
        return QcFinding("brief_duration", True, "no duration in the brief", checked=False)
    off = duration_s - brief_s
    return QcFinding(
        "brief_duration",
        abs(off) <= tolerance_s,
        f"{duration_s:.2f} s for a {brief_s:g} s brief (tolerance {tolerance_s} s)",
    )
