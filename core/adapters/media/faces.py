"""Offline face detection with the Haar cascades that ship inside `opencv-python-headless`.

Nothing is downloaded: the cascade XML files come with the pip package
(`cv2.data.haarcascades`). The frontal cascade finds faces looking at the camera; the
profile cascade finds faces pointing to the image's left, and run on the mirrored image
it finds faces pointing right. Angles are named by the side of the face the camera sees
(a face pointing to the image's left shows its left cheek: "left_profile").
A face found by both the frontal and a profile cascade is a three-quarter view.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

FRONTAL = "haarcascade_frontalface_default.xml"
FRONTAL_ALT = "haarcascade_frontalface_alt2.xml"
PROFILE = "haarcascade_profileface.xml"
METHOD = "offline face detector (OpenCV Haar cascades)"
WORK_SIDE = 640  # detection runs on a copy this tall at most: faster, and cascades like mid sizes


@functools.lru_cache(maxsize=4)
def _cascade(name: str) -> cv2.CascadeClassifier:
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + name)  # type: ignore[attr-defined]  # stubs omit cv2.data
    if cascade.empty():
        raise RuntimeError(f"OpenCV's {name} is missing from the installed package")
    return cascade


@dataclass(frozen=True, slots=True)
class Face:
    x: int
    y: int
    w: int
    h: int

    def box(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]

    def overlaps(self, other: Face) -> bool:
        dx = min(self.x + self.w, other.x + other.w) - max(self.x, other.x)
        dy = min(self.y + self.h, other.y + other.h) - max(self.y, other.y)
        return dx > 0 and dy > 0 and dx * dy > 0.3 * min(self.w * self.h, other.w * other.h)


def _grey(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    scale = min(1.0, WORK_SIDE / max(rgb.shape[:2]))
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if scale < 1.0:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return cv2.equalizeHist(grey), scale


def _found(cascade: str, grey: np.ndarray, *, scale_factor: float, neighbours: int) -> list[Face]:
    side = max(24, min(grey.shape[:2]) // 8)
    boxes = _cascade(cascade).detectMultiScale(grey, scale_factor, neighbours, minSize=(side, side))
    return [Face(*map(int, b)) for b in boxes]


def _largest(faces: list[Face]) -> Face | None:
    return max(faces, key=lambda f: f.w * f.h, default=None)


def _scaled(face: Face, scale: float) -> Face:
    return Face(*(round(v / scale) for v in (face.x, face.y, face.w, face.h)))


def frontal_faces(rgb: np.ndarray) -> list[Face]:
    """Frontal faces in full-size pixel coordinates, largest first (used per video frame)."""
    grey, scale = _grey(rgb)
    faces = _found(FRONTAL, grey, scale_factor=1.1, neighbours=4) or _found(
        FRONTAL_ALT, grey, scale_factor=1.1, neighbours=3
    )
    return sorted((_scaled(f, scale) for f in faces), key=lambda f: -f.w * f.h)


def classify_angle(rgb: np.ndarray) -> tuple[str | None, Face | None]:
    """(angle, face box) of the largest face; (None, None) when no cascade finds a face."""
    grey, scale = _grey(rgb)
    width = grey.shape[1]
    front = _largest(
        _found(FRONTAL, grey, scale_factor=1.1, neighbours=4)
        or _found(FRONTAL_ALT, grey, scale_factor=1.1, neighbours=3)
    )
    left = _largest(_found(PROFILE, grey, scale_factor=1.05, neighbours=3))
    mirrored = _largest(_found(PROFILE, cv2.flip(grey, 1), scale_factor=1.05, neighbours=3))
    right = Face(width - mirrored.x - mirrored.w, mirrored.y, mirrored.w, mirrored.h) if mirrored else None
    if front is not None:
        if left is not None and left.overlaps(front) and not (right and right.overlaps(front)):
            return "three_quarter_left", _scaled(front, scale)
        if right is not None and right.overlaps(front) and not (left and left.overlaps(front)):
            return "three_quarter_right", _scaled(front, scale)
        return "front", _scaled(front, scale)
    side = _largest([f for f in (left, right) if f is not None])
    if side is None:
        return None, None
    return ("left_profile" if side is left else "right_profile"), _scaled(side, scale)
