"""What a storyboard frame says about itself: where the face, the mouth and the product are.

The offline image generator records the presenter's face layout (`ugc:face`) and where it
put the product (`ugc:card`) in the PNG it writes. Frames from elsewhere carry neither;
their facts are unknown, and the checks that need them say "not checked".
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.adapters.media.captions import Rect
from core.adapters.media.images import load_image_safely
from core.adapters.providers.local.portrait import read_layout

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FrameFacts:
    size: tuple[int, int]
    face: Rect | None = None
    mouth: Rect | None = None
    product: Rect | None = None
    product_place: str | None = None
    product_expected: bool | None = None  # None: the frame does not say

    def to_dict(self) -> dict[str, Any]:
        def box(r: Rect | None) -> list[int] | None:
            return [r.x, r.y, r.w, r.h] if r else None

        return {
            "size": list(self.size), "face": box(self.face), "mouth": box(self.mouth), "product": box(self.product),
            "product_place": self.product_place, "product_expected": self.product_expected,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FrameFacts:
        def box(v: list[int] | None) -> Rect | None:
            return Rect(*v) if v else None

        return cls(
            tuple(data["size"]), box(data.get("face")), box(data.get("mouth")), box(data.get("product")),
            data.get("product_place"), data.get("product_expected"),
        )  # fmt: skip


def read_frame_facts(path: Path) -> FrameFacts:
    image = load_image_safely(path)
    layout = read_layout(image)
    try:
        card = json.loads(image.info.get("ugc:card") or "{}")
    except ValueError:
        card = {}
    face = Rect(layout.face.x, layout.face.y, layout.face.w, layout.face.h) if layout else None
    mouth = Rect(layout.mouth.x, layout.mouth.y, layout.mouth.w, layout.mouth.h) if layout else None
    raw = card.get("product_box")
    product = Rect(int(raw["x"]), int(raw["y"]), int(raw["w"]), int(raw["h"])) if raw else None
    expected = (
        None if "visibility" not in card else card["visibility"] != "none" or card.get("shot") == "product_close_up"
    )
    return FrameFacts(image.size, face, mouth, product, card.get("product_place"), expected)
