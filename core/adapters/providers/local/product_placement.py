"""Where the product sits in an offline storyboard frame, and clean edges for its cut-out.

By scene: held near the chest beside the presenter's face ("hand": the hook, solution
and call to action), standing on a counter beside them ("counter": a secondary
mention), or held up beside the face toward the camera for a product close-up
("close_up": larger, its label at the face's height, as a creator shows a product; not
pasted over the body). Sizes are set against the face (a hand-held bottle is about one
to two face heights, held up to the lens about two and a half), and the product never
covers the face. Edges are un-mixed from the photo's backdrop colour, so a green
or grey studio wall leaves no fringe.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from core.adapters.providers.local.portrait import Box

logger = logging.getLogger(__name__)

# Product height against the face height, per place: (preferred, minimum, maximum).
SIZE_TO_FACE = {"hand": (1.4, 0.9, 2.2), "counter": (1.25, 0.9, 2.2), "close_up": (2.5, 1.8, 3.2)}
FACE_CLEARANCE = 0.12  # the face box grown by this share on each side stays clear


@dataclass(frozen=True, slots=True)
class Placement:
    place: str  # hand | counter | close_up
    box: Box  # where the product's visible pixels go, in frame pixels


def place_for(shot: str, visibility: str) -> str | None:
    if shot == "product_close_up":
        return "close_up"
    return {"primary": "hand", "secondary": "counter"}.get(visibility)


def _overlaps(a: Box, b: Box) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def clear_of_face(face: Box) -> Box:
    dx, dy = round(face.w * FACE_CLEARANCE), round(face.h * FACE_CLEARANCE)
    return Box(face.x - dx, face.y - dy, face.w + 2 * dx, face.h + 2 * dy)


def size_for(place: str, aspect: float, face: Box, frame: tuple[int, int]) -> tuple[int, int]:
    """(width, height) of the product: `aspect` is its width / height."""
    width, height = frame
    preferred, low, high = SIZE_TO_FACE[place]
    h = min(max(preferred * face.h, low * face.h), high * face.h, 0.8 * height)
    w = h * aspect
    if w > 0.9 * width:  # a wide product: fit the width, keep the aspect
        w, h = 0.9 * width, 0.9 * width / aspect
    return max(1, round(w)), max(1, round(h))


def place_product(place: str, aspect: float, face: Box, frame: tuple[int, int], jitter: float = 0.0) -> Placement:
    """The product's box for `place` beside `face`, inside the frame and clear of the face."""
    width, height = frame
    w, h = size_for(place, aspect, face, frame)
    side = 1 if face.cx <= width / 2 else -1  # the side of the frame with more room
    if place == "hand":  # beside the sternum, just below the chin, toward the free side
        cx = face.cx + side * (0.55 * face.w + 0.35 * w) + jitter * width
        top = face.y + face.h * 1.15
    elif place == "counter":  # standing on the counter, beside the presenter
        cx = face.cx + side * (1.25 * face.w + 0.5 * w) + jitter * width
        top = 0.95 * height - h
    else:  # close-up: held up beside the face, its top a little above the eyes
        cx = face.cx + side * (0.62 * face.w + 0.5 * w) + jitter * width
        top = face.y + face.h * 0.05
    clear = clear_of_face(face)
    box = _inside(_away_from(Box(round(cx - w / 2), round(top), w, h), clear, frame), frame)
    for _ in range(6):  # no room beside the face: smaller, as if held further away
        if not _overlaps(box, clear):
            break
        w, h = max(1, round(box.w * 0.85)), max(1, round(box.h * 0.85))
        box = _inside(_away_from(Box(box.x, box.y, w, h), clear, frame), frame)
    return Placement(place, box)


@dataclass(frozen=True, slots=True)
class Hand:
    """The hand holding the product, as shapes in frame pixels (x0, y0, x1, y1)."""

    palm: tuple[int, int, int, int]
    fingers: tuple[tuple[int, int, int, int], ...]


