"""The product sits where a person would hold or place it, never over the face, with clean edges."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from core.adapters.providers.local.image_gen import LocalImageGenerator, _cutout
from core.adapters.providers.local.portrait import Box, read_layout
from core.adapters.providers.local.product_placement import SIZE_TO_FACE, fringe, holding_hand, place_product
from core.ports import ImageGenRequest
from tests.ugc_support import product_png

ACTORS = Path(__file__).resolve().parents[2] / "seeds" / "actors"
W, H = 270, 480


def _overlap(a: Box, b: Box) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def _frame(tmp_path: Path, shot: str, visibility: str, seed: int = 0) -> tuple[Image.Image, dict]:
    (tmp_path / "product.png").write_bytes(product_png())
    prompt = (
        f"SETTING: kitchen\nCAMERA: {shot}, eye level, handheld\nLIGHTING: natural\nPRODUCT VISIBILITY: {visibility}\n"
    )
    refs = (ACTORS / "ava_base_01.png", tmp_path / "product.png")
    image = LocalImageGenerator().collect(ImageGenRequest(prompt, refs, W, H, seed=seed), None, tmp_path)  # type: ignore[arg-type]
    opened = Image.open(image.path)
    return opened, json.loads(opened.info["ugc:card"])


@pytest.mark.parametrize(
    ("shot", "visibility", "place"),
    [
        ("close_up", "primary", "hand"),
        ("medium", "primary", "hand"),
        ("medium", "secondary", "counter"),
        ("close_up", "secondary", "counter"),
        ("product_close_up", "primary", "close_up"),
        ("wide", "primary", "hand"),
    ],
)
def test_the_product_is_placed_by_scene_type_clear_of_the_face(
    tmp_path: Path, shot: str, visibility: str, place: str
) -> None:
    for seed in range(3):
        image, card = _frame(tmp_path, shot, visibility, seed)
        layout = read_layout(image)
        assert layout is not None and card["product_place"] == place
        box, face = Box.from_dict(card["product_box"]), layout.face
        assert not _overlap(box, face), (box, face)  # never over the face
        _, low, high = SIZE_TO_FACE[place]
        assert low - 0.05 <= box.h / face.h <= high + 0.05  # bounded against the face
        assert box.x >= 0 and box.y >= 0 and box.x + box.w <= W and box.y + box.h <= H
        if place == "hand":  # near the chest: below the chin, beside the face
            assert face.y + face.h * 0.9 <= box.y <= face.y + face.h * 1.6
            assert abs((box.x + box.w / 2) - face.cx) <= 1.6 * face.w
        elif place == "counter":
            assert box.y + box.h >= 0.9 * H
        else:  # held up to the camera beside the face: larger than in hand, its top about the face's
            assert box.h >= 1.7 * face.h and face.y - 0.3 * face.h <= box.y <= face.cy
            assert abs((box.x + box.w / 2) - face.cx) <= 2.2 * face.w
        pixels = np.asarray(image.convert("RGB"), np.int16)[box.y : box.y + box.h, box.x : box.x + box.w]
        orange = (pixels[..., 0] > 170) & (pixels[..., 1] > 100) & (pixels[..., 2] < 100)
        assert orange.mean() > 0.3  # the box is where the product really is


def test_a_held_product_has_a_hand_round_it_not_over_the_label() -> None:
    face = Box(60, 100, 60, 80)
    for place in ("hand", "close_up"):
        box = place_product(place, 0.35, face, (W, H)).box
        hand = holding_hand(box, face)
        assert len(hand.fingers) == 4
        for x0, y0, x1, y1 in hand.fingers:
            assert y0 >= box.y + 0.6 * box.h and y1 <= box.y + box.h  # the lower part: the label shows
            assert x0 < box.x + box.w and x1 > box.x  # across the product
        inner = box.x if box.x + box.w / 2 > face.cx else box.x + box.w
        assert hand.palm[0] <= inner <= hand.palm[2]  # the palm at the side toward the body


def test_no_product_when_the_scene_hides_it(tmp_path: Path) -> None:
    _, card = _frame(tmp_path, "medium", "none")
    assert card["product_place"] is None and card["product_box"] is None


def test_placement_never_covers_any_face_position() -> None:
    for fx in range(0, W - 60, 20):
        for fy in range(0, H - 80, 40):
            face = Box(fx, fy, 60, 80)
            for place in ("hand", "counter", "close_up"):
                for aspect in (0.3, 1.0, 2.5):
                    box = place_product(place, aspect, face, (W, H)).box
                    assert not _overlap(box, face), (place, aspect, face, box)


def _on_green() -> Image.Image:
    image = Image.open(io.BytesIO(product_png(300, 400))).convert("RGB")
    pixels = np.asarray(image).copy()
    pale = (pixels > 240).all(axis=2)
    pixels[pale] = (40, 200, 60)  # a green studio wall
    out = Image.fromarray(pixels)
    ImageDraw.Draw(out).rectangle((0, 0, 299, 3), fill=(40, 200, 60))
    return out


def test_cut_outs_have_no_colour_fringe() -> None:
    source = _on_green()
    cut = np.asarray(_cutout(source, None), np.float32)
    rgb, alpha = cut[..., :3], cut[..., 3] / 255.0
    green = np.array([40, 200, 60], np.float32)
    naive = np.asarray(source, np.float32)  # the same matte over the photo's own edge colours
    assert fringe(naive, alpha, green) > 10  # the green wall shows on the rim without un-mixing
    assert fringe(rgb, alpha, green) < 3
