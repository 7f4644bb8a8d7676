"""Where the face is in a portrait: boxes recorded for seed actors, or a guess.

Seed portraits carry their layout in a PNG text chunk (`ugc:face`); the local image
editor copies it to its output (same size, person unmoved), so lip-sync finds the mouth
on variants too. Other images fall back to a skin-tone estimate, then a fixed guess.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image
from PIL.PngImagePlugin import PngInfo

logger = logging.getLogger(__name__)

PNG_KEY = "ugc:face"


@dataclass(frozen=True, slots=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def to_dict(self) -> dict[str, int]:
        return {"x": self.x, "y": self.y, "w": self.w, "h": self.h}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Box:
        return cls(int(data["x"]), int(data["y"]), int(data["w"]), int(data["h"]))

    def mapped(self, scale: float, dx: float, dy: float) -> Box:
        return Box(round(self.x * scale + dx), round(self.y * scale + dy), round(self.w * scale), round(self.h * scale))

    def inside(self, width: int, height: int) -> bool:
        return (
            self.w > 0
            and self.h > 0
            and self.x >= 0
            and self.y >= 0
            and self.x + self.w <= width
            and self.y + self.h <= height
        )


@dataclass(frozen=True, slots=True)
class FaceLayout:
    face: Box
    mouth: Box
    eyes: tuple[Box, Box] | None = None
    background: str | None = None  # "#rrggbb" of a flat studio backdrop, if any

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"face": self.face.to_dict(), "mouth": self.mouth.to_dict()}
        if self.eyes:
            data["eyes"] = {"left": self.eyes[0].to_dict(), "right": self.eyes[1].to_dict()}
        if self.background:
            data["background"] = self.background
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaceLayout:
        eyes = data.get("eyes")
        return cls(
            face=Box.from_dict(data["face"]),
            mouth=Box.from_dict(data["mouth"]),
            eyes=(Box.from_dict(eyes["left"]), Box.from_dict(eyes["right"])) if eyes else None,
            background=data.get("background"),
        )

    def mapped(self, scale: float, dx: float, dy: float) -> FaceLayout:
        eyes = (self.eyes[0].mapped(scale, dx, dy), self.eyes[1].mapped(scale, dx, dy)) if self.eyes else None
        return FaceLayout(self.face.mapped(scale, dx, dy), self.mouth.mapped(scale, dx, dy), eyes, self.background)


def read_layout(image: Image.Image) -> FaceLayout | None:
    raw = image.info.get(PNG_KEY)
    if not raw:
        return None
    try:
        return FaceLayout.from_dict(json.loads(raw))
    except (ValueError, KeyError, TypeError) as exc:
        logger.warning("ignoring unreadable face layout: %s", exc)
        return None


def layout_pnginfo(layout: FaceLayout | None) -> PngInfo:
    info = PngInfo()
    if layout is not None:
        info.add_text(PNG_KEY, json.dumps(layout.to_dict(), sort_keys=True))
    return info


def guess_layout(rgb: np.ndarray) -> FaceLayout:
    """A face box from skin-tone pixels in the upper frame, else the centre-upper default."""
    height, width = rgb.shape[:2]
    skin = _skin_face_box(rgb)
    # A skin box runs forehead to chin (mouth ~72% down); the fixed guess is looser (~62%).
    face, ratio = (skin, 0.72) if skin else (_default_face(width, height), 0.62)
    mouth_w, mouth_h = max(8, round(face.w * 0.36)), max(4, round(face.h * 0.08))
    mouth_cy = face.y + face.h * ratio
    mouth = Box(round(face.cx - mouth_w / 2), round(mouth_cy - mouth_h / 2), mouth_w, mouth_h)
    return FaceLayout(face=face, mouth=mouth)


def _default_face(width: int, height: int) -> Box:
    return Box(round(width * 0.31), round(height * 0.17), round(width * 0.38), round(height * 0.27))


def _skin_face_box(rgb: np.ndarray) -> Box | None:
    height, width = rgb.shape[:2]
    top = rgb[: int(height * 0.55)].astype(np.int16)
    r, g, b = top[..., 0], top[..., 1], top[..., 2]
    cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
    skin = (cb > 77) & (cb < 127) & (cr > 137) & (cr < 173) & (r > 60)
    if skin.mean() < 0.01:
        return None
    ys, xs = np.nonzero(skin)
    x0, x1 = np.percentile(xs, [8, 92])
    y0, y1 = np.percentile(ys, [4, 90])
    box = Box(int(x0), int(y0), int(x1 - x0), int(y1 - y0))
    plausible = 0.12 * width < box.w < 0.8 * width and 0.7 < box.h / max(box.w, 1) < 2.2
    return box if plausible else None