def holding_hand(box: Box, face: Box) -> Hand:
    """Fingers wrapped round the lower part of the product from the presenter's side, the palm
    behind its edge: a product in hand, not one floating beside the body."""
    inward = -1 if box.cx >= face.cx else 1  # toward the body
    edge = box.x if inward < 0 else box.x + box.w
    finger_h, reach = max(2, round(box.h * 0.07)), round(box.w * 0.62)
    top = box.y + round(box.h * 0.66)  # below the label
    fingers = []
    for k in range(4):
        y0 = top + k * round(finger_h * 1.12)
        length = round(reach * (1.0 - 0.1 * abs(k - 1.5)))
        x0, x1 = sorted((edge - inward * length, edge + inward * round(box.w * 0.08)))
        fingers.append((x0, y0, x1, y0 + finger_h))
    palm_w = round(box.w * 0.5)
    px0, px1 = sorted((edge + inward * palm_w, edge - inward * round(box.w * 0.12)))
    palm = (px0, top - finger_h // 2, px1, top + round(finger_h * 5.2))
    return Hand(palm, tuple(fingers))


def _away_from(box: Box, face: Box, frame: tuple[int, int]) -> Box:
    """Slide sideways (to the side with room), then down, until the box no longer covers the face."""
    if not _overlaps(box, face):
        return box
    right = Box(face.x + face.w + 1, box.y, box.w, box.h)
    left = Box(face.x - box.w - 1, box.y, box.w, box.h)
    for candidate in (right, left) if face.cx < frame[0] / 2 else (left, right):
        if candidate.x >= 0 and candidate.x + candidate.w <= frame[0]:
            return candidate
    return Box(box.x, face.y + face.h + 1, box.w, box.h)


def _inside(box: Box, frame: tuple[int, int]) -> Box:
    width, height = frame
    x = min(max(0, box.x), max(0, width - box.w))
    y = min(max(0, box.y), max(0, height - box.h))
    return Box(x, y, box.w, box.h)


def decontaminate(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Edge pixels take the colour of the solid subject next to them (no green or grey rim).

    The soft rim of a matte mixes subject and backdrop; un-mixing needs the true coverage,
    which a feathered matte does not give, so the rim's colour is bled in from the nearby
    solid pixels instead (a normalised blur of the solid part), and the alpha does the rest."""
    solid = (alpha >= 0.98).astype(np.float32)
    if not solid.any():
        return rgb
    radius = max(2.0, min(rgb.shape[:2]) / 150)
    weight = _blur(solid, radius)
    fill = (
        np.stack([_blur(rgb[..., c] * solid, radius) for c in range(3)], axis=-1) / np.maximum(weight, 1e-4)[..., None]
    )
    rim = (alpha < 0.98)[..., None] & (weight > 1e-3)[..., None]
    return np.where(rim, np.clip(fill, 0, 255), rgb)


def _box(channel: np.ndarray, r: int, axis: int) -> np.ndarray:
    padded = np.pad(channel, [(r + 1, r) if a == axis else (0, 0) for a in range(2)], mode="edge")
    summed = np.cumsum(padded, axis=axis, dtype=np.float64)
    upper = np.take(summed, range(2 * r + 1, summed.shape[axis]), axis=axis)
    lower = np.take(summed, range(0, summed.shape[axis] - 2 * r - 1), axis=axis)
    return ((upper - lower) / (2 * r + 1)).astype(np.float32)


def _blur(channel: np.ndarray, radius: float) -> np.ndarray:
    """Two box passes each way (close to a Gaussian), in float: colours are averaged, not rounded."""
    r = max(1, round(radius))
    out = channel.astype(np.float32)
    for _ in range(2):
        out = _box(_box(out, r, 0), r, 1)
    return out


def fringe(rgb: np.ndarray, alpha: np.ndarray, background: np.ndarray) -> float:
    """How far the rim leans toward the backdrop colour, compared with the solid subject beside it.

    Mean projection of (rim pixel - nearby solid colour) on the backdrop's tint direction,
    in grey levels: 0 is clean, a green wall bleeding in scores tens."""
    edge = (alpha > 0.1) & (alpha < 0.9)
    tint = background - background.mean()
    if not edge.any() or float(np.linalg.norm(tint)) < 1e-3:
        return 0.0
    solid = (alpha >= 0.98).astype(np.float32)
    radius = max(2.0, min(rgb.shape[:2]) / 150)
    weight = np.maximum(_blur(solid, radius), 1e-4)
    near = np.stack([_blur(rgb[..., c] * solid, radius) for c in range(3)], axis=-1) / weight[..., None]
    usable = edge & (weight > 0.05)
    difference = rgb[usable].astype(np.float32) - near[usable]
    return float((difference @ (tint / np.linalg.norm(tint))).mean()) if usable.any() else 0.0
