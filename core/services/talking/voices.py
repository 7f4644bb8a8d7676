"""Voices for pages: each catalog actor's voice per provider, the active speech provider's
voice list (for photo avatars), a check of the bound voices, and a spoken preview."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from core.adapters.db.models.talking import Actor
from core.domain import voices
from core.domain.types import Voice
from core.ports import SpeechRequest
from core.ports_services import Services
from core.services.ads import calls

logger = logging.getLogger(__name__)

PREVIEW_LINE = "Hi! This is how I sound in your ads."


@dataclass(frozen=True, slots=True)
class ActorVoices:
    name: str
    gender: str
    age_range: str
    by_family: dict[str, str]  # family -> voice id


def active_family(services: Services, user_id: str | None = None) -> str:
    """The voice family of the speech provider the user's work runs on."""
    from core.services.usage.estimates import _vendor_and_model

    chosen = _vendor_and_model("speech", services, user_id)
    return voices.family_of(*chosen) if chosen else voices.ESPEAK


def catalog_voices(*, services: Services) -> list[ActorVoices]:
    with services.db.session() as session:
        actors = session.scalars(select(Actor).order_by(Actor.display_name)).all()
        return [
            ActorVoices(a.display_name, a.gender, a.age_range,
                        {voices.ESPEAK: a.voice_id, **voices.voices_for_actor(a.key)})
            for a in actors
        ]  # fmt: skip


def check_catalog(*, services: Services, user_id: str | None = None) -> list[str]:
    """What is wrong with the actors' voices on the active speech provider ([] when every one fits)."""
    family = active_family(services, user_id)
    problems = []
    for actor in catalog_voices(services=services):
        voice_id = actor.by_family.get(family, "")
        if not voices.is_voice(family, voice_id):
            problems.append(f"{actor.name} has no {voices.FAMILY_LABELS[family]} voice (“{voice_id or 'none'}”).")
    return problems


def avatar_voice(family: str, voice_id: str, gender: str = "") -> dict[str, object]:
    """The voice dict of a photo avatar: the chosen voice for the active provider, and an eSpeak
    voice of the same gender for offline work."""
    voices.resolve(family, voice_id, {})  # refuses a voice the provider does not have
    if family == voices.ESPEAK:
        espeak = voice_id
    else:
        espeak = voices.default_voice(voices.ESPEAK, gender or _gender_of(family, voice_id))
    return {"voice_id": espeak, "language": "en-us", "rate_wpm": 165, "pitch": 50,
            "voices": {family: voice_id, voices.ESPEAK: espeak}}  # fmt: skip


def _gender_of(family: str, voice_id: str) -> str:
    return next((o.gender for o in voices.options(family) if o.voice_id == voice_id), "female")


def preview(family: str, voice_id: str, *, user_id: str, services: Services) -> bytes:
    """A short line in that voice, made by the active speech provider (priced, behind the backstop)."""
    offline = voice_id if family == voices.ESPEAK else voices.default_voice(voices.ESPEAK, _gender_of(family, voice_id))
    voice = Voice(offline, voices={family: voice_id})
    request = SpeechRequest(PREVIEW_LINE, voice)
    return calls.ask(services, "speech", request, user_id=user_id, keep=lambda clip: clip.path.read_bytes())
