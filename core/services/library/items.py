"""The Library holds everything: talking videos and finished ads in one newest-first list, with
a type filter, one search (project title, product name, script, prompt) and pagination, and
an ad's details (its scenes: line, storyboard frame, clip, identity score)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from core.adapters.db.models.ads import Ad, AdAsset, AdAvatar, AdOutput, AdQcReport, AdScene
from core.adapters.db.models.projects import Project
from core.adapters.db.models.talking import VideoAsset
from core.domain.ads import AssetKind, AssetStatus
from core.domain.types import VideoStatus, VideoView
from core.errors import NotFound
from core.ports_services import Services
from core.services.accounts.access import Right, project_with_right, visible_project_ids
from core.services.talking import gallery as talking_gallery

Kind = Literal["all", "talking", "ad"]


@dataclass(frozen=True, slots=True)
class AdCard:
    output_id: str
    ad_id: str
    project_id: str
    title: str
    product_name: str
    aspect: str
    video_key: str | None
    poster_key: str | None
    duration_s: float | None
    created_at: datetime
    qc_passed: bool | None = None


@dataclass(frozen=True, slots=True)
class LibraryQuery:
    kind: Kind = "all"
    statuses: tuple[str, ...] = ()
    actor_id: str | None = None
    search: str = ""
    page: int = 1
    page_size: int = 24


@dataclass(frozen=True, slots=True)
class LibraryPage:
    items: list[VideoView | AdCard]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True, slots=True)
class SceneLine:
    number: int
    dialogue: str
    frame_key: str | None
    clip_key: str | None
    identity: float | None


@dataclass(frozen=True, slots=True)
class AdDetails:
    card: AdCard
    scenes: list[SceneLine]
    prompt: str
    qc_summary: str
    details: dict[str, Any] = field(default_factory=dict)


def _ads_select(query: LibraryQuery, user_id: str):  # type: ignore[no-untyped-def]
    stmt = (
        select(AdOutput.id, AdOutput.created_at)
        .join(Ad, Ad.id == AdOutput.ad_id)
        .where(Ad.project_id.in_(visible_project_ids(user_id)), AdOutput.status == "ready")
    )
    if query.statuses and VideoStatus.COMPLETED.value not in query.statuses:
        return None  # every finished ad is completed
    if query.actor_id:
        stmt = stmt.join(AdAvatar, AdAvatar.id == Ad.avatar_id).where(AdAvatar.actor_id == query.actor_id)
    needle = query.search.strip().lower()
    if needle:
        like = f"%{needle}%"
        titled = select(Project.id).where(func.lower(Project.title).like(like))
        scripted = select(AdScene.ad_id).where(func.lower(cast(AdScene.spec, String)).like(like))
        stmt = stmt.where(
            or_(
                func.lower(Ad.title).like(like),
                func.lower(Ad.product_name).like(like),
                func.lower(cast(Ad.options, String)).like(like),  # the brief's prompt
                Ad.project_id.in_(titled),
                Ad.id.in_(scripted),
            )
        )
    return stmt


def _videos_select(query: LibraryQuery, user_id: str, services: Services):  # type: ignore[no-untyped-def]
    gallery = talking_gallery.GalleryQuery(statuses=query.statuses, actor_id=query.actor_id, search=query.search)
    chosen = talking_gallery.gallery_select(gallery, user_id, services, word_index=False)  # a user session
    return chosen.with_only_columns(VideoAsset.id, VideoAsset.created_at)


def list_library(query: LibraryQuery, *, user_id: str, services: Services) -> LibraryPage:
    """One page of the Library; both kinds are ordered together by creation time."""
    page = max(1, query.page)
    with services.db.session(user_id=user_id) as session:
        rows: list[tuple[datetime, str, str]] = []
        if query.kind in ("all", "talking"):
            rows += [(at, "video", i) for i, at in session.execute(_videos_select(query, user_id, services)).all()]
        ads = _ads_select(query, user_id) if query.kind in ("all", "ad") else None
        if ads is not None:
            rows += [(at, "ad", i) for i, at in session.execute(ads).all()]
        rows.sort(key=lambda r: (r[0], r[2]), reverse=True)
        chosen = rows[(page - 1) * query.page_size : page * query.page_size]
        videos = {v.id: v for v in talking_gallery.video_views(session, [i for _, k, i in chosen if k == "video"])}
        cards = {c.output_id: c for c in _cards(session, [i for _, k, i in chosen if k == "ad"])}
    items = [videos[i] if kind == "video" else cards[i] for _, kind, i in chosen if i in videos or i in cards]
    return LibraryPage(items=items, total=len(rows), page=page, page_size=query.page_size)


def _cards(session, output_ids: list[str]) -> list[AdCard]:  # type: ignore[no-untyped-def]
    if not output_ids:
        return []
    rows = session.execute(
        select(AdOutput, Ad).join(Ad, Ad.id == AdOutput.ad_id).where(AdOutput.id.in_(output_ids))
    ).all()
    passed = dict(
        session.execute(
            select(AdQcReport.output_id, AdQcReport.passed).where(AdQcReport.output_id.in_(output_ids))
        ).all()
    )
    return [
        AdCard(o.id, a.id, a.project_id, a.title or a.product_name or "Untitled ad", a.product_name, o.aspect,
               o.video_key, o.poster_key, o.duration_s, o.created_at, passed.get(o.id))
        for o, a in rows
    ]  # fmt: skip


def _scene_lines(session, ad: Ad) -> list[SceneLine]:  # type: ignore[no-untyped-def]
    lines = []
    scenes = session.scalars(select(AdScene).where(AdScene.ad_id == ad.id).order_by(AdScene.number)).all()
    for scene in scenes:
        frame = session.get(AdAsset, scene.approved_frame_id) if scene.approved_frame_id else None
        clip = session.scalars(
            select(AdAsset)
            .where(
                AdAsset.scene_id == scene.id,
                AdAsset.kind == AssetKind.CLIP.value,
                AdAsset.status == AssetStatus.READY.value,
            )
            .order_by(AdAsset.created_at.desc())
        ).first()
        identity = clip.score if clip is not None and clip.score is not None else (frame.score if frame else None)
        lines.append(
            SceneLine(scene.number, str((scene.spec or {}).get("dialogue", "")),
                      frame.media_key if frame else None, clip.media_key if clip else None, identity)
        )  # fmt: skip
    return lines


def visible_output(session: Session, output_id: str, user_id: str) -> tuple[AdOutput, Ad]:
    """A finished ad's output and its ad, for a user with at least the view right on its project."""
    output = session.get(AdOutput, output_id)
    ad = session.get(Ad, output.ad_id) if output is not None else None
    if output is None or ad is None:
        raise NotFound("That ad no longer exists.")
    project_with_right(session, ad.project_id, user_id, Right.VIEW)
    return output, ad


def ad_details(output_id: str, *, user_id: str, services: Services) -> AdDetails:
    with services.db.session(user_id=user_id) as session:
        output, ad = visible_output(session, output_id, user_id)
        (card,) = _cards(session, [output_id])
        report = session.scalar(select(AdQcReport.summary).where(AdQcReport.output_id == output_id)) or ""
        brief = (ad.options or {}).get("brief") or {}
        details = {
            "Format": f"{output.aspect} · {output.width}x{output.height}",
            "Length": f"{output.duration_s or 0:.1f} s",
            "Product": ad.product_name or "—",
            "Brand": ad.brand_name or "—",
            "Platform": brief.get("platform", "—"),
            "Writer": (ad.script_meta or {}).get("writer", "—"),
        }
        return AdDetails(card, _scene_lines(session, ad), str(brief.get("prompt", "")), report, details)
