"""Which angle each avatar photo shows, through the vision port (Gemini with a JSON schema,
or offline the OpenCV cascades in `core.adapters.media.faces`). A photo without a face is refused."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.domain.avatars import ANGLES
from core.errors import ProviderError, ValidationError
from core.ports import VisionRequest, VisionTask
from core.ports_services import Services
from core.services.ads import calls

MIN_SIDE = 64  # smaller than this cannot show a recognisable face

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "photos": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "has_face": {"type": "boolean"},
                    "angle": {"type": "string", "enum": [*ANGLES, "none"]},
                },
                "required": ["has_face", "angle"],
            },
        }
    },
    "required": ["photos"],
}


@dataclass(frozen=True, slots=True)
class Classified:
    angle: str
    box: list[int] | None
    method: str


def check_size(index: int, width: int, height: int) -> None:
    if min(width, height) < MIN_SIDE:
        raise ValidationError(
            f"Photo {index + 1} is only {width}x{height} pixels; use a photo at least {MIN_SIDE} px on each side."
        )


def classify(paths: list[Path], *, user_id: str, services: Services) -> list[Classified]:
    """One angle per photo, in order; raises ValidationError naming every photo without a face."""
    schema = {**SCHEMA, "properties": {"photos": {**SCHEMA["properties"]["photos"], "minItems": len(paths),
                                                  "maxItems": len(paths)}}}  # fmt: skip
    request = VisionRequest(VisionTask.ANGLES, tuple(paths), schema=schema)
    answer = calls.ask(services, "vision", request, user_id=user_id)
    try:
        body = json.loads(answer.text)
        photos = body["photos"]
        method = str(body.get("source") or answer.model or "vision model")
    except (ValueError, KeyError, TypeError) as exc:
        raise ProviderError("The vision model's angle answer was not the JSON we asked for.") from exc
    if not isinstance(photos, list) or len(photos) != len(paths):
        raise ProviderError(f"The vision model classified {len(photos)} of {len(paths)} photos; try again.")
    faceless = [i + 1 for i, p in enumerate(photos) if not p.get("has_face") or p.get("angle") not in ANGLES]
    if faceless:
        which = ", ".join(str(i) for i in faceless)
        raise ValidationError(
            f"No face found in photo {which}. Use clear photos of the person's head "
            "(front, both profiles; three-quarter and back views are optional)."
        )
    return [Classified(angle=p["angle"], box=p.get("box"), method=method[:40]) for p in photos]
