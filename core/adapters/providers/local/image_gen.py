"""Offline storyboard frames: the avatar and the product composed into a painted scene.

The prompt's scene card (`SETTING:`, `CAMERA:`, `LIGHTING:`, `PRODUCT VISIBILITY:` lines,
as the production bible writes them; plain keywords otherwise) decides the backdrop, how
large the person is (close-up, medium, wide, product close-up), where the product sits
and the lighting grade. `references[0]` is the avatar, `references[1]` the product photo.
Deterministic for a given request; the seed moves things slightly between variants.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from core.adapters.media.files import atomic_output, file_sha256
from core.adapters.media.images import flatten_rgb, load_image_safely
from core.adapters.providers.local.base import FinishedOnSubmit
from core.adapters.providers.local.image_edit import apply_grade, flat_background, paint_backdrop, person_matte
from core.adapters.providers.local.portrait import Box, FaceLayout, guess_layout, layout_pnginfo, read_layout
from core.adapters.providers.local.product_placement import (
    Hand,
    Placement,
    decontaminate,
    holding_hand,
    place_for,
    place_product,
)
from core.adapters.providers.local.scenes import SCENE_WORDS, parse_prompt
from core.adapters.providers.local.vision_metrics import foreground_mask
from core.domain.media import ImageFile
from core.errors import ValidationError
from core.ports import ImageGenRequest, PollResult, Submission

logger = logging.getLogger(__name__)

MAX_PROMPT_CHARS = 8000
# Shot -> (face height as a share of the frame height, face centre y as a share).
SHOTS = {"close_up": (0.30, 0.36), "medium": (0.17, 0.30), "wide": (0.10, 0.42), "product_close_up": (0.19, 0.30)}
# Where the face's centre sits across the frame, by angle; a product close-up keeps the presenter
# off-centre so the product held up beside them has room.
FACE_X = {"three quarter": 0.42, "low angle": 0.5, "high angle": 0.5}
PRODUCT_SHOT_FACE_X = 0.36


@dataclass(frozen=True, slots=True)
class SceneCard:
    setting: str
    shot: str
    angle: str
    lighting: str
    visibility: str

    def prompt_for_grade(self) -> str:
        return f"{self.setting} {self.lighting}".replace("studio", "")


def _tag(prompt: str, name: str) -> str:
    match = re.search(rf"(?im)^\s*{name}\s*:\s*(.+)$", prompt)
    return match.group(1).strip().lower() if match else ""


def read_card(prompt: str) -> SceneCard:
    text = prompt.lower()
    setting = _tag(prompt, "setting") or parse_prompt(text).scene
    setting = next((s for s in SCENE_WORDS if s in setting), "studio")
    camera = _tag(prompt, "camera") or text
    shot = next((s for s in ("product close", "close", "wide", "medium") if s in camera.replace("_", " ")), "medium")
    shot = {"product close": "product_close_up", "close": "close_up"}.get(shot, shot)
    angle = next(
        (a for a in ("low angle", "high angle", "three quarter") if a in camera.replace("_", " ")), "eye level"
    )
    visibility = _tag(prompt, "product visibility") or ("none" if "no product" in text else "primary")
    visibility = next((v for v in ("primary", "secondary", "none") if v in visibility), "primary")
    lighting = (_tag(prompt, "lighting") or text).replace("_", " ")
    return SceneCard(setting, shot, angle, lighting, visibility)


def request_id(request: ImageGenRequest) -> str:
    refs = [file_sha256(p) for p in request.references]
    prompt = " ".join(request.prompt.split())
    payload = [prompt, request.negative_prompt, refs, request.width, request.height, request.seed]
    return "local-image-" + hashlib.sha256(json.dumps(payload).encode("utf-8")).hexdigest()[:32]


def _fill_holes(alpha: np.ndarray) -> np.ndarray:
    """Backdrop is what the border reaches; enclosed pale areas (a white label) stay solid.

    The reach is grown from the border on a copy at most 128 px wide (numpy, a few ms), then scaled back.
    """
    full = Image.fromarray(np.where(alpha > 0.5, 0, 255).astype(np.uint8), "L")
    factor = max(1, -(-full.width // 128))
    small = (
        np.asarray(full.resize((max(1, full.width // factor), max(1, full.height // factor)), Image.Resampling.BOX))
        > 200
    )
    reached = np.zeros_like(small)
    reached[0, :], reached[-1, :], reached[:, 0], reached[:, -1] = small[0, :], small[-1, :], small[:, 0], small[:, -1]
    while True:
        grown = reached.copy()
        grown[1:] |= reached[:-1]
        grown[:-1] |= reached[1:]
        grown[:, 1:] |= reached[:, :-1]
        grown[:, :-1] |= reached[:, 1:]
        grown &= small
        if np.array_equal(grown, reached):
            break
        reached = grown
    outside = np.asarray(Image.fromarray(reached.astype(np.uint8) * 255).resize(full.size), np.uint8) > 127
    return np.where(outside, alpha, 1.0)


def _cutout(image: Image.Image, hint: str | None) -> Image.Image:
    """RGBA: the subject on transparency if its backdrop is flat, else the whole picture."""
    rgb = np.asarray(flatten_rgb(image), np.float32)
    background = flat_background(rgb, hint)
    if background is not None:
        alpha = _fill_holes(person_matte(rgb, background))
    else:
        alpha = _fill_holes(foreground_mask(rgb.astype(np.uint8)).astype(np.float32))  # all ones without a backdrop
    # One pixel in from the matte's edge, then feathered: the soft rim lies on the subject, not the backdrop.
    mask = Image.fromarray((alpha * 255).astype(np.uint8), "L").filter(ImageFilter.MinFilter(3))
    mask = mask.filter(ImageFilter.GaussianBlur(1.2))
    soft = np.asarray(mask, np.float32) / 255.0
    if background is not None:
        rgb = decontaminate(rgb, soft)
    cut = Image.fromarray(np.rint(rgb).astype(np.uint8), "RGB").convert("RGBA")
    cut.putalpha(mask)
    return cut


@lru_cache(maxsize=8)
def _cutout_of(digest: str, path: str, hint: str | None) -> Image.Image:
    """The same reference photo is cut out once per process (keyed by its content)."""
    return _cutout(load_image_safely(Path(path)), hint)


def _extend_down(layer: Image.Image, rows: int) -> Image.Image:
    """Continue the bottom edge (a torso cut off by the portrait) by repeating its last row."""
    if rows <= 0:
        return layer
    taller = Image.new("RGBA", (layer.width, layer.height + rows))
    taller.paste(layer, (0, 0))
    taller.paste(
        layer.crop((0, layer.height - 1, layer.width, layer.height)).resize((layer.width, rows)), (0, layer.height)
    )
    return taller


def _paste_with_shadow(frame: Image.Image, layer: Image.Image, x: int, y: int, strength: float) -> None:
    shadow = Image.new("RGBA", layer.size, (0, 0, 0, 0))
    shadow.putalpha(layer.getchannel("A").point(lambda a: int(a * strength)))
    shadow = shadow.filter(ImageFilter.GaussianBlur(max(2, layer.width // 30)))
    frame.alpha_composite(shadow, (x + layer.width // 40, y + layer.height // 60))
    frame.alpha_composite(layer, (x, y))


def _place_person(frame: Image.Image, avatar_path: Path, card: SceneCard, rng: random.Random) -> FaceLayout:
    avatar = load_image_safely(avatar_path)
    width, height = frame.size
    layout = read_layout(avatar) or guess_layout(np.asarray(flatten_rgb(avatar)))
    face_share, face_y = SHOTS.get(card.shot, SHOTS["medium"])
    scale = face_share * height / max(1, layout.face.h)
    person = _cutout_of(file_sha256(avatar_path), str(avatar_path), layout.background).copy()
    size = (max(1, round(avatar.width * scale)), max(1, round(avatar.height * scale)))
    person = person.resize(size, Image.Resampling.LANCZOS)
    face_x = PRODUCT_SHOT_FACE_X if card.shot == "product_close_up" else FACE_X.get(card.angle, 0.5)
    face_y += {"low angle": -0.04, "high angle": 0.05}.get(card.angle, 0.0)
    cx, cy = (face_x + rng.uniform(-0.03, 0.03)) * width, (face_y + rng.uniform(-0.015, 0.015)) * height
    dx, dy = round(cx - layout.face.cx * scale), round(cy - layout.face.cy * scale)
    person = _extend_down(person, height - (dy + person.height))  # never a floating torso
    _paste_with_shadow(frame, person, dx, dy, 0.35)
    return layout.mapped(scale, dx, dy)


def _fallback_face(frame: tuple[int, int]) -> Box:
    """Without a presenter, the product is placed as if a medium shot's face were there."""
    width, height = frame
    face_h = round(SHOTS["medium"][0] * height)
    return Box(
        round(width / 2 - face_h * 0.38), round(SHOTS["medium"][1] * height - face_h / 2), round(face_h * 0.76), face_h
    )


