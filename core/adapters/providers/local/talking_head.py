"""A portrait prepared for animation: a padded base frame plus pre-rendered mouth and eyelid patches.

Everything expensive happens once here; per video frame the caller only copies the base
(shifted for head bob) and pastes one mouth patch and, during blinks, two eye patches.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from core.adapters.media.images import flatten_rgb
from core.adapters.providers.local.portrait import Box, FaceLayout, guess_layout, read_layout

logger = logging.getLogger(__name__)

MOUTH_LEVELS = 6  # 0 = the portrait's own closed mouth, 1..5 = ever wider open
BOB_MARGIN = 4  # pixels of head bob the base frame is padded for
_SS = 4  # supersampling factor for drawn patches

_CAVITY = (46, 14, 18, 255)
_TEETH = (236, 232, 224, 255)
_TONGUE = (168, 72, 86, 255)
_LASH = (38, 28, 26, 255)


@dataclass(frozen=True, slots=True)
class Patch:
    x: int
    y: int
    pixels: np.ndarray  # h x w x 3 uint8


def fit_portrait(image: Image.Image, width: int, height: int) -> tuple[Image.Image, FaceLayout]:
    """Scale to cover width x height, crop (keeping the upper frame, where faces are) and map the layout."""
    layout = read_layout(image)
    rgb = flatten_rgb(image)
    scale = max(width / rgb.width, height / rgb.height)
    size = (max(width, math.ceil(rgb.width * scale)), max(height, math.ceil(rgb.height * scale)))
    if size != rgb.size:
        rgb = rgb.resize(size, Image.Resampling.LANCZOS)
    left, top = (size[0] - width) // 2, round((size[1] - height) * 0.3)
    frame = rgb.crop((left, top, left + width, top + height))
    if layout is not None:
        layout = layout.mapped(scale if size != image.size else 1.0, -left, -top)
    if layout is None or not layout.mouth.inside(width, height):
        layout = guess_layout(np.asarray(frame))
    return frame, layout


def _region(center_x: float, top: float, width: float, bottom: float, frame: tuple[int, int]) -> Box:
    """A box clamped so that it stays inside the frame even when shifted by the bob margin."""
    fw, fh = frame
    x0 = max(0, round(center_x - width / 2))
    x1 = min(fw, round(center_x + width / 2))
    y0 = max(BOB_MARGIN, round(top))
    y1 = min(fh - BOB_MARGIN, round(bottom))
    return Box(x0, y0, max(1, x1 - x0), max(1, y1 - y0))


def _median_colour(pixels: np.ndarray, fallback: tuple[int, int, int]) -> tuple[int, int, int]:
    flat = pixels.reshape(-1, 3)
    if flat.size == 0:
        return fallback
    r, g, b = np.median(flat, axis=0)
    return int(r), int(g), int(b)


def _skin_near(frame: np.ndarray, box: Box, rows: tuple[float, float]) -> tuple[int, int, int]:
    y0, y1 = round(box.y + box.h * rows[0]), round(box.y + box.h * rows[1])
    x0, x1 = round(box.x + box.w * 0.15), round(box.x + box.w * 0.85)
    height, width = frame.shape[:2]
    area = frame[max(0, y0) : min(height, y1), max(0, x0) : min(width, x1)]
    return _median_colour(area, (200, 160, 140))


def _lip_colour(frame: np.ndarray, mouth: Box, skin: tuple[int, int, int]) -> tuple[int, int, int]:
    area = frame[mouth.y : mouth.y + mouth.h, mouth.x : mouth.x + mouth.w].reshape(-1, 3).astype(np.int32)
    if area.size == 0:
        return _darker(skin, 0.72)
    distance = np.abs(area - np.array(skin)).sum(axis=1)
    far = area[distance >= np.percentile(distance, 70)]
    if distance.max() < 40 or far.size == 0:
        return (int(skin[0] * 0.8), int(skin[1] * 0.55), int(skin[2] * 0.58))
    return _median_colour(far, skin)


def _darker(colour: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    return tuple(int(c * factor) for c in colour)  # type: ignore[return-value]


def _composite(base: Image.Image, overlay: Image.Image, feather: float) -> np.ndarray:
    """Downsample a supersampled RGBA overlay onto `base`, softening its edge."""
    # Colour and alpha are resized apart: Pillow's premultiplied RGBA resize darkens
    # nearly transparent pixels, which the feathering would then reveal as a dark rim.
    colour = overlay.convert("RGB").resize(base.size, Image.Resampling.LANCZOS)
    alpha = overlay.getchannel("A").resize(base.size, Image.Resampling.LANCZOS)
    if feather > 0:
        alpha = alpha.filter(ImageFilter.GaussianBlur(feather))
    out = base.copy()
    out.paste(colour, (0, 0), alpha)
    return np.asarray(out, dtype=np.uint8).copy()


class PortraitRig:
    """Base frame and patches for one portrait at one output size."""

    def __init__(self, frame: Image.Image, layout: FaceLayout) -> None:
        self.width, self.height = frame.size
        self.layout = layout
        rgb = np.asarray(frame.convert("RGB"), dtype=np.uint8)
        self._padded = np.pad(rgb, ((BOB_MARGIN, BOB_MARGIN), (BOB_MARGIN, BOB_MARGIN), (0, 0)), mode="edge")
        self.mouth = [None, *(self._mouth_patch(frame, rgb, k / (MOUTH_LEVELS - 1)) for k in range(1, MOUTH_LEVELS))]
        self.eyes: list[list[Patch]] = [[], [], []]
        if layout.eyes:
            self.eyes = [
                [],
                *([self._eye_patch(frame, rgb, eye, closed) for eye in layout.eyes] for closed in (False, True)),
            ]

    @classmethod
    def from_image(cls, image: Image.Image, width: int, height: int) -> PortraitRig:
        frame, layout = fit_portrait(image, width, height)
        return cls(frame, layout)

    @property
    def can_blink(self) -> bool:
        return bool(self.eyes[2])

    def compose(self, out: np.ndarray, dy: int, mouth_level: int, blink: int, dx: int = 0, brow: int = 0) -> None:
        """Write one frame into `out` (height x width x 3): head moved by (dx, dy) pixels, brows
        raised by `brow` steps, eyes half or fully closed (`blink` 1, 2), mouth open to its level."""
        dy = max(-BOB_MARGIN, min(BOB_MARGIN, dy))
        dx = max(-BOB_MARGIN, min(BOB_MARGIN, dx))
        rows = slice(BOB_MARGIN - dy, BOB_MARGIN - dy + self.height)
        np.copyto(out, self._padded[rows, BOB_MARGIN - dx : BOB_MARGIN - dx + self.width])
        if brow and self.layout.eyes:
            self._raise_brows(out, dx, dy, brow)
        patches = list(self.eyes[blink]) if blink else []
        if mouth_level and (mouth := self.mouth[mouth_level]) is not None:
            patches.append(mouth)
        for patch in patches:
            h, w = patch.pixels.shape[:2]
            x, y = max(0, patch.x + dx), patch.y + dy
            out[y : y + h, x : x + w] = patch.pixels[:, : max(0, min(w, self.width - x))]

    def _raise_brows(self, out: np.ndarray, dx: int, dy: int, level: int) -> None:
        """Lift the band above each eye (the brow) by a pixel or two: surprise and emphasis."""
        assert self.layout.eyes is not None
        lift = max(1, round(self.layout.face.h * 0.008 * level))
        for eye in self.layout.eyes:
            y0, y1 = eye.y - round(eye.h * 1.8) + dy, eye.y - round(eye.h * 0.15) + dy
            x0, x1 = max(0, eye.x - round(eye.w * 0.25) + dx), min(self.width, eye.x + round(eye.w * 1.25) + dx)
            if y0 - lift < 0 or y1 >= self.height or x1 <= x0:
                continue
            out[y0 - lift : y1 - lift, x0:x1] = out[y0:y1, x0:x1].copy()

    # ------------------------------------------------------------------ drawing

    def _mouth_patch(self, frame: Image.Image, rgb: np.ndarray, openness: float) -> Patch:
        m = self.layout.mouth
        max_open = m.w * 0.42
        region = _region(m.cx, m.y - m.h * 0.9, m.w * 1.7, m.y + m.h * 1.5 + max_open, frame.size)
        base = frame.crop((region.x, region.y, region.x + region.w, region.y + region.h)).convert("RGB")
        skin = _skin_near(rgb, m, (-1.1, -0.35))
        lips = _lip_colour(rgb, m, skin)
        overlay = Image.new("RGBA", (region.w * _SS, region.h * _SS), (*skin, 0))
        draw = ImageDraw.Draw(overlay)

        def box(cx: float, cy: float, w: float, h: float) -> tuple[float, float, float, float]:
            x, y = (cx - region.x) * _SS, (cy - region.y) * _SS
            return (x - w * _SS / 2, y - h * _SS / 2, x + w * _SS / 2, y + h * _SS / 2)

        draw.ellipse(box(m.cx, m.cy + m.h * 0.15, m.w * 1.2, m.h * 1.35), fill=(*skin, 255))  # hide the closed mouth
        outer_h = m.h * 0.9 + max_open * openness
        centre_y = m.cy + max_open * openness * 0.38
        outer = box(m.cx, centre_y, m.w * (1.0 - 0.14 * openness), outer_h)
        draw.ellipse(outer, fill=(*lips, 255))
        self._draw_cavity(draw, outer, m.h * _SS, openness)
        pixels = _composite(base, overlay, feather=max(0.6, m.h * 0.06))
        return Patch(region.x, region.y, pixels)

    @staticmethod
    def _draw_cavity(
        draw: ImageDraw.ImageDraw, outer: tuple[float, float, float, float], lip: float, openness: float
    ) -> None:
        x0, y0, x1, y1 = outer
        inner = (x0 + (x1 - x0) * 0.09, y0 + lip * 0.3, x1 - (x1 - x0) * 0.09, y1 - lip * 0.36)
        if inner[3] - inner[1] < 2:
            draw.line(
                (x0 + (x1 - x0) * 0.06, (y0 + y1) / 2, x1 - (x1 - x0) * 0.06, (y0 + y1) / 2),
                fill=_CAVITY,
                width=max(2, int(lip * 0.12)),
            )
            return
        draw.ellipse(inner, fill=_CAVITY)
        if openness >= 0.3:
            draw.chord(inner, 218, 322, fill=_TEETH)
        if openness >= 0.55:
            draw.chord(inner, 25, 155, fill=_TONGUE)

    def _eye_patch(self, frame: Image.Image, rgb: np.ndarray, eye: Box, closed: bool) -> Patch:
        region = _region(eye.cx, eye.y - eye.h * 0.45, eye.w * 1.5, eye.y + eye.h * 1.45, frame.size)
        base = frame.crop((region.x, region.y, region.x + region.w, region.y + region.h)).convert("RGB")
        lid = _darker(_skin_near(rgb, eye, (1.25, 1.8)), 0.93)
        overlay = Image.new("RGBA", (region.w * _SS, region.h * _SS), (*lid, 0))
        draw = ImageDraw.Draw(overlay)
        x0, x1 = (eye.x - eye.w * 0.12 - region.x) * _SS, (eye.x + eye.w * 1.12 - region.x) * _SS
        y0, y1 = (eye.y - eye.h * 0.25 - region.y) * _SS, (eye.y + eye.h * 1.2 - region.y) * _SS
        width = max(_SS * 2, int(eye.h * 0.16 * _SS))
        if closed:
            draw.ellipse((x0, y0, x1, y1), fill=(*lid, 255))
            draw.arc((x0, y0 - (y1 - y0) * 0.35, x1, y1 - (y1 - y0) * 0.2), 25, 155, fill=_LASH, width=width)
        else:
            draw.chord((x0, y0, x1, y1), 180, 360, fill=(*lid, 255))
            draw.line((x0 + _SS, (y0 + y1) / 2, x1 - _SS, (y0 + y1) / 2), fill=_LASH, width=width)
        pixels = _composite(base, overlay, feather=max(0.5, eye.h * 0.05))
        return Patch(region.x, region.y, pixels)
