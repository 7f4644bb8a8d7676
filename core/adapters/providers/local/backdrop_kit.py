"""Drawing helpers shared by the backdrop painters: gradients, glows, a scaled canvas."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

RGB = tuple[int, int, int]


def vertical_gradient(size: tuple[int, int], stops: list[tuple[float, RGB]]) -> Image.Image:
    """Top-to-bottom gradient through (position 0..1, colour) stops."""
    width, height = size
    ys = np.linspace(0.0, 1.0, height)
    positions = [p for p, _ in stops]
    channels = [np.interp(ys, positions, [c[i] for _, c in stops]) for i in range(3)]
    column = np.stack(channels, axis=1).astype(np.uint8)
    return Image.fromarray(np.repeat(column[:, None, :], width, axis=1), "RGB")


def shade(colour: RGB, factor: float) -> RGB:
    return tuple(max(0, min(255, round(c * factor))) for c in colour)  # type: ignore[return-value]


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


@dataclass
class Canvas:
    """An image plus a draw handle that takes coordinates as fractions of the frame."""

    image: Image.Image
    rng: random.Random

    def __post_init__(self) -> None:
        self.draw = ImageDraw.Draw(self.image)
        self.w, self.h = self.image.size

    def box(self, x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        return (x0 * self.w, y0 * self.h, x1 * self.w, y1 * self.h)

    def rect(self, x0: float, y0: float, x1: float, y1: float, fill: RGB, radius: float = 0.0) -> None:
        self.draw.rounded_rectangle(self.box(x0, y0, x1, y1), radius=radius * self.w, fill=fill)

    def ellipse(self, x0: float, y0: float, x1: float, y1: float, fill: RGB) -> None:
        self.draw.ellipse(self.box(x0, y0, x1, y1), fill=fill)

    def line(self, points: list[tuple[float, float]], fill: RGB, width: float) -> None:
        self.draw.line([(x * self.w, y * self.h) for x, y in points], fill=fill, width=max(1, round(width * self.w)))

    def polygon(self, points: list[tuple[float, float]], fill: RGB) -> None:
        self.draw.polygon([(x * self.w, y * self.h) for x, y in points], fill=fill)

    def paste_gradient(
        self, y0: float, y1: float, stops: list[tuple[float, RGB]], x0: float = 0.0, x1: float = 1.0
    ) -> None:
        left, top, right, bottom = (round(v) for v in self.box(x0, y0, x1, y1))
        if right > left and bottom > top:
            self.image.paste(vertical_gradient((right - left, bottom - top), stops), (left, top))

    def glow(self, cx: float, cy: float, radius: float, colour: RGB, strength: float = 0.8) -> None:
        """A soft light blob (lamps, sun, bokeh) added onto the image."""
        r = radius * self.w
        mask = Image.new("L", self.image.size, 0)
        ImageDraw.Draw(mask).ellipse(
            (cx * self.w - r, cy * self.h - r, cx * self.w + r, cy * self.h + r), fill=round(255 * strength)
        )
        mask = mask.filter(ImageFilter.GaussianBlur(r * 0.6))
        self.image.paste(Image.new("RGB", self.image.size, colour), (0, 0), mask)
        self.draw = ImageDraw.Draw(self.image)

    def jitter(self, value: float, spread: float) -> float:
        return value + self.rng.uniform(-spread, spread)
