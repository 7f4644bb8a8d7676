"""Untrusted JSON (a model's answer, a stored row, a creator's edit) into the mass generator's types.

Every parser checks the shape and raises one `ValidationError` naming what is wrong, so a
caller either gets a whole, valid value or nothing (the script step is all or nothing).
"""

from __future__ import annotations

import json
import logging
import math
import re
from enum import Enum
from typing import Any

from core.domain import text as text_rules
from core.domain.ads import (
    Camera,
    CharacterDNA,
    CreativeBrief,
    Lighting,
    ProductDNA,
    SceneScript,
    SceneType,
    ScriptDraft,
    Visibility,
)
from core.errors import ValidationError

logger = logging.getLogger(__name__)

HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")
MAX_TEXT = 600
MAX_SCENES = 12
SCENE_SECONDS = (2.0, 8.0)  # the spec's scene; a longer one (up to what the video model can extend to) is asked for
NEAR_MISS_S = 1.5  # a writer's 8.5 s or 1.5 s scene is clamped to the bounds; farther out is refused


def load_json(text: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"The {what} answer was not valid JSON, so nothing was saved. Try again.") from exc
    if not isinstance(data, dict):
        raise ValidationError(f"The {what} answer was not a JSON object, so nothing was saved. Try again.")
    return data


def _text(data: dict[str, Any], key: str, what: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, (str, int, float)):
        raise ValidationError(f"The {what} has a “{key}” that is not text.")
    text = " ".join(text_rules.clean(str(value), field=f"{what} {key}").split())
    if required and not text:
        raise ValidationError(f"The {what} is missing “{key}”.")
    return text[:limit]


def _texts(data: dict[str, Any], key: str, what: str, *, limit: int = 12) -> list[str]:
    value = data.get(key) or []
    if isinstance(value, str):
        value = [v for v in re.split(r"[;\n]", value) if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        raise ValidationError(f"The {what} has a “{key}” that is not a list of text.")
    cleaned = (" ".join(text_rules.clean(str(v), field=f"{what} {key}").split()) for v in value)
    return [text[:MAX_TEXT] for text in cleaned if text][:limit]


def product_dna(data: dict[str, Any]) -> ProductDNA:
    what = "product DNA"
    colors = data.get("colors") or {}
    if not isinstance(colors, dict) or not colors:
        raise ValidationError("The product DNA needs at least one colour, as #RRGGBB.")
    bad = [f"{k}: {v}" for k, v in colors.items() if not isinstance(v, str) or not HEX.match(v.strip())]
    if bad:
        raise ValidationError(f"Colours must be written as #RRGGBB; check {', '.join(bad)}.")
    return ProductDNA(
        product_type=_text(data, "product_type", what),
        product_name=_text(data, "product_name", what),
        colors={str(k)[:40]: v.strip().upper() for k, v in colors.items()},
        shape=_text(data, "shape", what),
        materials=_texts(data, "materials", what),
        texture=_text(data, "texture", what, required=False),
        branding_text=_texts(data, "branding_text", what),
        logo_description=_text(data, "logo_description", what, required=False),
        distinctive_features=_texts(data, "distinctive_features", what),
        prohibited_variations=_texts(data, "prohibited_variations", what),
        source=_text(data, "source", what, required=False, limit=80),
    )


def character_dna(data: dict[str, Any]) -> CharacterDNA:
    what = "character DNA"
    fields = ("face", "skin", "eyes", "hair", "body", "voice", "wardrobe", "prohibited_drift")
    values = {name: _text(data, name, what, required=name in ("face", "skin", "hair")) for name in fields}
    return CharacterDNA(**values, source=_text(data, "source", what, required=False, limit=80))


def creative_brief(data: dict[str, Any]) -> CreativeBrief:
    what = "creative brief"
    points = _texts(data, "selling_points", what, limit=6)
    if not points:
        raise ValidationError("The creative brief needs at least one selling point.")
    return CreativeBrief(
        hook_strategy=_text(data, "hook_strategy", what),
        pain_point=_text(data, "pain_point", what),
        selling_points=points,
        emotional_arc=_text(data, "emotional_arc", what, required=False),
        call_to_action=_text(data, "call_to_action", what),
        audience=_text(data, "audience", what, required=False),
    )


def max_words(duration_s: float, words_per_minute: int, per_8s: int) -> int:
    """Spec 8.1: 150 words a minute, at most 20 words in an 8 s scene."""
    return max(1, min(math.floor(duration_s * words_per_minute / 60), math.floor(duration_s * per_8s / 8)))


def _enum(enum: type[Enum], value: Any, what: str) -> Any:
    try:
        return enum(str(value).strip().lower())
    except ValueError as exc:
        allowed = ", ".join(e.value for e in enum)
        raise ValidationError(f"{what} must be one of {allowed} (got “{value}”).") from exc


def _seconds(data: dict[str, Any], number: int) -> float:
    try:
        raw: Any = data.get("duration_seconds", data.get("duration_s"))  # None raises TypeError, handled below
        return float(raw)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"Scene {number} has no duration in seconds.") from exc


