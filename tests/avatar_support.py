"""Test faces the OpenCV cascades really detect, and services with the offline providers.

Front: the seed portraits `ava`, `kenji` and `liam` (the detector finds the face in all ten
seed portraits, `tests/unit/test_seed_faces.py`; these three are enough here). Profiles:
the Pillow-drawn side view below, which the profile cascade finds facing the image's
left (`left_profile`); its mirror image is the `right_profile`. No face: a plain gradient.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageOps

from core.adapters.db.database import Database
from core.adapters.media.ffmpeg import FfmpegToolkit
from core.adapters.providers.local.vision import LocalVisionAnalyzer
from core.config import Settings
from core.ports_services import ProviderChoice, Providers, Services
from tests.conftest import make_services

SEEDS = Path(__file__).resolve().parents[1] / "seeds" / "actors"
FRONTS = ("ava_base_01.png", "kenji_base_08.png", "liam_base_06.png")


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def front(index: int = 0) -> Image.Image:
    return Image.open(SEEDS / FRONTS[index]).convert("RGB")


def left_profile(skin: tuple[int, int, int] = (224, 180, 150)) -> Image.Image:
    """A side view facing the image's left: forehead, nose, lips and chin, hair at the back."""
    im = Image.new("RGB", (480, 640), (225, 228, 232))
    d = ImageDraw.Draw(im)
    cx, cy, hair = 240, 300, (50, 35, 25)
    d.rectangle([cx - 40, cy + 120, cx + 50, cy + 300], fill=tuple(int(c * 0.85) for c in skin))
    d.ellipse([cx - 110, cy - 150, cx + 90, cy + 130], fill=skin)
    outline = [
        (cx - 20, cy - 150),
        (cx - 95, cy - 110),
        (cx - 105, cy - 40),
        (cx - 98, cy - 25),
        (cx - 135, cy + 30),
        (cx - 100, cy + 45),
        (cx - 104, cy + 62),
        (cx - 96, cy + 72),
        (cx - 102, cy + 85),
        (cx - 90, cy + 115),
        (cx - 50, cy + 130),
        (cx, cy + 120),
    ]
    d.polygon(outline, fill=skin)
    d.pieslice([cx - 120, cy - 170, cx + 110, cy + 120], 200, 100, fill=hair)
    d.ellipse([cx, cy - 160, cx + 110, cy + 110], fill=hair)
    d.ellipse([cx + 5, cy - 20, cx + 35, cy + 35], fill=tuple(int(c * 0.9) for c in skin))
    d.ellipse([cx - 85, cy - 35, cx - 65, cy - 22], fill=(60, 40, 30))
    d.line([cx - 95, cy - 50, cx - 60, cy - 52], fill=hair, width=6)
    d.line([cx - 100, cy + 62, cx - 80, cy + 64], fill=(150, 70, 70), width=4)
    d.line([cx - 80, cy + 120, cx + 10, cy + 115], fill=tuple(int(c * 0.7) for c in skin), width=8)
    return im.filter(ImageFilter.GaussianBlur(4))


def right_profile() -> Image.Image:
    return ImageOps.mirror(left_profile())


def no_face() -> Image.Image:
    return Image.linear_gradient("L").resize((400, 500)).convert("RGB")


def three_views() -> list[bytes]:
    return [png(front()), png(left_profile()), png(right_profile())]


def avatar_services(settings: Settings, db: Database, **providers: object) -> Services:
    vision = LocalVisionAnalyzer(max_pixels=settings.image_max_pixels)
    choices = {
        "vision": ProviderChoice(
            capability="vision", provider=vision, vendor="local", model="offline", key_present=False
        )
    }
    for capability, provider in providers.items():
        choices[capability] = ProviderChoice(capability, provider, getattr(provider, "name", "x"), "m", True)
    return make_services(settings, db, media=FfmpegToolkit(), providers=Providers(choices=choices))
