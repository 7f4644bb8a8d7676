"""Offline vision: product and character DNA from pixel statistics, identity scores by perceptual similarity.

Not a vision model. It measures what Pillow and numpy can measure (dominant colours as
hex, aspect and shape class, brightness, gloss, where the face is) and writes the same
JSON a hosted model is asked for, labelled `"source": "offline analysis (Pillow)"`.
What it cannot see (label text, eye colour without a layout) it says so, for the
creator to fill in. Deterministic.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from core.adapters.media.files import file_sha256
from core.adapters.media.images import load_image_safely
from core.adapters.providers.local.base import FinishedOnSubmit
from core.adapters.providers.local.portrait import Box, read_layout
from core.adapters.providers.local.script_templates import KIND_KEYWORDS
from core.adapters.providers.local.vision_metrics import (
    best_match,
    colour_name,
    dominant_colours,
    face_box,
    foreground_mask,
    hex_of,
    reference_signature,
    region_median,
    small_rgb,
)
from core.errors import ValidationError
from core.ports import PollResult, Submission, VisionAnswer, VisionRequest, VisionTask

logger = logging.getLogger(__name__)

SOURCE = "offline analysis (Pillow)"
MAX_IMAGES = 64


def request_id(request: VisionRequest) -> str:
    files = [file_sha256(p) for p in (*request.images, *request.references)]
    payload = [request.task.value, files, request.hint, request.seed]
    return "local-vision-" + hashlib.sha256(json.dumps(payload).encode("utf-8")).hexdigest()[:32]


def _shape(aspect: float) -> str:
    if aspect > 2.2:
        return "tall slim bottle or tube"
    if aspect > 1.3:
        return "upright bottle or box"
    if aspect > 0.77:
        return "compact jar or square box"
    return "wide, low package"


def _product_type(name: str) -> str:
    text = name.lower()
    for kind, words in KIND_KEYWORDS.items():
        if hit := next((w for w in words if w in text), None):
            return f"{kind}_{hit}".replace(" ", "_")
    return "consumer_product"


def _surface(rgb: np.ndarray, mask: np.ndarray) -> tuple[str, list[str]]:
    luma = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    fg = luma[mask]
    highlights = float((fg > 240).mean()) if fg.size else 0.0
    spread = float(fg.std()) if fg.size else 0.0
    texture = "glossy with bright specular highlights" if highlights > 0.02 else "matte, even surface"
    materials = ["glass or glossy plastic"] if highlights > 0.02 else ["matte plastic, paper or card"]
    if spread > 60:
        materials.append("high-contrast printed label")
    return texture, materials


def product_dna(images: list[Image.Image], name: str) -> dict[str, Any]:
    hero = small_rgb(images[0])
    hero_mask = foreground_mask(hero)
    ys, xs = np.nonzero(hero_mask)
    aspect = (ys.max() - ys.min() + 1) / max(1, xs.max() - xs.min() + 1)
    pixels = np.concatenate([rgb[foreground_mask(rgb)] for rgb in (small_rgb(i, 128) for i in images)])
    colours = dominant_colours(pixels, 3)
    roles = dict(zip(("primary", "secondary", "accent"), (hex_of(c) for c, _ in colours), strict=False))
    names = [f"{colour_name(c)} ({hex_of(c)}, {share:.0%})" for c, share in colours]
    texture, materials = _surface(hero, hero_mask)
    shape = _shape(aspect)
    primary = colours[0][0] if colours else np.array([128, 128, 128])
    return {
        "product_type": _product_type(name),
        "product_name": name,
        "colors": roles,
        "shape": shape,
        "materials": materials,
        "texture": texture,
        "branding_text": [name] if name else [],
        "logo_description": "not read offline; describe the logo here",
        "distinctive_features": [f"main colours: {', '.join(names)}", f"height to width {aspect:.2f}"],
        "prohibited_variations": [
            f"Never change the {colour_name(primary)} ({hex_of(primary)}) main colour",
            f"Never alter the {shape} proportions (height to width {aspect:.2f})",
            "Never change or invent label text",
        ],
        "source": SOURCE,
    }


def _tone(skin: np.ndarray) -> str:
    luma = float(skin @ np.array([0.299, 0.587, 0.114]))
    levels = [
        (200, "very light", "I"),
        (175, "light", "II"),
        (150, "medium", "III"),
        (120, "tan", "IV"),
        (90, "brown", "V"),
        (0, "deep brown", "VI"),
    ]
    label, fitz = next((name, f) for limit, name, f in levels if luma >= limit)
    undertone = "warm" if skin[0] - skin[2] > 40 else "neutral" if skin[0] - skin[2] > 20 else "cool"
    return f"{label}, {undertone} undertone ({hex_of(skin)}), roughly Fitzpatrick type {fitz}"


def _eyes(image: Image.Image, rgb: np.ndarray) -> str:
    layout = read_layout(image)
    if layout is None or not layout.eyes:
        return "not determined offline; describe the eye colour here"
    scale = rgb.shape[1] / image.width
    eye = layout.eyes[0].mapped(scale, 0, 0)
    patch = rgb[max(0, eye.y) : eye.y + eye.h, max(0, eye.x) : eye.x + eye.w].reshape(-1, 3).astype(np.float32)
    dark = patch[patch.sum(axis=1) < np.percentile(patch.sum(axis=1), 30)] if len(patch) else patch
    colour = dark.mean(axis=0) if len(dark) else np.array([60, 40, 30])
    return f"{colour_name(colour)} irises ({hex_of(colour)})"


def character_dna(images: list[Image.Image], hint: str) -> dict[str, Any]:
    image = images[0]
    rgb = small_rgb(image, 320)
    height, width = rgb.shape[:2]
    face = face_box(image, rgb)
    skin = region_median(rgb, Box(face.x + face.w // 4, face.y + face.h // 3, face.w // 2, face.h // 3))
    hair = region_median(rgb, Box(face.x, max(0, face.y - face.h // 8), face.w, max(2, face.h // 6)))
    top = min(height - 2, face.y + face.h + face.h // 3)
    wardrobe = region_median(rgb, Box(face.x - face.w // 2, top, face.w * 2, max(2, height - top)))
    shape = "oval" if face.h / max(1, face.w) > 1.25 else "round" if face.h / max(1, face.w) < 1.08 else "balanced"
    return {
        "face": f"{shape} face, about {face.w / width:.0%} of the frame's width in the reference",
        "skin": _tone(skin),
        "eyes": _eyes(image, rgb),
        "hair": f"{colour_name(hair)} hair ({hex_of(hair)})",
        "body": "head-and-shoulders reference; build not measured offline",
        "voice": hint or "set the voice in the avatar's voice settings",
        "wardrobe": f"{colour_name(wardrobe)} top ({hex_of(wardrobe)})",
        "prohibited_drift": (
            f"Skin ALWAYS {hex_of(skin)}; hair ALWAYS {colour_name(hair)} ({hex_of(hair)}); "
            f"face shape ALWAYS {shape}; wardrobe colour stays {colour_name(wardrobe)} unless the script says otherwise"
        ),
        "source": SOURCE,
        "references": len(images),
    }


def identity_scores(images: list[Image.Image], references: list[Image.Image]) -> dict[str, Any]:
    signatures = [reference_signature(r) for r in references]
    scores = [max(best_match(sig, image) for sig in signatures) for image in images]
    return {"scores": scores, "method": "colour layout + grey correlation", "source": SOURCE}


def face_angles(images: list[Image.Image]) -> dict[str, Any]:
    from core.adapters.media.faces import METHOD, classify_angle

    photos = []
    for image in images:
        angle, face = classify_angle(np.asarray(image))
        photos.append({"angle": angle or "none", "has_face": angle is not None, "box": face.box() if face else None})
    return {"photos": photos, "source": METHOD}


class LocalVisionAnalyzer(FinishedOnSubmit):
    """Provider[VisionRequest, VisionAnswer]. Finishes on submit; analyses in collect."""

    model = SOURCE

    def __init__(self, *, max_pixels: int = 40_000_000) -> None:
        self._max_pixels = max_pixels

    def submit(self, request: VisionRequest) -> Submission:
        self._check(request)
        return Submission(request_id=request_id(request), poll_after_s=0.0)

    def collect(self, request: VisionRequest, result: PollResult, dest_dir: Path) -> VisionAnswer:
        self._check(request)
        images = [self._load(p) for p in request.images]
        if request.task is VisionTask.PRODUCT_DNA:
            answer = product_dna(images, request.hint)
        elif request.task is VisionTask.CHARACTER_DNA:
            answer = character_dna(images, request.hint)
        elif request.task is VisionTask.ANGLES:
            answer = face_angles(images)
        else:
            answer = identity_scores(images, [self._load(p) for p in request.references])
        return VisionAnswer(text=json.dumps(answer, ensure_ascii=False), model=SOURCE)

    def _load(self, path: Path) -> Image.Image:
        image = load_image_safely(Path(path), max_pixels=self._max_pixels)
        return image if image.mode == "RGB" else image.convert("RGB") if "A" not in image.mode else _on_white(image)

    @staticmethod
    def _check(request: VisionRequest) -> None:
        if not request.images or len(request.images) > MAX_IMAGES:
            raise ValidationError(f"Send between 1 and {MAX_IMAGES} images to analyse.")
        if request.task is VisionTask.IDENTITY and not request.references:
            raise ValidationError("Identity scoring needs the avatar's reference images.")
        for path in (*request.images, *request.references):
            if not Path(path).is_file():
                raise ValidationError("An image to analyse is missing.")


def _on_white(image: Image.Image) -> Image.Image:
    info = dict(image.info)
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    flat.info = info  # keep the face layout text chunk
    return flat