def stored_max_s(spec: dict[str, Any]) -> float:
    """The bound a stored scene is read back with: the length it was checked at when written."""
    try:
        return max(SCENE_SECONDS[1], float(spec.get("duration_seconds") or 0.0))
    except (TypeError, ValueError):
        return SCENE_SECONDS[1]


def _duration_and_line(data: dict[str, Any], number: int, wpm: int, per_8s: int, high: float) -> tuple[float, str]:
    duration = _seconds(data, number)
    low = SCENE_SECONDS[0]
    if not low - NEAR_MISS_S <= duration <= high + NEAR_MISS_S or math.isnan(duration):
        raise ValidationError(f"Scene {number} lasts {duration:g} s; scenes last {low:g}-{high:g} s.")
    duration = min(high, max(low, round(duration * 2) / 2))  # near misses: to the half second, within bounds
    dialogue = _text(data, "dialogue", f"scene {number}", required=False)
    words = len(dialogue.split())
    grow_to = max(SCENE_SECONDS[1], duration)  # only a scene asked to be long runs past the spec's 8 s
    while max_words(duration, wpm, per_8s) < words and duration < grow_to:
        duration = min(grow_to, duration + 0.5)  # a line a little too long for its scene: the scene grows
    limit = max_words(duration, wpm, per_8s)
    if words > limit:
        raise ValidationError(
            f"Scene {number}'s line has {words} words; even {duration:g} s holds at most {limit} "
            f"at {wpm} words a minute. Shorten it or split it over two scenes.",
            details={"scene": number, "words": words, "limit": limit},
        )
    return duration, dialogue


def _fields(data: Any, defaults: tuple[tuple[str, str], ...], what: str) -> list[str]:
    if not isinstance(data, dict):
        raise ValidationError(f"The {what} must be an object.")
    return [_text(data, key, what, required=False, limit=40) or default for key, default in defaults]


def scene(
    data: dict[str, Any], number: int, *, wpm: int = 150, per_8s: int = 20, max_s: float = SCENE_SECONDS[1]
) -> SceneScript:
    """`max_s`: the longest scene the video model can make (one generation and its extensions)."""
    if not isinstance(data, dict):
        raise ValidationError(f"Scene {number} is not an object.")
    what = f"scene {number}"
    duration, dialogue = _duration_and_line(data, number, wpm, per_8s, max(SCENE_SECONDS[1], max_s))
    camera = _fields(
        data.get("camera") or {},
        (("shot_type", "medium"), ("angle", "eye_level"), ("movement", "handheld")),
        f"{what}'s camera",
    )
    lighting = _fields(
        data.get("lighting") or {}, (("type", "natural"), ("direction", "front_45")), f"{what}'s lighting"
    )
    return SceneScript(
        number=number,
        scene_type=_enum(SceneType, data.get("scene_type", ""), f"Scene {number}'s type"),
        duration_s=duration,
        dialogue=dialogue,
        action=_text(data, "action", what),
        expression=_text(data, "expression", what, required=False),
        camera=Camera(*camera),
        lighting=Lighting(*lighting),
        product_visibility=_enum(Visibility, data.get("product_visibility", "primary"),
                                 f"Scene {number}'s product visibility"),
        product_action=_text(data, "product_action", what, required=False),
        setting=_text(data, "setting", what, required=False, limit=60),
    )  # fmt: skip


def script(text: str, *, wpm: int = 150, per_8s: int = 20, max_s: float = SCENE_SECONDS[1]) -> ScriptDraft:
    """A whole script from the writer's JSON text; any problem rejects all of it."""
    data = load_json(text, "script writer's")
    scenes = data.get("scenes")
    if not isinstance(scenes, list) or not scenes:
        raise ValidationError("The script writer's answer has no scenes, so nothing was saved. Try again.")
    if len(scenes) > MAX_SCENES:
        raise ValidationError(f"The script has {len(scenes)} scenes; the limit is {MAX_SCENES}.")
    parsed = [scene(item, n, wpm=wpm, per_8s=per_8s, max_s=max_s) for n, item in enumerate(scenes, start=1)]
    return ScriptDraft(
        title=_text(data, "title", "script", required=False, limit=160) or "Untitled ad",
        scenes=parsed,
        audio_direction=_text(data, "audio_direction", "script", required=False),
    )


def canonical(parsed: SceneScript) -> dict[str, Any]:
    """How a scene is stored: the writer's field names, nothing else, so edits compare exactly."""
    data = parsed.to_dict()
    data["duration_seconds"] = data.pop("duration_s")
    data.pop("number", None)
    return data
