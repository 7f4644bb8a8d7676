"""JSON response schemas of the vision calls (product DNA, character DNA, identity scores).

A cloud model answers in the shape asked for; without a schema Gemini's free-form JSON
failed the parsers and every identity score was null. The parsers in `ugc_parse` still
check every answer, so a schema is a request, never a trust.
"""

from __future__ import annotations

from typing import Any

_TEXT = {"type": "string"}
_TEXTS = {"type": "array", "items": _TEXT, "maxItems": 12}
_HEX = {"type": "string", "description": "a colour written as #RRGGBB (hex)"}

PRODUCT_DNA_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["product_type", "colors", "shape", "materials", "branding_text", "distinctive_features"],
    "properties": {
        "product_type": _TEXT,
        "colors": {
            "type": "object",
            "description": "the product's colours by role, each #RRGGBB",
            "required": ["primary"],
            "properties": {"primary": _HEX, "secondary": _HEX, "accent": _HEX},
        },
        "shape": _TEXT,
        "materials": _TEXTS,
        "texture": _TEXT,
        "branding_text": _TEXTS,
        "logo_description": _TEXT,
        "distinctive_features": _TEXTS,
        "prohibited_variations": _TEXTS,
    },
}

CHARACTER_DNA_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["face", "skin", "eyes", "hair", "body", "voice", "wardrobe", "prohibited_drift"],
    "properties": {
        name: _TEXT for name in ("face", "skin", "eyes", "hair", "body", "voice", "wardrobe", "prohibited_drift")
    },
}


def identity_schema(images: int) -> dict[str, Any]:
    """One score in [0, 1] per image after the references, in order."""
    score = {"type": "number", "minimum": 0, "maximum": 1}
    return {
        "type": "object",
        "required": ["scores"],
        "properties": {"scores": {"type": "array", "items": score, "minItems": images, "maxItems": images}},
    }
