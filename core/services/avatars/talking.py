"""An own avatar in a talking video: who may use it, and what the video job receives.

The composer and the Copilot offer the avatars a creator may see (their own, and the team's
shared ones) next to the catalog actors. A video of an avatar lip-syncs its front photo,
sends its other angles as references when a new setting is drawn, and speaks with its voice.
Rights are checked when the video is queued and again when the job reads the avatar.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.adapters.db.models.avatars import Avatar, AvatarPhoto
from core.domain import voices
from core.domain.avatars import AvatarView
from core.errors import NotFound, StudioError, ValidationError
from core.ports_services import Services
from core.services.accounts.access import Right
from core.services.ads.assets import DEFAULT_VOICE
from core.services.avatars import manage
from core.services.avatars.rights import GONE, avatar_with_right
from core.services.talking import voices as voice_service

logger = logging.getLogger(__name__)

REFERENCES_MAX = 3  # besides the front photo: nano-banana takes a short list of images
OTHER_PROJECT = "That avatar belongs to another project. Open that project, or create the avatar in this one."


def no_front(name: str) -> str:
    return f"{name} has no front photo. Add one, or mark a photo as front on the Avatars page."


@dataclass(frozen=True, slots=True)
class TalkingAvatar:
    """What the talking-video job needs from an avatar, pinned once at its first step."""

    avatar_id: str
    name: str
    face_key: str  # the front photo, lip-synced
    reference_keys: tuple[str, ...]  # other angles, for a new setting's image edit
    voice: dict[str, Any]


def check_usable(session: Session, avatar_id: str, project_id: str, user_id: str) -> Avatar:
    """The avatar may be used in this project's video by this user (creator, or shared with them)."""
    try:
        avatar = avatar_with_right(session, avatar_id, user_id, Right.VIEW)
    except NotFound as exc:  # another team's project: the same words as any avatar one may not see
        raise NotFound(GONE) from exc
    if avatar.project_id != project_id:
        raise NotFound(OTHER_PROJECT)
    if avatar.consent_at is None:  # set only when the creator confirmed the person's permission
        raise ValidationError(f"{avatar.name} has no recorded consent; create it again on the Avatars page.")
    fronts = session.scalar(
        select(AvatarPhoto.id).where(AvatarPhoto.avatar_id == avatar.id, AvatarPhoto.angle == "front").limit(1)
    )
    if fronts is None:
        raise ValidationError(no_front(avatar.name))
    return avatar


def usable_for_video(project_id: str, *, user_id: str, services: Services) -> list[AvatarView]:
    """The avatars the composer offers: visible to this user in this project, with a front photo."""
    avatars = manage.list_avatars(project_id, user_id=user_id, services=services)
    return [a for a in avatars if any(p.angle == "front" for p in a.photos)]


def talking_inputs(avatar_id: str, *, user_id: str, services: Services) -> TalkingAvatar:
    """Read at the job's first step, with the video owner's rights (an avatar unshared since fails here)."""
    view = manage.get_avatar(avatar_id, user_id=user_id, services=services)
    front = next((p for p in view.photos if p.angle == "front"), None)
    if front is None:
        raise ValidationError(no_front(view.name))
    others = [k for k in manage.reference_keys(view, camera="three-quarter") if k != front.image_key]
    return TalkingAvatar(
        avatar_id=view.id,
        name=view.name,
        face_key=front.image_key,
        reference_keys=tuple(others[:REFERENCES_MAX]),
        voice=spoken_voice(view.voice),
    )


def spoken_voice(saved: dict[str, Any]) -> dict[str, Any]:
    """The avatar's voice as a `Voice` dict: its chosen voice for that provider, an offline twin,
    or the default voice when none (or one the provider no longer has) was saved."""
    provider, voice_id = str(saved.get("provider") or ""), str(saved.get("voice_id") or "")
    if provider and voice_id:
        # The Avatars page saves the vendor ("local", "fal", "google"); voices are kept per family.
        family = provider if provider in voices.FAMILY_LABELS else voices.family_of(provider)
        try:
            return voice_service.avatar_voice(family, voice_id)
        except StudioError:
            logger.info("avatar voice %s/%s is not offered; using the default", provider, voice_id)
    return {**DEFAULT_VOICE, "voices": {}}
