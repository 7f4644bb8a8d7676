"""Wizard step 2: the avatar, a catalog actor or 1-10 of the creator's photos, with character DNA.

The reference images are the identity anchor: the first is given to every storyboard
frame and every identity score is measured against them.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from core.adapters.db.models.ads import AdAvatar
from core.adapters.db.models.talking import Actor
from core.domain import text as text_rules
from core.domain import voices
from core.domain.ads import CharacterDNA
from core.domain.types import MediaKind
from core.domain.voices import voices_for_actor
from core.errors import NotFound, ValidationError
from core.ports import VisionRequest, VisionTask
from core.ports_services import Services
from core.services.accounts.access import Right
from core.services.ads import calls, parse
from core.services.ads.assets import DEFAULT_VOICE
from core.services.ads.product import validated_images
from core.services.ads.schemas import CHARACTER_DNA_SCHEMA
from core.services.ads.wizard import ad_with_right
from core.services.safety import content_guard
from core.services.scratch import scratch_dir
from core.services.talking import voices as voices_service

logger = logging.getLogger(__name__)


def _attach(ad_id: str, avatar: AdAvatar, user_id: str, services: Services) -> str:
    with services.db.session(user_id=user_id) as session:
        ad = ad_with_right(session, ad_id, user_id, Right.EDIT)
        avatar.owner_id, avatar.project_id = user_id, ad.project_id
        session.add(avatar)
        session.flush()
        ad.avatar_id = avatar.id
        return avatar.id


def choose_catalog_actor(ad_id: str, actor_id: str, *, user_id: str, services: Services) -> str:
    """A catalog actor as the avatar: their portrait is the reference, their voice the voice."""
    with services.db.session(user_id=user_id) as session:
        actor = session.get(Actor, actor_id)
        if actor is None:
            raise NotFound("That actor is not in the catalog.")
        voice = {
            "voice_id": actor.voice_id,
            "language": actor.voice_language,
            "rate_wpm": actor.voice_rate_wpm,
            "pitch": actor.voice_pitch,
            "voices": voices_for_actor(actor.key),
        }
        avatar = AdAvatar(name=actor.display_name, actor_id=actor.id, reference_keys=[actor.image_key], voice=voice)
    avatar_id = _attach(ad_id, avatar, user_id, services)
    extract_character_dna(ad_id, user_id=user_id, services=services)
    return avatar_id


def create_avatar_from_photos(ad_id: str, name: str, files: list[bytes], *, user_id: str, services: Services) -> str:
    limit = services.settings.ugc_avatar_photos_max
    name = " ".join(text_rules.clean(name, field="avatar name", multiline=False).split())[:120] or "My avatar"
    content_guard.check_texts(services.settings, avatar_name=name)
    if not 1 <= len(files) <= limit:
        raise ValidationError(f"Upload between 1 and {limit} photos of the person (front first).")
    with services.db.session(user_id=user_id) as session:
        ad_with_right(session, ad_id, user_id, Right.EDIT)  # rights first: a refused upload stores nothing
    with scratch_dir(services) as tmp:
        keys = [
            services.storage.put_file(
                MediaKind.IMAGE, image.path, name=f"ugc/{ad_id}/avatar-{uuid.uuid4().hex}", content_type="image/png"
            )
            for image in validated_images(files, services, Path(tmp))
        ]
    avatar_id = _attach(ad_id, AdAvatar(name=name, reference_keys=keys, voice=dict(DEFAULT_VOICE)), user_id, services)
    dna = extract_character_dna(ad_id, user_id=user_id, services=services)
    family = voices_service.active_family(services, user_id)
    gender = voices.gender_hint(f"{dna.voice} {dna.face} {dna.body}")
    set_avatar_voice(ad_id, voices.default_voice(family, gender), user_id=user_id, services=services)
    return avatar_id


def set_avatar_voice(ad_id: str, voice_id: str, *, user_id: str, services: Services) -> dict[str, object]:
    """A photo avatar's voice, from the active speech provider's list (a catalog actor keeps theirs)."""
    family = voices_service.active_family(services, user_id)
    voice = voices_service.avatar_voice(family, voice_id)
    with services.db.session(user_id=user_id) as session:
        ad = ad_with_right(session, ad_id, user_id, Right.EDIT)
        avatar = session.get(AdAvatar, ad.avatar_id) if ad.avatar_id else None
        if avatar is None or avatar.actor_id is not None:
            raise ValidationError("Only an avatar made from your photos takes a voice from the list.")
        avatar.voice = voice
    return voice


def extract_character_dna(ad_id: str, *, user_id: str, services: Services) -> CharacterDNA:
    with services.db.session(user_id=user_id) as session:
        ad = ad_with_right(session, ad_id, user_id, Right.EDIT)
        avatar = session.get(AdAvatar, ad.avatar_id) if ad.avatar_id else None
        if avatar is None:
            raise ValidationError("Pick an actor or upload photos first.")
        keys, voice = list(avatar.reference_keys), dict(avatar.voice or {})
    hint = f"voice {voice.get('voice_id', 'default')}, {voice.get('rate_wpm', 165)} words a minute"
    with scratch_dir(services) as tmp:
        paths = tuple(services.storage.download_to(k, Path(tmp) / f"ref-{i}.png") for i, k in enumerate(keys))
        answer = calls.ask(
            services,
            "vision",
            VisionRequest(VisionTask.CHARACTER_DNA, paths, hint=hint, schema=CHARACTER_DNA_SCHEMA),
            user_id=user_id,
        )
    dna = parse.character_dna(parse.load_json(answer.text, "portrait analysis"))
    return save_character_dna(ad_id, dna, user_id=user_id, services=services)


def save_character_dna(ad_id: str, dna: CharacterDNA, *, user_id: str, services: Services) -> CharacterDNA:
    checked = parse.character_dna(dna.to_dict())
    with services.db.session(user_id=user_id) as session:
        ad = ad_with_right(session, ad_id, user_id, Right.EDIT)
        avatar = session.get(AdAvatar, ad.avatar_id) if ad.avatar_id else None
        if avatar is None:
            raise ValidationError("Pick an actor or upload photos first.")
        avatar.dna = checked.to_dict()
    return checked
