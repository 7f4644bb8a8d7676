"""Files of the mass generator (product photos, avatar references, frames, clips, voice lines,
finished ads): served only after checking the user may see the project they belong to."""

from __future__ import annotations

import logging

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.adapters.db.models.ads import Ad, AdAsset, AdAvatar, AdOutput, AdProductImage
from core.adapters.db.models.talking import Actor
from core.adapters.storage.keys import parse_key
from core.errors import NotFound
from core.ports_services import Services
from core.services.accounts.access import visible_project_ids

logger = logging.getLogger(__name__)


def _count(session: Session, stmt) -> int:  # type: ignore[no-untyped-def]
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def _visible(session: Session, key: str, user_id: str) -> bool:
    projects = visible_project_ids(user_id)
    ads = select(Ad.id).where(Ad.project_id.in_(projects))
    if session.scalar(select(func.count()).select_from(Actor).where(Actor.image_key == key)):
        return True  # catalog portraits are public to every signed-in user
    checks = [
        select(AdProductImage.id).where(AdProductImage.ad_id.in_(ads), AdProductImage.image_key == key),
        select(AdAsset.id).where(AdAsset.ad_id.in_(ads), AdAsset.media_key == key),
        select(AdOutput.id).where(AdOutput.ad_id.in_(ads), or_(AdOutput.video_key == key, AdOutput.poster_key == key)),
    ]
    if any(_count(session, stmt) for stmt in checks):
        return True
    avatars = session.scalars(select(AdAvatar.reference_keys).where(AdAvatar.project_id.in_(projects)))
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
