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
# alt2 first: on flat, drawn faces (our seed portraits) it is the steadier of the two.
FRONTALS = ((FRONTAL_ALT, 3), (FRONTAL, 4))
# A frontal face counts as three-quarter only when the profile cascade agrees strongly:
# a face looking at the camera draws a few weak profile hits of its own.
CONFIRM_NEIGHBOURS = 8


@dataclass(frozen=True, slots=True)
class Rung:
    """One way of preparing the picture: the longest side of the working copy, and a blur."""

    side: int
    blur: float = 0.0


# Tried in order until a cascade finds a face. Contrast is evened out locally (CLAHE): a
# global histogram equalization pushes flat skin and backgrounds to extremes and loses
# the eyes-darker-than-cheeks pattern the cascades look for. A blur softens hard drawn
# edges; other sizes put the face in the cascades' preferred scale range.
LADDER = (Rung(480), Rung(640, 1.5), Rung(320, 1.5), Rung(640, 3.0))


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


def _grey(rgb: np.ndarray, rung: Rung) -> tuple[np.ndarray, float]:
    scale = min(1.0, rung.side / max(rgb.shape[:2]))
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if scale < 1.0:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    if rung.blur:
        grey = cv2.GaussianBlur(grey, (0, 0), rung.blur)
    return _clahe().apply(grey), scale


@functools.lru_cache(maxsize=1)
def _clahe() -> cv2.CLAHE:
    return cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))


def _found(cascade: str, grey: np.ndarray, *, scale_factor: float, neighbours: int) -> list[Face]:
    side = max(24, min(grey.shape[:2]) // 8)
    boxes = _cascade(cascade).detectMultiScale(grey, scale_factor, neighbours, minSize=(side, side))
    return [Face(*map(int, b)) for b in boxes]


def _frontal(grey: np.ndarray) -> list[Face]:
    for cascade, neighbours in FRONTALS:
        if faces := _found(cascade, grey, scale_factor=1.05, neighbours=neighbours):
            return faces
    return []


def _largest(faces: list[Face]) -> Face | None:
    return max(faces, key=lambda f: f.w * f.h, default=None)


def _scaled(face: Face, scale: float) -> Face:
    return Face(*(round(v / scale) for v in (face.x, face.y, face.w, face.h)))


def frontal_faces(rgb: np.ndarray, *, thorough: bool = True) -> list[Face]:
    """Frontal faces in full-size pixel coordinates, largest first.

    `thorough` climbs the whole ladder (a photo); a video frame tries the first rung only,
    since the face swap keeps the last box for the frames where it misses.
    """
    for rung in LADDER if thorough else LADDER[:1]:
        grey, scale = _grey(rgb, rung)
        if faces := _frontal(grey):
            return sorted((_scaled(f, scale) for f in faces), key=lambda f: -f.w * f.h)
    return []


def classify_angle(rgb: np.ndarray) -> tuple[str | None, Face | None]:
    """(angle, face box) of the largest face; (None, None) when no rung of the ladder finds a face."""
    for rung in LADDER:
        grey, scale = _grey(rgb, rung)
        angle, face = _angle_in(grey)
        if face is not None:
            return angle, _scaled(face, scale)
    return None, None


def _profiles(grey: np.ndarray, neighbours: int) -> tuple[Face | None, Face | None]:
    """The largest face turned to the image's left, and (found on the mirror) to its right."""
    width = grey.shape[1]
    left = _largest(_found(PROFILE, grey, scale_factor=1.05, neighbours=neighbours))
    mirrored = _largest(_found(PROFILE, cv2.flip(grey, 1), scale_factor=1.05, neighbours=neighbours))
    right = Face(width - mirrored.x - mirrored.w, mirrored.y, mirrored.w, mirrored.h) if mirrored else None
    return left, right


def _angle_in(grey: np.ndarray) -> tuple[str | None, Face | None]:
    front = _largest(_frontal(grey))
    if front is not None:
        left, right = _profiles(grey, CONFIRM_NEIGHBOURS)
        if left is not None and left.overlaps(front) and not (right and right.overlaps(front)):
            return "three_quarter_left", front
        if right is not None and right.overlaps(front) and not (left and left.overlaps(front)):
            return "three_quarter_right", front
        return "front", front
    left, right = _profiles(grey, 3)
    side = _largest([f for f in (left, right) if f is not None])
    if side is None:
        return None, None
    return ("left_profile" if side is left else "right_profile"), side
