"""Storage keys are ours: `<kind>/<name><suffix>` from generated ids, never user file names."""

from __future__ import annotations

import re

from core.domain.types import MediaKind
from core.errors import ValidationError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-/]{0,200}$")
_SUFFIXES = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
    "video/mp4": ".mp4",
    # LoRA weights, their trainer config and training-image archives (digital twins)
    "application/x-safetensors": ".safetensors",
    "application/json": ".json",
    "application/zip": ".zip",
}


def suffix_for(content_type: str) -> str:
    try:
        return _SUFFIXES[content_type]
    except KeyError:
        raise ValidationError(f"We do not store files of type {content_type}.") from None


def make_key(kind: MediaKind, name: str, content_type: str) -> str:
    """`name` is built by us from ids (e.g. `<job id>/lip_sync`); it is checked all the same."""
    if not _NAME.match(name) or ".." in name or "//" in name:
        raise ValidationError("That storage name is not allowed.", details={"name": name})
    return f"{kind.value}/{name}{suffix_for(content_type)}"


def parse_key(key: str) -> tuple[MediaKind, str]:
    kind, _, rest = key.partition("/")
    if not rest or ".." in key or key.startswith("/") or "\\" in key:
        raise ValidationError("That is not a storage key of ours.", details={"key": key})
    return MediaKind(kind), rest


def content_type_of(key: str) -> str:
    for content_type, suffix in _SUFFIXES.items():
        if key.endswith(suffix):
            return content_type
    return "application/octet-stream"
