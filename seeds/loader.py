"""Idempotent catalog loader: the 10 actors of spec 000, their portraits and voice previews.

Safe to run at every start: existing actors are updated in place, files already in
storage are not uploaded again, previews are made once.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import select

from core.adapters.db.models.talking import Actor
from core.domain.types import MediaKind, Voice
from core.ports import SpeechRequest
from core.ports_services import Services

logger = logging.getLogger(__name__)

SEEDS_DIR = Path(__file__).resolve().parent
CATALOG = SEEDS_DIR / "actors.json"


def load_catalog() -> list[dict[str, Any]]:
    return json.loads(CATALOG.read_text(encoding="utf-8"))


def seed_actors(services: Services, *, with_previews: bool = True) -> int:
    """Upsert every catalog actor; returns how many were created."""
    created = 0
    for entry in load_catalog():
        image_key = _ensure_image(services, entry)
        with services.db.session() as session:
            actor = session.scalar(select(Actor).where(Actor.key == entry["key"]))
            if actor is None:
                actor = Actor(key=entry["key"])
                session.add(actor)
                created += 1
            _apply(actor, entry, image_key)
        if with_previews:
            _ensure_voice_preview(services, entry["key"])
    if created:
        logger.info("seeded %d actors", created)
    return created


def _apply(actor: Actor, entry: dict[str, Any], image_key: str) -> None:
    voice = entry["voice"]
    actor.display_name = entry["display_name"]
    actor.image_key = image_key
    actor.voice_id = voice["voice_id"]
    actor.voice_language = voice.get("language", "en-us")
    actor.voice_rate_wpm = int(voice.get("rate_wpm", 165))
    actor.voice_pitch = int(voice.get("pitch", 50))
    actor.age_range = entry["age_range"]
    actor.gender = entry["gender"]
    actor.tags = list(entry["tags"])
    actor.bio = entry.get("bio", "")
    actor.meta = {**(actor.meta or {}), "face": entry.get("face"), "background": entry.get("background")}


def _ensure_image(services: Services, entry: dict[str, Any]) -> str:
    name = f"catalog/{entry['key']}"
    key = f"{MediaKind.IMAGE.value}/{name}.png"
    if not services.storage.exists(key):
        key = services.storage.put_file(
            MediaKind.IMAGE, SEEDS_DIR / "actors" / entry["image"], name=name, content_type="image/png"
        )
    return key


def _ensure_voice_preview(services: Services, actor_key: str) -> None:
    """A short sample in the actor's bound voice, made once with the offline synthesizer."""
    from core.adapters.providers.registry import offline_speech

    with services.db.session() as session:
        actor = session.scalar(select(Actor).where(Actor.key == actor_key))
        assert actor is not None
        if (actor.meta or {}).get("voice_preview_key"):
            return
        voice = Voice(actor.voice_id, actor.voice_language, actor.voice_rate_wpm, actor.voice_pitch)
        text = f"Hi, I'm {actor.display_name.split()[0]}. Let me tell you about something I love."
    speech = offline_speech(services)
    request = SpeechRequest(text=text, voice=voice)
    work = services.settings.work_dir / "previews"
    clip = speech.collect(request, speech.poll(speech.submit(request).request_id), work)
    key = services.storage.put_file(
        MediaKind.AUDIO, clip.path, name=f"catalog/{actor_key}-preview", content_type=clip.content_type
    )
    with services.db.session() as session:
        actor = session.scalar(select(Actor).where(Actor.key == actor_key))
        assert actor is not None
        actor.meta = {**(actor.meta or {}), "voice_preview_key": key}
