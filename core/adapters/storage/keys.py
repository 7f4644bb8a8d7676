"""Storage keys are ours: `<kind>/<name><suffix>` from generated ids, never user file names."""

from __future__ import annotations

import re

from core.domain.types import MediaKind
from core.errors import ValidationError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-/]{0,200}$")
MAX_KEY_CHARS = 255
_SUFFIXES = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
    "video/mp4": ".mp4",
    "video/webm": ".webm",  # editor exports in VP9/Opus
    # LoRA weights, their trainer config and training-image archives (digital twins)
    "application/x-safetensors": ".safetensors",
    "application/json": ".json",
    "application/zip": ".zip",
}
# A whole key: the kind, then our name, then one of our suffixes. Key columns are String(255).
_KNOWN_SUFFIXES = "|".join(re.escape(suffix) for suffix in sorted(set(_SUFFIXES.values())))
_KEY = re.compile(r"^[a-z]+/[A-Za-z0-9][A-Za-z0-9_\-/]{0,200}(?:" + _KNOWN_SUFFIXES + r")$")


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


def parse_key(key: object) -> tuple[MediaKind, str]:
    """Every key from outside (a page, a job row, a request) is checked here before it touches
    a disk, a bucket or a query: NUL bytes, unknown kinds and over-long keys are refused alike."""
    if not isinstance(key, str) or len(key) > MAX_KEY_CHARS or not _KEY.fullmatch(key) or ".." in key or "//" in key:
        raise ValidationError("That is not a storage key of ours.", details={"key": _printable(key)})
    kind, _, rest = key.partition("/")
    if kind not in {k.value for k in MediaKind}:
        raise ValidationError("That is not a storage key of ours.", details={"key": _printable(key)})
    return MediaKind(kind), rest


def _printable(key: object) -> str:
    return repr(key)[:80]


def content_type_of(key: str) -> str:
    for content_type, suffix in _SUFFIXES.items():
        if key.endswith(suffix):
            return content_type
    return "application/octet-stream"
