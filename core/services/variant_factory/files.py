"""Reading the factory's files after a rights check: a key is readable when it belongs to a
library item, a variant or a batch ZIP of a project the user may see."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from core.adapters.db.models.variant_factory import BatchVariant, LibraryAudio, LibraryVideo, VariantBatch
from core.errors import NotFound
from core.ports_services import Services
from core.services.accounts.access import visible_project_ids


def check_right(key: str, user_id: str, services: Services) -> None:
    with services.db.session(user_id=user_id) as session:
        visible = visible_project_ids(user_id)
        checks = [
            select(func.count())
            .select_from(LibraryVideo)
            .where(
                LibraryVideo.project_id.in_(visible),
                or_(LibraryVideo.video_key == key, LibraryVideo.poster_key == key),
            ),
            select(func.count())
            .select_from(LibraryAudio)
            .where(LibraryAudio.project_id.in_(visible), LibraryAudio.audio_key == key),
            select(func.count())
            .select_from(VariantBatch)
            .where(VariantBatch.project_id.in_(visible), VariantBatch.zip_key == key),
            select(func.count())
            .select_from(BatchVariant)
            .join(VariantBatch, VariantBatch.id == BatchVariant.batch_id)
            .where(VariantBatch.project_id.in_(visible), BatchVariant.video_key == key),
        ]
        if not any(session.scalar(check) for check in checks):
            raise NotFound("That file does not exist or is not shared with you.")


def read_bytes(key: str, *, user_id: str, services: Services) -> bytes:
    check_right(key, user_id, services)
    return services.storage.read_bytes(key)


def signed_link(key: str, *, user_id: str, services: Services) -> str | None:
    """Supabase's signed URL where storage gives one (big files stream from there); else None."""
    check_right(key, user_id, services)
    return services.storage.signed_url(key, services.settings.link_expiry_s)
