"""The offline character reference sheet: crops of the real photos per angle, a face
close-up, colour swatches sampled from the pixels, and the DNA in words, labelled "composed"."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from core.adapters.media.captions import FONT

WIDTH, HEIGHT = 1600, 1200
PANEL = (360, 480)
BACKGROUND, INK = (246, 244, 240), (30, 30, 34)


@dataclass(frozen=True, slots=True)
class SheetPhoto:
    path: Path
    angle: str
    box: list[int] | None  # face x, y, w, h


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT), size)


def _fit(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    ratio = max(size[0] / image.width, size[1] / image.height)
    scaled = image.resize((max(1, round(image.width * ratio)), max(1, round(image.height * ratio))))
    left, top = (scaled.width - size[0]) // 2, (scaled.height - size[1]) // 2
    return scaled.crop((left, top, left + size[0], top + size[1]))


def _face_crop(photo: SheetPhoto, image: Image.Image) -> Image.Image:
    if not photo.box:
        return image
    x, y, w, h = photo.box
    pad = int(0.35 * max(w, h))
    return image.crop((max(0, x - pad), max(0, y - pad), min(image.width, x + w + pad), min(image.height, y + h + pad)))


def _median(image: Image.Image, box: tuple[int, int, int, int]) -> tuple[int, int, int]:
    region = np.asarray(image.crop(box)).reshape(-1, 3)
    return tuple(int(v) for v in np.median(region, axis=0)) if region.size else (128, 128, 128)  # type: ignore[return-value]


def swatches(photo: SheetPhoto, image: Image.Image) -> dict[str, tuple[int, int, int]]:
    """Skin from the cheeks, hair above the face, eyes from the eye band, wardrobe below the chin."""
    x, y, w, h = photo.box or [image.width // 3, image.height // 4, image.width // 3, image.height // 3]
    clamp = lambda v, top: max(0, min(top, v))  # noqa: E731
    return {
        "skin": _median(image, (x + w // 5, y + h // 2, x + 2 * w // 5, y + 7 * h // 10)),
        "hair": _median(image, (x + w // 3, clamp(y - h // 6, image.height - 1), x + 2 * w // 3, max(1, y))),
        "eyes": _median(image, (x + w // 4, y + 2 * h // 5, x + w // 3, y + h // 2)),
        "wardrobe": _median(
            image,
            (x, clamp(y + int(1.6 * h), image.height - 2), x + w, clamp(y + int(2.0 * h), image.height - 1) + 1),
        ),
    }


def compose_sheet(name: str, photos: list[SheetPhoto], dna: dict[str, str], dest: Path) -> Path:
    canvas = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    draw.text((40, 24), f"{name} — character reference sheet", font=_font(40), fill=INK)
    draw.text((40, 76), "COMPOSED from the real photos (offline), not generated", font=_font(22), fill=(150, 40, 40))
    loaded = [(p, Image.open(p.path).convert("RGB")) for p in photos]
    for index, (photo, image) in enumerate(loaded[:3]):
        left = 40 + index * (PANEL[0] + 20)
        canvas.paste(_fit(image, PANEL), (left, 130))
        draw.text((left, 130 + PANEL[1] + 8), photo.angle.replace("_", " "), font=_font(22), fill=INK)
    first, image = loaded[0]
    canvas.paste(_fit(_face_crop(first, image), (360, 360)), (1200, 130))
    draw.text((1200, 498), "face close-up", font=_font(22), fill=INK)
    for index, (label, colour) in enumerate(swatches(first, image).items()):
        top = 560 + index * 56
        draw.rectangle((1200, top, 1250, top + 44), fill=colour, outline=INK)
        draw.text((1265, top + 8), f"{label}  #{colour[0]:02x}{colour[1]:02x}{colour[2]:02x}", font=_font(22), fill=INK)
    top = 680
    for key, value in dna.items():
        if not value:
            continue
        for line in textwrap.wrap(f"{key.replace('_', ' ')}: {value}", 95)[:2]:
            if top > HEIGHT - 40:
                break
            draw.text((40, top), line, font=_font(20), fill=INK)
            top += 28
    canvas.save(dest, format="PNG")
    return dest
