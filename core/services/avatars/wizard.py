"""A saved avatar in the mass-generator wizard: its photos (front first) become the ad's
identity anchors, copied so the ad and the avatar can be deleted independently."""

from __future__ import annotations

import uuid

from core.adapters.db.models.ads import AdAvatar
from core.domain.ads import CharacterDNA
from core.domain.types import MediaKind
from core.errors import NotFound
from core.ports_services import Services
from core.services.accounts.access import Right
from core.services.ads import avatar as ads_avatar
from core.services.ads.assets import DEFAULT_VOICE
from core.services.ads.wizard import ad_with_right
from core.services.avatars import manage


def choose_saved_avatar(ad_id: str, avatar_id: str, *, user_id: str, services: Services) -> str:
    avatar = manage.get_avatar(avatar_id, user_id=user_id, services=services)
    with services.db.session() as session:
        if ad_with_right(session, ad_id, user_id, Right.EDIT).project_id != avatar.project_id:
            raise NotFound("That avatar is not in this ad's project.")
    keys = [
        services.storage.put_bytes(
            MediaKind.IMAGE, services.storage.read_bytes(key), name=f"ugc/{ad_id}/avatar-{uuid.uuid4().hex}",
            content_type="image/png",
        )
        for key in manage.reference_keys(avatar, limit=services.settings.ugc_avatar_photos_max)
    ]  # fmt: skip
    voice = {**DEFAULT_VOICE, **{k: v for k, v in avatar.voice.items() if k in ("voice_id", "language") and v}}
    with services.db.session() as session:
        ad = ad_with_right(session, ad_id, user_id, Right.EDIT)
        row = AdAvatar(owner_id=user_id, project_id=ad.project_id, name=avatar.name, reference_keys=keys, voice=voice)
        session.add(row)
        session.flush()
        ad.avatar_id, new_id = row.id, row.id
    dna = ads_avatar.extract_character_dna(ad_id, user_id=user_id, services=services)
    saved = {k: v for k, v in avatar.dna.items() if k in CharacterDNA.__dataclass_fields__ and v}
    if saved:  # what the creator wrote on the Avatars page wins over the fresh analysis
        ads_avatar.save_character_dna(ad_id, CharacterDNA(**{**dna.to_dict(), **saved}), user_id=user_id,
                                      services=services)  # fmt: skip
    return new_id
