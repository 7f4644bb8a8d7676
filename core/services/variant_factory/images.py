"""The Media library's Images: the project's product photos, storyboard frames and the photos
of the digital twins the user may use, in one listing; and its LoRA models.

Nothing is copied: each image stays where its feature keeps it and is read through that
feature's own rights check (`ugc_media` for ads, `avatars.media` for twins). Uploads are
product photos of an ad, through `ugc_product.add_product_images` (probed by content and
re-encoded there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from core.adapters.db.models.ads import Ad, AdAsset, AdProductImage, AdScene
from core.domain.avatars import LoraView
from core.ports_services import Services
from core.services.accounts.access import Right, project_with_right
from core.services.ads import media, product
from core.services.avatars import lora, manage
from core.services.avatars.media import twin_media_bytes
from core.services.variant_factory.views import Page

SOURCES = {"product": "Product photo", "frame": "Storyboard frame", "avatar": "Avatar photo"}
MAX_PER_SOURCE = 600  # newest first; a project's images, not a stock library


@dataclass(frozen=True, slots=True)
class ImageView:
    id: str
    source: str  # product | frame | avatar
    label: str
    image_key: str
    width: int | None
    height: int | None
    created_at: datetime


def _ad_label(ad: Ad) -> str:
    return ad.title or ad.product_name or "Untitled ad"


def _ad_images(session, project_id: str, source: str) -> list[ImageView]:  # type: ignore[no-untyped-def]
    if source == "product":
        rows = session.execute(
            select(AdProductImage, Ad)
            .join(Ad, Ad.id == AdProductImage.ad_id)
            .where(Ad.project_id == project_id)
            .order_by(AdProductImage.created_at.desc())
            .limit(MAX_PER_SOURCE)
        ).all()
        return [ImageView(i.id, "product", _ad_label(a), i.image_key, i.width, i.height, i.created_at) for i, a in rows]
    rows = session.execute(
        select(AdAsset, AdScene.number, Ad)
        .join(AdScene, AdScene.id == AdAsset.scene_id)
        .join(Ad, Ad.id == AdAsset.ad_id)
        .where(
            Ad.project_id == project_id,
            AdAsset.kind == "frame",
            AdAsset.status == "ready",
            AdAsset.media_key.is_not(None),
        )
        .order_by(AdAsset.created_at.desc())
        .limit(MAX_PER_SOURCE)
    ).all()
    return [
        ImageView(f.id, "frame", f"{_ad_label(a)} · scene {n}", f.media_key, None, None, f.created_at)
        for f, n, a in rows
    ]


def _avatar_images(project_id: str, user_id: str, services: Services) -> list[ImageView]:
    """Photos of the twins this user may use (their own, and the ones shared with the team)."""
    out = []
    for avatar in manage.list_avatars(project_id, user_id=user_id, services=services):
        for photo in avatar.photos:
            label = f"{avatar.name} · {photo.angle}"
            out.append(
                ImageView(photo.id, "avatar", label, photo.image_key, photo.width, photo.height, avatar.created_at)
            )
    return out[:MAX_PER_SOURCE]


def list_images(
    project_id: str,
    *,
    user_id: str,
    services: Services,
    source: str | None = None,
    query: str | None = None,
    page: int = 1,
    per_page: int = 24,
) -> Page:
    """One page of the project's images, newest first, of one source or all, by label."""
    wanted = [source] if source in SOURCES else list(SOURCES)
    found: list[ImageView] = []
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.VIEW)
        for name in wanted:
            if name != "avatar":
                found += _ad_images(session, project_id, name)
    if "avatar" in wanted:
        found += _avatar_images(project_id, user_id, services)
    needle = " ".join((query or "").split()).casefold()
    if needle:
        found = [i for i in found if needle in i.label.casefold()]
    found.sort(key=lambda i: (i.created_at, i.id), reverse=True)
    page = max(1, int(page))
    items = found[(page - 1) * per_page : page * per_page]
    return Page(tuple(items), len(found), page, per_page)


def image_bytes(image: ImageView, *, user_id: str, services: Services) -> bytes:
    """The image's bytes through its own feature's rights check."""
    if image.source == "avatar":
        return twin_media_bytes(image.image_key, user_id=user_id, services=services)
    return media.media_bytes(image.image_key, user_id=user_id, services=services)


def ads_for_upload(project_id: str, *, user_id: str, services: Services) -> list[tuple[str, str]]:
    """(ad id, label) of the project's ads, which product photos are uploaded to."""
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.VIEW)
        ads = session.scalars(
            select(Ad).where(Ad.project_id == project_id).order_by(Ad.created_at.desc()).limit(200)
        ).all()
        return [(a.id, _ad_label(a)) for a in ads]


def upload_product_photos(ad_id: str, files: list[bytes], *, user_id: str, services: Services) -> int:
    """Product photos of an ad, checked by content by the ads' own upload (all or none)."""
    return product.add_product_images(ad_id, files, user_id=user_id, services=services)


def list_models(project_id: str, *, user_id: str, services: Services) -> list[LoraView]:
    """The project's LoRA models from the digital twins, newest first (read-only here)."""
    return lora.list_loras(project_id, user_id=user_id, services=services)
