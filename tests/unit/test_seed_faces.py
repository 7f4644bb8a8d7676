"""The offline face detector finds the face in every seed portrait, where the renderer drew it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.adapters.media.faces import Face, classify_angle, frontal_faces
from core.adapters.providers.local.portrait import read_layout

SEEDS = sorted((Path(__file__).resolve().parents[2] / "seeds" / "actors").glob("*_base_*.png"))


def test_there_are_ten_seed_portraits() -> None:
    assert len(SEEDS) == 10


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.stem)
def test_the_face_is_found_where_it_was_drawn(path: Path) -> None:
    image = Image.open(path)
    layout = read_layout(image)  # the renderer records where it drew the face, eyes and mouth
    assert layout is not None and layout.eyes is not None
    rgb = np.asarray(image.convert("RGB"))
    angle, face = classify_angle(rgb)
    assert angle == "front" and face is not None
    drawn = Face(layout.face.x, layout.face.y, layout.face.w, layout.face.h)
    assert face.overlaps(drawn)
    for part in (*layout.eyes, layout.mouth):
        assert face.x <= part.cx <= face.x + face.w and face.y <= part.cy <= face.y + face.h
    assert frontal_faces(rgb)[0].overlaps(drawn)
