"""Draw the 10 base actor portraits and write seeds/actors.json.

Run from the repository root:  .venv/bin/python seeds/draw_actors.py
Deterministic: the same code always produces the same PNG bytes.
"""

from __future__ import annotations

import json
import logging
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.adapters.providers.local.portrait import Box, FaceLayout, layout_pnginfo  # noqa: E402
from seeds.actor_specs import ACTORS, Actor  # noqa: E402
from seeds.portrait_draw import draw_portrait  # noqa: E402
from seeds.portrait_parts import RGB  # noqa: E402

logger = logging.getLogger(__name__)

OUT_DIR = ROOT / "seeds" / "actors"
CATALOG = ROOT / "seeds" / "actors.json"
MIN_BACKGROUND_DISTANCE = 60.0  # every drawn colour stays this far from the backdrop (RGB distance)


def _hex_rgb(value: str) -> RGB:
    return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)


def _layout(actor: Actor) -> FaceLayout:
    face = actor.look.face
    left, right = (Box(*b) for b in face.eye_boxes())
    return FaceLayout(face=Box(*face.box), mouth=Box(*face.mouth_box), eyes=(left, right), background=actor.background)


def _check_separable(actor: Actor, colours: set[RGB]) -> None:
    bg = _hex_rgb(actor.background)
    closest = min(colours, key=lambda c: math.dist(bg, c))
    if math.dist(bg, closest) < MIN_BACKGROUND_DISTANCE:
        raise SystemExit(f"{actor.key}: colour {closest} is too close to the background; pick another.")


def _entry(actor: Actor, layout: FaceLayout) -> dict[str, object]:
    return {
        "key": actor.key,
        "display_name": actor.display_name,
        "image": f"{actor.key}.png",
        "voice": actor.voice,
        "age_range": actor.age_range,
        "gender": actor.gender,
        "tags": list(actor.tags),
        "bio": actor.bio,
        "background": actor.background,
        "face": layout.to_dict(),
    }


def main() -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    catalog = []
    for actor in ACTORS:
        image, colours = draw_portrait(actor.look, _hex_rgb(actor.background))
        _check_separable(actor, colours)
        layout = _layout(actor)
        image.save(OUT_DIR / f"{actor.key}.png", format="PNG", optimize=True, pnginfo=layout_pnginfo(layout))
        catalog.append(_entry(actor, layout))
        print(f"{actor.key}: {(OUT_DIR / f'{actor.key}.png').stat().st_size // 1024} KB")
    CATALOG.write_text(json.dumps(catalog, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
