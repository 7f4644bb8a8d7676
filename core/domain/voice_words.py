"""A voice described as a person would say it ("warm US female, fast"), not `en-us+f3`."""

from __future__ import annotations

import re

from core.domain.types import Voice

ACCENTS = {
    "en-us": "US",
    "en-gb": "British",
    "en-029": "Caribbean",
    "en-au": "Australian",
    "en-in": "Indian",
    "en-ie": "Irish",
    "en-sc": "Scottish",
    "en": "English",
}
_GENDER = re.compile(r"\+(?P<g>[fm])\d*$")


def voice_words(voice: Voice) -> str:
    """Tone (from pitch), accent (from language), gender (eSpeak's +f/+m variant), then pace."""
    tone = "deep" if voice.pitch < 45 else "bright" if voice.pitch > 60 else "warm"
    accent = ACCENTS.get(voice.language.lower(), voice.language.upper())
    match = _GENDER.search(voice.voice_id)
    gender = {"f": "female", "m": "male"}.get(match.group("g")) if match else None
    pace = "slow" if voice.rate_wpm < 155 else "fast" if voice.rate_wpm > 175 else "natural pace"
    who = " ".join(part for part in (tone, accent, gender or "voice") if part)
    return f"{who}, {pace}"
