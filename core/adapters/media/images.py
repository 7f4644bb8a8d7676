"""Pillow-side image safety: open only PNG/JPEG/WEBP, check size before decoding, re-encode."""

from __future__ import annotations

import logging
import uuid
import warnings
from pathlib import Path
from typing import cast

from PIL import Image, ImageOps, UnidentifiedImageError

from core.adapters.media.files import atomic_output, format_mb
from core.domain.media import ImageFile
from core.errors import MediaRejected

logger = logging.getLogger(__name__)

IMAGE_FORMATS = ("PNG", "JPEG", "WEBP")
DEFAULT_MAX_PIXELS = 40_000_000
# Smaller than this on the short side and no face, product or setting can be read from it
# (a 1x1 photo used to crash the character analysis after the file was stored).
MIN_SIDE = 64
_SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N", "I")
NOT_IMAGE = "This file is not a PNG, JPEG or WebP image we can read."


def _too_big(max_pixels: int, size: tuple[int, int] | None = None) -> MediaRejected:
    limit = f"{max_pixels / 1_000_000:g} megapixels"
    if size is None:
        return MediaRejected(f"This image is too large; the limit is {limit}.")
    return MediaRejected(f"This image is {size[0]}×{size[1]} pixels; the limit is {limit}.")


def load_image_safely(path: Path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Open by content as PNG/JPEG/WEBP only; refuse oversized images before decoding pixels."""
    try:
        with open(path, "rb") as fh, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(fh, formats=list(IMAGE_FORMATS))
            width, height = image.size
            if width <= 0 or height <= 0:
                raise MediaRejected(NOT_IMAGE)
            if width * height > max_pixels:
                raise _too_big(max_pixels, (width, height))
            image.load()
    except MediaRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_big(max_pixels) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        logger.info("image rejected (%s): %s", type(exc).__name__, exc)
        raise MediaRejected(NOT_IMAGE) from exc
    return image


def to_8bit(image: Image.Image) -> Image.Image:
    """16-bit greyscale scaled to 8 bits; a plain convert clips every value above 255 to white."""
    if image.mode not in _SIXTEEN_BIT:
        return image
    wide = image if image.mode == "I" else image.convert("I")
    low_high = cast(tuple[int, int], wide.getextrema())  # one band (mode "I"): (min, max)
    top = 65535 if (low_high[1] or 0) > 255 else 255  # mode "I" may already hold 8-bit values
    return wide.point(lambda v: v * 255 / top).convert("L")


def _clean_pixels(image: Image.Image) -> Image.Image:
    """Upright pixels only: EXIF rotation applied, then every bit of metadata dropped."""
    upright = to_8bit(ImageOps.exif_transpose(image) or image)
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    clean = upright.convert("RGBA" if has_alpha else "RGB")
    return Image.frombytes(clean.mode, clean.size, clean.tobytes())


def validate_image_upload(
    path: Path,
    *,
    max_bytes: int,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    dest: Path | None = None,
    min_side: int = MIN_SIDE,
) -> ImageFile:
    """Check a creator's image and re-encode it as a metadata-free PNG at `dest`.

    `dest` defaults to a generated name beside `path`; use the returned path.
    """
    size = Path(path).stat().st_size
    if size == 0:
        raise MediaRejected("This file is empty.")
    if size > max_bytes:
        raise MediaRejected(f"Your image is {format_mb(size)}; the limit is {format_mb(max_bytes)}.")
    clean = _clean_pixels(load_image_safely(path, max_pixels=max_pixels))
    if min(clean.size) < min_side:
        raise MediaRejected(
            f"This image is {clean.width}×{clean.height} pixels; it needs to be at least {min_side} pixels "
            "on its short side to be used.",
            details={"width": clean.width, "height": clean.height, "min_side": min_side},
        )
    target = Path(dest) if dest is not None else Path(path).parent / f"image-{uuid.uuid4().hex}.png"
    with atomic_output(target) as tmp:
        clean.save(tmp, format="PNG", optimize=False)
    return ImageFile(path=target, width=clean.width, height=clean.height, content_type="image/png")


def flatten_rgb(image: Image.Image, background: tuple[int, int, int] = (255, 255, 255)) -> Image.Image:
    """RGB pixels; anything transparent is laid onto `background` instead of turning black."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, background)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        flat.info = dict(image.info)
        return flat
    return image.convert("RGB") if image.mode != "RGB" else image


def make_thumbnail(image: Path, dest: Path, *, max_side: int = 360) -> ImageFile:
    """A JPEG no larger than max_side on either side; transparency goes onto white."""
    picture = flatten_rgb(to_8bit(ImageOps.exif_transpose(load_image_safely(image))))
    picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    with atomic_output(Path(dest)) as tmp:
        picture.save(tmp, format="JPEG", quality=85, optimize=True)
    return ImageFile(path=Path(dest), width=picture.width, height=picture.height, content_type="image/jpeg")
