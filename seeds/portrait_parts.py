"""Drawing parts for the stylised seed portraits (used by draw_actors.py).

Everything is drawn at 2x and downsampled once, for clean edges. The Painter records
every fill colour so the script can prove none is close to the flat background, which
is what lets the local image editor cut the person out by colour distance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

RGB = tuple[int, int, int]
SCALE = 2


def shade(colour: RGB, factor: float) -> RGB:
    return tuple(max(0, min(255, round(c * factor))) for c in colour)  # type: ignore[return-value]


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


class Painter:
    def __init__(self, size: tuple[int, int], background: RGB) -> None:
        self.size = size
        self.image = Image.new("RGB", (size[0] * SCALE, size[1] * SCALE), background)
        self.draw = ImageDraw.Draw(self.image)
        self.colours: set[RGB] = set()

    def _pts(self, values: tuple[float, ...] | list[float]) -> list[float]:
        return [v * SCALE for v in values]

    def _use(self, colour: RGB) -> RGB:
        self.colours.add(colour)
        return colour

    def ellipse(self, box: tuple[float, float, float, float], fill: RGB) -> None:
        self.draw.ellipse(self._pts(box), fill=self._use(fill))

    def polygon(self, points: list[tuple[float, float]], fill: RGB) -> None:
        self.draw.polygon([(x * SCALE, y * SCALE) for x, y in points], fill=self._use(fill))

    def rect(self, box: tuple[float, float, float, float], fill: RGB, radius: float = 0) -> None:
        self.draw.rounded_rectangle(self._pts(box), radius=radius * SCALE, fill=self._use(fill))

    def arc(self, box: tuple[float, float, float, float], start: float, end: float, fill: RGB, width: float) -> None:
        self.draw.arc(self._pts(box), start, end, fill=self._use(fill), width=round(width * SCALE))

    def chord(self, box: tuple[float, float, float, float], start: float, end: float, fill: RGB) -> None:
        self.draw.chord(self._pts(box), start, end, fill=self._use(fill))

    def line(self, points: list[tuple[float, float]], fill: RGB, width: float) -> None:
        self.draw.line(
            [(x * SCALE, y * SCALE) for x, y in points], fill=self._use(fill), width=round(width * SCALE), joint="curve"
        )

    def ring(self, box: tuple[float, float, float, float], fill: RGB, width: float) -> None:
        self.draw.ellipse(self._pts(box), outline=self._use(fill), width=round(width * SCALE))

    def finish(self) -> Image.Image:
        return self.image.resize(self.size, Image.Resampling.LANCZOS)


@dataclass(frozen=True)
class Face:
    """Face geometry in final pixels; everything else is placed relative to it."""

    cx: float = 360
    top: float = 318
    width: float = 246
    height: float = 318
    taper: float = 0.28

    @property
    def eye_y(self) -> float:
        return self.top + 0.47 * self.height

    @property
    def eye_dx(self) -> float:
        return 0.215 * self.width

    @property
    def nose_y(self) -> float:
        return self.top + 0.66 * self.height

    @property
    def mouth_box(self) -> tuple[int, int, int, int]:
        w, h = round(0.29 * self.width), round(0.068 * self.height)
        cy = self.top + 0.8 * self.height
        return round(self.cx - w / 2), round(cy - h / 2), w, h

    @property
    def box(self) -> tuple[int, int, int, int]:
        return round(self.cx - self.width / 2), round(self.top), round(self.width), round(self.height)

    def eye_boxes(self) -> list[tuple[int, int, int, int]]:
        w, h = round(0.2 * self.width), round(0.082 * self.height)
        return [(round(self.cx + s * self.eye_dx - w / 2), round(self.eye_y - h / 2), w, h) for s in (-1, 1)]

    def outline(self, inset: float = 0) -> list[tuple[float, float]]:
        """An egg shape: round forehead, narrower jaw and chin."""
        a, b = self.width / 2 - inset, self.height / 2 - inset
        cy = self.top + self.height / 2
        points = []
        for step in range(120):
            t = math.tau * step / 120
            narrow = 1 - self.taper * max(0.0, -math.cos(t)) ** 2
            points.append((self.cx + a * math.sin(t) * narrow, cy - b * math.cos(t)))
        return points


@dataclass(frozen=True)
class Look:
    skin: RGB
    hair: RGB
    iris: RGB
    lips: RGB
    clothing: RGB
    hair_style: str
    neckline: str
    shoulders: float = 270
    accent: RGB = (240, 238, 232)  # shirt, strings, collar
    brows: float = 1.0
    beard: RGB | None = None
    moustache: RGB | None = None
    glasses: RGB | None = None
    earrings: RGB | None = None
    lines: bool = False  # age lines
    grey_sides: RGB | None = None
    face: Face = field(default_factory=Face)