def _place_product(
    frame: Image.Image, product_path: Path, card: SceneCard, face: Box | None, rng: random.Random
) -> Placement | None:
    place = place_for(card.shot, card.visibility)
    if place is None:
        return None
    cut = _cutout_of(file_sha256(product_path), str(product_path), None)
    box = cut.getchannel("A").getbbox() or (0, 0, *cut.size)
    cut = cut.crop(box)
    placement = place_product(
        place, cut.width / max(1, cut.height), face or _fallback_face(frame.size), frame.size, rng.uniform(-0.01, 0.01)
    )
    b = placement.box
    cut = cut.resize((b.w, b.h), Image.Resampling.LANCZOS).rotate(rng.uniform(-3, 3), resample=Image.Resampling.BICUBIC)
    _paste_with_shadow(frame, cut, b.x, b.y, 0.5)
    if face is not None and place in ("hand", "close_up"):
        _draw_hand(frame, holding_hand(b, face), _skin_of(frame, face))
    return placement


def _skin_of(frame: Image.Image, face: Box) -> tuple[int, int, int]:
    """The presenter's skin: the median colour of the cheeks, below the eyes and beside the nose."""
    rgb = np.asarray(frame.convert("RGB"))
    y0, y1 = face.y + round(face.h * 0.55), face.y + round(face.h * 0.68)
    spans = ((0.2, 0.35), (0.65, 0.8))
    cheeks = [rgb[y0:y1, face.x + round(face.w * a) : face.x + round(face.w * b)].reshape(-1, 3) for a, b in spans]
    pixels = np.concatenate(cheeks)
    if not len(pixels):
        return (224, 180, 150)
    r, g, b = np.median(pixels, axis=0)
    return int(r), int(g), int(b)


