"""Files of the mass generator (product photos, avatar references, frames, clips, voice lines,
finished ads): served only after checking the user may see the project they belong to."""

from __future__ import annotations

import logging

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.adapters.db.models import Actor
from core.adapters.db.models_ugc import UgcAd, UgcAsset, UgcAvatar, UgcOutput, UgcProductImage
from core.adapters.storage.keys import parse_key
from core.errors import NotFound
from core.ports_services import Services
from core.services.access import visible_project_ids

logger = logging.getLogger(__name__)


def _count(session: Session, stmt) -> int:  # type: ignore[no-untyped-def]
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def _visible(session: Session, key: str, user_id: str) -> bool:
    projects = visible_project_ids(user_id)
    ads = select(UgcAd.id).where(UgcAd.project_id.in_(projects))
    if session.scalar(select(func.count()).select_from(Actor).where(Actor.image_key == key)):
        return True  # catalog portraits are public to every signed-in user
    checks = [
        select(UgcProductImage.id).where(UgcProductImage.ad_id.in_(ads), UgcProductImage.image_key == key),
        select(UgcAsset.id).where(UgcAsset.ad_id.in_(ads), UgcAsset.media_key == key),
        select(UgcOutput.id).where(
            UgcOutput.ad_id.in_(ads), or_(UgcOutput.video_key == key, UgcOutput.poster_key == key)
        ),
    ]
    if any(_count(session, stmt) for stmt in checks):
        return True
    avatars = session.scalars(select(UgcAvatar.reference_keys).where(UgcAvatar.project_id.in_(projects)))
    return any(key in (refs or []) for refs in avatars)


def check_media_right(key: str, user_id: str, services: Services) -> None:
    parse_key(key)  # a NUL or over-long key is refused here, before it reaches a query
    with services.db.session(user_id=user_id) as session:
        if not _visible(session, key, user_id):
            raise NotFound("That file does not exist or is not shared with you.")


def media_bytes(key: str, *, user_id: str, services: Services) -> bytes:
    check_media_right(key, user_id, services)
    return services.storage.read_bytes(key)


def media_link(key: str, *, user_id: str, services: Services) -> str | None:
    check_media_right(key, user_id, services)
    return services.storage.signed_url(key, services.settings.link_expiry_s)
