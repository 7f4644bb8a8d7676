"""The Media library's Images: the project's product photos, storyboard frames and the photos
of the digital twins the user may use, in one listing; and its LoRA models.

Nothing is copied: each image stays where its feature keeps it and is read through that
feature's own rights check (`ugc_media` for ads, `avatars.media` for twins). Uploads are
product photos of an ad, through `ugc_product.add_product_images` (probed by content and
re-encoded there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, case, cast, func, literal, null, select, text, union

from core.adapters.db.models.ads import Ad, AdAsset, AdProductImage, AdScene
from core.domain.avatars import LoraView
from core.ports_services import Services
from core.services.accounts.access import Right, project_with_right
from core.services.ads import media, product
from core.services.avatars import lora, manage
from core.services.avatars.media import twin_media_bytes
from core.services.variant_factory import search
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


UNTITLED = "Untitled ad"


def _ad_label(ad: Ad) -> str:
    return ad.title or ad.product_name or UNTITLED


SCENE_PART = re.compile(r"(?P<head>.*?)(?P<digits>\d*)")


def _may_touch_the_scene_part(needle: str) -> bool:
    """Whether the query could match a frame's label (`<ad> · scene <n>`) in its scene part,
    or across it: it then holds '·', or lies inside ' · scene <digits>'."""
    parts = SCENE_PART.fullmatch(needle)
    head, digits = (parts["head"], parts["digits"]) if parts else (needle, "")
    return "·" in needle or (" · scene ".endswith(head) if digits else head in " · scene ")


def _label_matches(services: Services, needle: str, *, word_index: bool, frames: bool) -> Any:
    """The image's label (ad title, else product name, else "Untitled ad"; a frame's scene after
    it) contains the query, checked on the label itself; where the query can only be in the
    ad's title or product name, those come first from their indexes (`search.matches`)."""
    base = case((Ad.title != "", Ad.title), (Ad.product_name != "", Ad.product_name), else_=literal(UNTITLED))
    label = base + literal(" · scene ") + cast(AdScene.number, String) if frames else base
    clause = search.contains(label, needle)
    folded = needle.casefold()
    if folded in UNTITLED.casefold() or (frames and _may_touch_the_scene_part(folded)):
        return clause  # text no index holds: the label alone, over the project's own rows
    named = [select(Ad.id).where(search.matches(services, c, needle, word_index=word_index))
             for c in (Ad.title, Ad.product_name)]  # fmt: skip
    return and_(Ad.id.in_(union(*named)), clause)


def _ad_image_query(project_id: str, source: str, matching: Any = None):  # type: ignore[no-untyped-def]
    """(image, scene number or None, ad) of the project's product photos or ready frames, newest first."""
    stmt: Any
    if source == "product":
        stmt = select(AdProductImage, null().label("number"), Ad).join(Ad, Ad.id == AdProductImage.ad_id)
        stmt = stmt.where(Ad.project_id == project_id).order_by(AdProductImage.created_at.desc())
    else:
        stmt = (
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
        )
    return (stmt.where(matching) if matching is not None else stmt).limit(MAX_PER_SOURCE)


def _image_view(image: AdProductImage | AdAsset, number: int | None, ad: Ad) -> ImageView:
    if isinstance(image, AdProductImage):
        return ImageView(image.id, "product", _ad_label(ad), image.image_key, image.width, image.height,
                         image.created_at)  # fmt: skip
    return ImageView(image.id, "frame", f"{_ad_label(ad)} · scene {number}", image.media_key or "", None, None,
                     image.created_at)  # fmt: skip


def _ad_images(project_id: str, source: str, needle: str, user_id: str, services: Services) -> list[ImageView]:
    """The project's images of one ad source matching the query (all without one), newest first.

    A search on PostgreSQL finds the image ids in a session of the tables' owner, with the
    project right re-checked there once (as `search.page_of` does: under the policies the
    non-leakproof ILIKE would wait for a per-row right check, so no index); the images are
    then read in the user's session under the policies."""
    frames = source == "frame"
    owner_search = bool(needle) and not services.db.is_sqlite
    matching = _label_matches(services, needle, word_index=owner_search, frames=frames) if needle else None
    query = _ad_image_query(project_id, source, matching)
    if owner_search:
        image = AdAsset if frames else AdProductImage
        allowed = func.studio_project_right(literal(project_id)) >= 1
        with services.db.session() as session:
            session.execute(text("SELECT set_config('app.user_id', :u, true)"), {"u": user_id})
            ids = list(session.scalars(query.with_only_columns(image.id).where(allowed)))
        if not ids:
            return []
        query = _ad_image_query(project_id, source, image.id.in_(ids))
    with services.db.session(user_id=user_id) as session:
        return [_image_view(image, number, ad) for image, number, ad in session.execute(query).all()]


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
    needle = search.cleaned_query(query)
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.VIEW)
    found: list[ImageView] = []
    for name in wanted:
        if name != "avatar":
            found += _ad_images(project_id, name, needle, user_id, services)
    if "avatar" in wanted:  # a project's twins are few: their photos are filtered here
        found += [i for i in _avatar_images(project_id, user_id, services) if needle.casefold() in i.label.casefold()]
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
