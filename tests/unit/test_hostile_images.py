"""Odd images: too small, 16-bit greyscale. Refused or converted before anything is stored."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select

from core.adapters.db.database import Database
from core.adapters.db.models.ads import AdAvatar
from core.adapters.media.images import make_thumbnail, validate_image_upload
from core.errors import MediaRejected
from core.ports_services import Services
from core.services.ads import avatar
from tests.ugc_support import new_ad, ugc_services, ugc_settings


@pytest.fixture
def services(tmp_path: Path, db: Database) -> Services:
    return ugc_services(ugc_settings(tmp_path / "data"), db)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("size", [(1, 1), (63, 400), (400, 10)])
def test_images_under_64_px_on_the_short_side_are_refused(tmp_path: Path, size: tuple[int, int]) -> None:
    path = tmp_path / "tiny.png"
    path.write_bytes(_png(Image.new("RGB", size, (200, 100, 50))))
    with pytest.raises(MediaRejected, match=f"{size[0]}×{size[1]} pixels; it needs to be at least 64"):
        validate_image_upload(path, max_bytes=10_000_000)
    path.write_bytes(_png(Image.new("RGB", (64, 64), (200, 100, 50))))
    assert validate_image_upload(path, max_bytes=10_000_000).width == 64


def test_a_16_bit_greyscale_png_keeps_its_tones(tmp_path: Path) -> None:
    ramp = np.tile(np.linspace(0, 65535, 256, dtype=np.uint16), (128, 1))  # black to white, left to right
    source = tmp_path / "grey16.png"
    Image.fromarray(ramp).save(source)
    assert Image.open(source).mode.startswith("I")
    cleaned = validate_image_upload(source, max_bytes=10_000_000, dest=tmp_path / "clean.png")
    pixels = np.asarray(Image.open(cleaned.path).convert("L"))
    assert pixels[:, 0].max() <= 2 and pixels[:, -1].min() >= 253, "ends stay black and white"
    assert 110 <= pixels[64, 128] <= 145, "the middle is mid-grey, not solid white"
    thumb = make_thumbnail(source, tmp_path / "thumb.jpg")
    middle = np.asarray(Image.open(thumb.path).convert("L"))[thumb.height // 2, thumb.width // 2]
    assert 100 <= middle <= 155


def test_a_1x1_avatar_photo_is_refused_before_anything_is_stored(services: Services) -> None:
    user, ad_id = new_ad(services)
    with pytest.raises(MediaRejected, match="at least 64"):
        avatar.create_avatar_from_photos(ad_id, "Me", [_png(Image.new("RGB", (1, 1)))], user_id=user, services=services)
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(AdAvatar)) == 0
    media = services.settings.media_dir
    assert not [p for p in media.rglob("*avatar*") if p.is_file()] if media.exists() else True
