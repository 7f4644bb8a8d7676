"""Offline image edit: cut the actor out of a flat studio backdrop, paint a new scene, grade.

The person is separated by colour distance from the flat background (seed portraits are
drawn so that no part of the person is near that colour). Images without a flat
background keep every pixel and only get the prompt's lighting.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from core.adapters.media.files import atomic_output, file_sha256
from core.adapters.media.images import flatten_rgb, load_image_safely
from core.adapters.providers.local import backdrops_indoor as indoor
from core.adapters.providers.local import backdrops_outdoor as outdoor
from core.adapters.providers.local.backdrop_kit import Canvas
from core.adapters.providers.local.base import FinishedOnSubmit
from core.adapters.providers.local.portrait import layout_pnginfo, read_layout
from core.adapters.providers.local.scenes import Grade, SceneSpec, parse_prompt
from core.domain.media import ImageFile
from core.errors import ValidationError
from core.ports import ImageEditRequest, PollResult, Submission

logger = logging.getLogger(__name__)

MAX_PROMPT_CHARS = 1000
_MATTE_LOW, _MATTE_HIGH = 16.0, 44.0  # RGB distance from the backdrop: fully background .. fully person

PAINTERS: dict[str, Callable[[Canvas, SceneSpec], None]] = {
    "beach": outdoor.beach,
    "street": outdoor.street,
    "park": outdoor.park,
    "car": outdoor.car,
    "airport": outdoor.airport,
    "bathroom": indoor.bathroom,
    "kitchen": indoor.kitchen,
    "office": indoor.office,
    "gym": indoor.gym,
    "bedroom": indoor.bedroom,
    "cafe": indoor.cafe,
    "studio": indoor.studio,
}


def _seed_int(*parts: object) -> int:
    digest = hashlib.sha256(json.dumps([str(p) for p in parts]).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def flat_background(rgb: np.ndarray, hint: str | None) -> np.ndarray | None:
    """The backdrop colour if the image has a flat one (the layout's hint, checked against the border)."""
    height = rgb.shape[0]
    border = np.concatenate([rgb[0], rgb[: int(height * 0.6), 0], rgb[: int(height * 0.6), -1]]).astype(np.float32)
    colour = np.median(border, axis=0)
    if hint and len(hint) == 7 and hint.startswith("#"):
        colour = np.array([int(hint[i : i + 2], 16) for i in (1, 3, 5)], np.float32)
    close = np.linalg.norm(border - colour, axis=1) < 20
    return colour if close.mean() > 0.9 else None


def person_matte(rgb: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Soft alpha (0..1): how far each pixel is from the backdrop colour, cleaned and feathered."""
    distance = np.linalg.norm(rgb.astype(np.float32) - background, axis=2)
    alpha = np.clip((distance - _MATTE_LOW) / (_MATTE_HIGH - _MATTE_LOW), 0.0, 1.0)
    mask = Image.fromarray((alpha * 255).astype(np.uint8), "L").filter(ImageFilter.MedianFilter(3))
    mask = mask.filter(ImageFilter.GaussianBlur(0.8))
    return np.asarray(mask, np.float32) / 255.0


def paint_backdrop(spec: SceneSpec, size: tuple[int, int], seed: int) -> np.ndarray:
    canvas = Canvas(Image.new("RGB", size, (200, 200, 200)), random.Random(seed))
    PAINTERS[spec.scene](canvas, spec)
    blurred = canvas.image.filter(ImageFilter.GaussianBlur(max(2.0, size[0] / 170)))  # shallow depth of field
    return np.asarray(blurred, np.float32)


def composite(rgb: np.ndarray, alpha: np.ndarray, old_bg: np.ndarray, backdrop: np.ndarray) -> np.ndarray:
    a = alpha[..., None]
    # Un-mix the old backdrop from edge pixels so no coloured fringe survives.
    fg = np.where(a > 0.04, (rgb - (1 - a) * old_bg) / np.maximum(a, 0.04), rgb)
    fg = np.clip(fg, 0, 255)
    shadow = Image.fromarray((alpha * 255).astype(np.uint8), "L")
    width = alpha.shape[1]
    shadow = shadow.transform(shadow.size, Image.Transform.AFFINE, (1, 0, -width * 0.02, 0, 1, -width * 0.012))
    darkening = np.asarray(shadow.filter(ImageFilter.GaussianBlur(width / 40)), np.float32)[..., None] / 255.0
    ground = backdrop * (1 - 0.35 * darkening)
    out = fg * a + ground * (1 - a)
    soft = (
        np.asarray(
            Image.fromarray((alpha * 255).astype(np.uint8), "L").filter(ImageFilter.GaussianBlur(width / 120)),
            np.float32,
        )[..., None]
        / 255.0
    )
    wrap = np.clip(a - soft, 0, 1)  # a thin band just inside the silhouette
    return out * (1 - 0.3 * wrap) + backdrop * 0.3 * wrap


def apply_grade(frame: np.ndarray, grade: Grade) -> np.ndarray:
    out = frame * grade.brightness
    out = (out - 128.0) * grade.contrast + 128.0
    t = grade.temperature
    out = out * np.array([1 + 0.12 * t, 1 + 0.02 * t, 1 - 0.14 * t], np.float32)
    grey = out.mean(axis=2, keepdims=True)
    out = grey + (out - grey) * grade.saturation
    height, width = out.shape[:2]
    xs = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :, None]
    if grade.glow is not None:
        out = _screen(out, np.array(grade.glow, np.float32), grade.glow_strength * (1 - xs) ** 2)
    if grade.second_glow is not None:
        out = _screen(out, np.array(grade.second_glow, np.float32), grade.glow_strength * xs**2)
    ys = np.linspace(-1.0, 1.0, height, dtype=np.float32)[:, None, None]
    radius = np.sqrt(((xs * 2 - 1) * 0.9) ** 2 + (ys * 0.75) ** 2)
    out = out * (1 - grade.vignette * np.clip(radius - 0.35, 0, 1))
    return np.clip(out, 0, 255)


def _screen(frame: np.ndarray, colour: np.ndarray, amount: np.ndarray) -> np.ndarray:
    lit = 255 - (255 - frame) * (255 - colour) / 255
    return frame + (lit - frame) * amount


def edit_portrait(image: Image.Image, prompt: str, seed: int) -> Image.Image:
    layout = read_layout(image)
    rgb = np.asarray(flatten_rgb(image), np.float32)
    spec = parse_prompt(prompt)
    old_bg = flat_background(rgb, layout.background if layout else None)
    if old_bg is None:
        logger.info("no flat backdrop found; applying the lighting only")
        frame = rgb
    else:
        backdrop = paint_backdrop(spec, image.size, _seed_int(prompt, seed, spec.scene))
        frame = composite(rgb, person_matte(rgb, old_bg), old_bg, backdrop)
    graded = apply_grade(frame, spec.grade)
    return Image.fromarray(np.rint(graded).astype(np.uint8), "RGB")


def image_edit_request_id(request: ImageEditRequest) -> str:
    payload = [file_sha256(request.image), " ".join(request.prompt.split()), request.seed]
    return "local-edit-" + hashlib.sha256(json.dumps(payload).encode("utf-8")).hexdigest()[:32]


class LocalImageEditor(FinishedOnSubmit):
    """Provider[ImageEditRequest, ImageFile]. Finishes on submit; renders in collect."""

    def __init__(self, *, max_pixels: int = 40_000_000) -> None:
        self._max_pixels = max_pixels

    def submit(self, request: ImageEditRequest) -> Submission:
        self._check(request)
        return Submission(request_id=image_edit_request_id(request), poll_after_s=0.0)

    def collect(self, request: ImageEditRequest, result: PollResult, dest_dir: Path) -> ImageFile:
        self._check(request)
        source = load_image_safely(request.image, max_pixels=self._max_pixels)
        edited = edit_portrait(source, request.prompt, request.seed)
        dest = Path(dest_dir) / f"{image_edit_request_id(request)}.png"
        layout = read_layout(source)
        with atomic_output(dest) as tmp:  # keep where the face is; the backdrop is no longer flat
            edited.save(tmp, format="PNG", pnginfo=layout_pnginfo(replace(layout, background=None) if layout else None))
        return ImageFile(path=dest, width=edited.width, height=edited.height, content_type="image/png")

    @staticmethod
    def _check(request: ImageEditRequest) -> None:
        if not request.prompt.strip():
            raise ValidationError("Please describe the scene you want.")
        if len(request.prompt) > MAX_PROMPT_CHARS:
            raise ValidationError(
                f"The scene description is {len(request.prompt)} characters; the limit is {MAX_PROMPT_CHARS}."
            )
        if not Path(request.image).is_file():
            raise ValidationError("The actor image to edit is missing.")
