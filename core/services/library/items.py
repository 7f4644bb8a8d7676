"""The Library holds everything: talking videos and finished ads in one newest-first list, with
a type filter, one search (project title, product name, script, prompt) and pagination, and
an ad's details (its scenes: line, storyboard frame, clip, identity score)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, literal, literal_column, select, union, union_all
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
from core.services.variant_factory import search

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


def _ads_found(query: str, services: Services, *, word_index: bool) -> Any:
    """Ids of the ads whose title, product name, brief's prompt, a scene's line or project title
    contains `query`: a union of index scans (see `talking.gallery.gallery_select` for why not OR)."""
    texts = (Ad.title, Ad.product_name, search.json_text(services, "ugc_ads", "prompt"))
    arms = [select(Ad.id).where(search.matches(services, t, query, word_index=word_index)) for t in texts]
    line = search.json_text(services, "ugc_scenes", "dialogue")
    arms.append(select(AdScene.ad_id).where(search.matches(services, line, query, word_index=word_index)))
    titled = select(Project.id).where(search.matches(services, Project.title, query))
    if services.db.is_sqlite:
        arms.append(select(Ad.id).where(Ad.project_id.in_(titled)))
    else:
        arms.append(select(Ad.id).where(Ad.project_id == func.any(func.array(titled.scalar_subquery()))))
    return union(*arms)


def _ads_select(query: LibraryQuery, user_id: str, services: Services, *, word_index: bool) -> Any:
    """(kind, id, created_at) of the finished ads of the query, or None where none can match."""
    if query.statuses and VideoStatus.COMPLETED.value not in query.statuses:
        return None  # every finished ad is completed
    stmt: Any = (
        select(literal_column("'ad'").label("kind"), AdOutput.id.label("id"), AdOutput.created_at.label("created_at"))
        .join(Ad, Ad.id == AdOutput.ad_id)
        .where(Ad.project_id.in_(visible_project_ids(user_id)), AdOutput.status == "ready")
    )
    if query.actor_id:
        # The avatar's own rule (its project), written out for a search in the owner's session.
        shown = AdAvatar.project_id.in_(visible_project_ids(user_id))
        stmt = stmt.join(AdAvatar, AdAvatar.id == Ad.avatar_id).where(AdAvatar.actor_id == query.actor_id, shown)
    if query.search.strip():
        stmt = stmt.where(AdOutput.ad_id.in_(_ads_found(query.search, services, word_index=word_index)))
    return stmt


def _videos_select(query: LibraryQuery, user_id: str, services: Services, *, word_index: bool) -> Any:
    gallery = talking_gallery.GalleryQuery(statuses=query.statuses, actor_id=query.actor_id, search=query.search)
    chosen = talking_gallery.gallery_select(gallery, user_id, services, word_index=word_index)
    kind: Any = literal_column("'video'").label("kind")
    return chosen.with_only_columns(kind, VideoAsset.id.label("id"), VideoAsset.created_at.label("created_at"))


def _chosen(query: LibraryQuery, user_id: str, services: Services, *, word_index: bool) -> Any:
    """(kind, id, created_at) of every item of the query, both kinds in one subquery, or None."""
    parts: list[Any] = []
    if query.kind in ("all", "talking"):
        parts.append(_videos_select(query, user_id, services, word_index=word_index))
    ads = _ads_select(query, user_id, services, word_index=word_index) if query.kind in ("all", "ad") else None
    if ads is not None:
        parts.append(ads)
    if not parts:
        return None
    both: Any = union_all(*parts) if len(parts) > 1 else parts[0]
    return both.subquery("chosen")


def _page_and_count(session: Session, chosen: Any, page: int, page_size: int) -> tuple[list[tuple[str, str]], int]:
    """One page of (kind, id), newest first, and the items counted up to `search.COUNT_CAP`."""
    ordered = select(chosen.c.kind, chosen.c.id).order_by(chosen.c.created_at.desc(), chosen.c.id.desc())
    rows = [(kind, i) for kind, i in session.execute(ordered.limit(page_size).offset((page - 1) * page_size))]
    capped = select(literal(1)).select_from(chosen).limit(search.COUNT_CAP).subquery()
    return rows, int(session.scalar(select(func.count()).select_from(capped)) or 0)


def list_library(query: LibraryQuery, *, user_id: str, services: Services) -> LibraryPage:
    """One page of the Library; both kinds are ordered together by creation time, paged and
    counted (up to `search.COUNT_CAP`, shown "10,000+") in the database.

    A search on PostgreSQL finds the page's ids and the count in a session of the tables'
    owner, through the word indexes, with the visibility rule of the policies written out
    (`visible_project_ids`), as the gallery's search does (`talking.gallery.list_videos`: under
    the policies the non-leakproof ILIKE waits for a per-row right check, so no index); the
    cards are then read in the user's session under the policies. Unsearched, and on SQLite,
    everything runs in the user's session."""
    page = max(1, query.page)
    owner_search = bool(query.search.strip()) and not services.db.is_sqlite
    chosen = _chosen(query, user_id, services, word_index=owner_search)
    if chosen is None:
        return LibraryPage(items=[], total=0, page=page, page_size=query.page_size)
    with services.db.session(user_id=None if owner_search else user_id) as session:
        found, total = _page_and_count(session, chosen, page, query.page_size)
    with services.db.session(user_id=user_id) as session:
        videos = {v.id: v for v in talking_gallery.video_views(session, [i for k, i in found if k == "video"])}
        cards = {c.output_id: c for c in _cards(session, [i for k, i in found if k == "ad"])}
    items = [videos[i] if kind == "video" else cards[i] for kind, i in found if i in videos or i in cards]
    return LibraryPage(items=items, total=total, page=page, page_size=query.page_size)


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
