"""File names of a batch's variants from the creator's pattern, e.g. `{product}_{hook_category}_{n}`.

Placeholders are replaced by a regular expression, never `str.format` (which would let
`{x.__class__}` reach attributes); every value and the result are reduced to a safe
character set, so no name can hold a path separator, `..`, or anything a ZIP reader
would resolve outside its folder.
"""

from __future__ import annotations

import re
from typing import Any

from core.errors import ValidationError

DEFAULT_PATTERN = "{product}_{hook_category}_{n}"
FIELDS = ("product", "hook_category", "n", "video", "audio", "batch", "aspect")
MAX_PATTERN = 120
MAX_NAME = 100
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def safe_part(value: str) -> str:
    """Letters, digits, `_` and `-` only; runs of anything else become one `_`."""
    return _UNSAFE.sub("_", value).strip("_-")


def check_pattern(pattern: str) -> str:
    pattern = (pattern or "").strip() or DEFAULT_PATTERN
    if len(pattern) > MAX_PATTERN:
        raise ValidationError(f"The naming pattern is at most {MAX_PATTERN} characters.")
    unknown = [name for name in _PLACEHOLDER.findall(pattern) if name not in FIELDS]
    if unknown:
        allowed = ", ".join("{" + f + "}" for f in FIELDS)
        raise ValidationError(f"Unknown placeholder {{{unknown[0]}}} in the naming pattern; use {allowed}.")
    if "{n}" not in pattern:
        pattern += "_{n}"  # names must differ
    return pattern


def render_name(pattern: str, values: dict[str, str]) -> str:
    filled = _PLACEHOLDER.sub(lambda m: safe_part(str(values.get(m.group(1), ""))), pattern)
    name = safe_part(filled)[:MAX_NAME] or "variant"
    return name


def _aspect(width: int | None, height: int | None) -> str:
    from core.services.variant_factory.views import aspect_label

    return aspect_label(width, height).replace(":", "x")


def file_names(pattern: str, product: str, inputs: list[dict[str, Any]], batch: str = "") -> list[str]:
    """One unique `.mp4` name per variant, in order."""
    names, seen = [], set()
    width = len(str(len(inputs)))
    for n, pinned in enumerate(inputs, start=1):
        values = {
            "product": product or "ad",
            "hook_category": pinned.get("hook_category") or "none",
            "n": str(n).zfill(width),
            "video": pinned.get("video_title", ""),
            "audio": pinned.get("audio_title", ""),
            "batch": batch[:8],
            "aspect": _aspect(pinned.get("width"), pinned.get("height")),
        }
        base, k = render_name(pattern, values), 2
        name = base
        while name.lower() in seen:
            name, k = f"{base}-{k}", k + 1
        seen.add(name.lower())
        names.append(name + ".mp4")
    return names
