"""The Library holds everything: talking videos and finished ads in one newest-first list, with
a type filter, one search (project title, product name, script, prompt) and pagination, and
an ad's details (its scenes: line, storyboard frame, clip, identity score)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import String, cast, func, literal, literal_column, select, union, union_all
from sqlalchemy.orm import Session

from core.adapters.db.models.ads import Ad, AdAsset, AdAvatar, AdOutput, AdQcReport, AdScene
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


def _ads_found(query: str, titled: list[str], services: Services, *, word_index: bool) -> Any:
    """Ids of the ads whose title, product name, brief's prompt or a scene's line contains
    `query`, or whose project is `titled`: a union of index scans (see
    `talking.gallery.gallery_select` for why not OR)."""
    texts = (Ad.title, Ad.product_name, search.json_text(services, "ugc_ads", "prompt"))
    arms = [select(Ad.id).where(search.matches(services, t, query, word_index=word_index)) for t in texts]
    line = search.json_text(services, "ugc_scenes", "dialogue")
    arms.append(select(AdScene.ad_id).where(search.matches(services, line, query, word_index=word_index)))
    if titled:
        arms.append(select(Ad.id).where(Ad.project_id.in_(titled)))
    return union(*arms)


def _ads_select(query: LibraryQuery, user_id: str, titled: list[str], services: Services, *, word_index: bool) -> Any:
    """(kind, id, created_at) of the finished ads of the query, or None where none can match."""
    if query.statuses and VideoStatus.COMPLETED.value not in query.statuses:
        return None  # every finished ad is completed
    stmt: Any = (
        select(
            cast(literal_column("'ad'"), String).label("kind"),
            AdOutput.id.label("id"),
            AdOutput.created_at.label("created_at"),
        )
        .join(Ad, Ad.id == AdOutput.ad_id)
        .where(search.in_projects(services, Ad.project_id, visible_project_ids(user_id)), AdOutput.status == "ready")
    )
    if query.actor_id:
        # The avatar's own rule (its project), written out for a search in the owner's session.
        shown = AdAvatar.project_id.in_(visible_project_ids(user_id))
        stmt = stmt.join(AdAvatar, AdAvatar.id == Ad.avatar_id).where(AdAvatar.actor_id == query.actor_id, shown)
    if query.search.strip():
        stmt = stmt.where(AdOutput.ad_id.in_(_ads_found(query.search, titled, services, word_index=word_index)))
    return stmt


def _videos_select(
    query: LibraryQuery, user_id: str, titled: list[str], services: Services, *, word_index: bool
) -> Any:
    gallery = talking_gallery.GalleryQuery(statuses=query.statuses, actor_id=query.actor_id, search=query.search)
    chosen = talking_gallery.gallery_select(gallery, user_id, services, titled=titled, word_index=word_index)
    kind: Any = cast(literal_column("'video'"), String).label("kind")
    return chosen.with_only_columns(kind, VideoAsset.id.label("id"), VideoAsset.created_at.label("created_at"))


def _parts(query: LibraryQuery, user_id: str, titled: list[str], services: Services, *, word_index: bool) -> list[Any]:
    """(kind, id, created_at) of the items of the query, one select per kind wanted;
    `titled`: the `talking.gallery.titled_projects` of its search."""
    parts: list[Any] = []
    if query.kind in ("all", "talking"):
        parts.append(_videos_select(query, user_id, titled, services, word_index=word_index))
    wanted = query.kind in ("all", "ad")
    ads = _ads_select(query, user_id, titled, services, word_index=word_index) if wanted else None
    if ads is not None:
        parts.append(ads)
    return parts


def _newest(part: Any, count: int) -> Any:
    """The `count` newest rows of one kind. Each kind is cut before the two are merged: over a
    union PostgreSQL sorts every visible row for a page (1.8 s for 1,000,000 rows); one kind
    alone walks its `(created_at, id)` index and stops (SQLite needs the cut as a subquery)."""
    newest = part.order_by(part.selected_columns.created_at.desc(), part.selected_columns.id.desc()).limit(count)
    cut = newest.subquery()
    return select(cut.c.kind, cut.c.id, cut.c.created_at)


def _page_query(parts: list[Any], page: int, page_size: int) -> Any:
    """(kind, id) of one page, newest first."""
    offset = (page - 1) * page_size
    cut: Any = union_all(*(_newest(p, offset + page_size) for p in parts)).subquery("newest")
    ordered = select(cut.c.kind, cut.c.id).order_by(cut.c.created_at.desc(), cut.c.id.desc())
    return ordered.limit(page_size).offset(offset)


def _count_query(parts: list[Any]) -> Any:
    """The items counted up to `search.COUNT_CAP`."""
    every: Any = union_all(*parts).subquery("chosen")
    return select(func.count()).select_from(select(literal(1)).select_from(every).limit(search.COUNT_CAP).subquery())


def list_library(query: LibraryQuery, *, user_id: str, services: Services) -> LibraryPage:
    """One page of the Library; both kinds are ordered together by creation time, paged and
    counted (up to `search.COUNT_CAP`, shown "10,000+") in the database.

    On PostgreSQL the page's ids and the count come from a session of the tables' owner, with
    the visibility rule of the policies written out (`visible_project_ids`), as the gallery's
    search does (`talking.gallery.list_videos`): under the policies a search's non-leakproof
    ILIKE waits for a per-row right check (no index), and the unsearched newest-first page
    checks the right of every visible row before it can sort them (36 s for 1,000,000 rows;
    here each kind walks its `(created_at, id)` index and stops at the page, `_newest`). The cards are then
    read in the user's session under the policies, so a row the rule let through and the
    policies do not would be dropped, never shown. On SQLite everything runs in one session."""
    page = max(1, query.page)
    in_owner_session = not services.db.is_sqlite
    with services.db.session(user_id=user_id) as session:
        titled = talking_gallery.titled_projects(session, query.search, user_id, services)
    parts = _parts(query, user_id, titled, services, word_index=in_owner_session)
    if not parts:
        return LibraryPage(items=[], total=0, page=page, page_size=query.page_size)
    with services.db.session(user_id=None if in_owner_session else user_id) as session:
        found = [(kind, i) for kind, i in session.execute(_page_query(parts, page, query.page_size))]
        total = int(session.scalar(_count_query(parts)) or 0)
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