def _draw_hand(frame: Image.Image, hand: Hand, skin: tuple[int, int, int]) -> None:
    """The hand, supersampled for smooth edges, with a faint darker outline between the fingers."""
    ss = 3
    x0 = min(hand.palm[0], *(f[0] for f in hand.fingers)) - 2
    y0 = min(hand.palm[1], *(f[1] for f in hand.fingers)) - 2
    x1 = max(hand.palm[2], *(f[2] for f in hand.fingers)) + 2
    y1 = max(hand.palm[3], *(f[3] for f in hand.fingers)) + 2
    layer = Image.new("RGBA", ((x1 - x0) * ss, (y1 - y0) * ss), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    shade = tuple(int(c * 0.8) for c in skin)

    def local(shape: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        return ((shape[0] - x0) * ss, (shape[1] - y0) * ss, (shape[2] - x0) * ss, (shape[3] - y0) * ss)

    draw.ellipse(local(hand.palm), fill=(*skin, 255))
    for finger in hand.fingers:
        box = local(finger)
        draw.rounded_rectangle(box, radius=(box[3] - box[1]) // 2, fill=(*skin, 255), outline=(*shade, 255), width=ss)
    layer = layer.resize((x1 - x0, y1 - y0), Image.Resampling.LANCZOS)
    frame.alpha_composite(layer, (max(0, x0), max(0, y0)), (max(0, -x0), max(0, -y0)))


def render_frame(request: ImageGenRequest) -> tuple[Image.Image, FaceLayout | None, SceneCard, Placement | None]:
    card = read_card(request.prompt)
    rng = random.Random(request_id(request))
    size = (request.width, request.height)
    spec = parse_prompt(card.prompt_for_grade())
    backdrop = paint_backdrop(parse_prompt(card.setting), size, rng.randrange(1 << 30))
    frame = Image.new("RGBA", size, (0, 0, 0, 0))  # the person's layer first, to know where they are
    layout = None
    if request.references:
        layout = _place_person(frame, Path(request.references[0]), card, rng)
    subject = np.asarray(frame.getchannel("A"), np.float32)[..., None] / 255.0  # 1 where a subject is
    frame = Image.alpha_composite(Image.fromarray(np.rint(backdrop).astype(np.uint8), "RGB").convert("RGBA"), frame)
    placement = None
    if len(request.references) > 1:
        face = layout.face if layout is not None else None
        placement = _place_product(frame, Path(request.references[1]), card, face, rng)
    plain = np.asarray(frame.convert("RGB"), np.float32)
    graded = apply_grade(plain, spec.grade)
    # The person takes half of the grade: lit by the scene, but skin and hair keep their identity.
    half = plain + (graded - plain) * 0.5
    mixed = graded * (1 - subject) + half * subject
    return Image.fromarray(np.rint(np.clip(mixed, 0, 255)).astype(np.uint8), "RGB"), layout, card, placement


class LocalImageGenerator(FinishedOnSubmit):
    """Provider[ImageGenRequest, ImageFile]. Finishes on submit; draws in collect."""

    def submit(self, request: ImageGenRequest) -> Submission:
        self._check(request)
        return Submission(request_id=request_id(request), poll_after_s=0.0)

    def collect(self, request: ImageGenRequest, result: PollResult, dest_dir: Path) -> ImageFile:
        self._check(request)
        image, layout, card, placement = render_frame(request)
        dest = Path(dest_dir) / f"{request_id(request)}.png"
        info = layout_pnginfo(layout)
        info.add_text("ugc:card", json.dumps(_card_dict(card) | _placement_dict(placement)))
        with atomic_output(dest) as tmp:
            image.save(tmp, format="PNG", pnginfo=info)
        return ImageFile(path=dest, width=image.width, height=image.height, content_type="image/png")

    @staticmethod
    def _check(request: ImageGenRequest) -> None:
        if not request.prompt.strip():
            raise ValidationError("Describe the frame to draw.")
        if len(request.prompt) > MAX_PROMPT_CHARS:
            raise ValidationError(
                f"The frame description is {len(request.prompt)} characters; the limit is {MAX_PROMPT_CHARS}."
            )
        if request.width % 2 or request.height % 2 or min(request.width, request.height) < 64:
            raise ValidationError("Frame width and height must be even and at least 64 pixels.")
        for path in request.references:
            if not Path(path).is_file():
                raise ValidationError("A reference image for the frame is missing.")


def _card_dict(card: SceneCard) -> dict[str, str]:
    return {name: getattr(card, name) for name in SceneCard.__slots__}


def _placement_dict(placement: Placement | None) -> dict[str, object]:
    """Where the product was put (read back by the caption layout and the quality check)."""
    if placement is None:
        return {"product_place": None, "product_box": None}
    return {"product_place": placement.place, "product_box": placement.box.to_dict()}
