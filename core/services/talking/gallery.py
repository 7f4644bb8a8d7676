"""Read side of the gallery: filtered pages of video cards, live status chips, details, media access."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select, union

from core.adapters.db.models.avatars import Avatar
from core.adapters.db.models.jobs import Job, JobStep
from core.adapters.db.models.projects import Project
from core.adapters.db.models.talking import Actor, ActorImageVariant, VideoAsset
from core.adapters.storage.keys import parse_key
from core.domain.types import ErrorInfo, JobStatus, JobView, SourceType, StepStatus, StepView, VideoStatus, VideoView
from core.errors import NotFound
from core.ports_services import Services
from core.services.accounts.access import Right, project_with_right, visible_project_ids
from core.services.library import links
from core.services.variant_factory import search


@dataclass(frozen=True, slots=True)
class GalleryQuery:
    project_id: str | None = None  # None: every project the user can see
    statuses: tuple[str, ...] = ()
    actor_id: str | None = None
    search: str = ""
    page: int = 1
    page_size: int = 24


@dataclass(frozen=True, slots=True)
class GalleryPage:
    items: list[VideoView]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _error(raw: dict | None) -> ErrorInfo | None:
    if not raw:
        return None
    return ErrorInfo(code=raw.get("code", "error"), message=raw.get("message", ""), details=raw.get("details"))


def _job_view(job: Job | None) -> JobView | None:
    if job is None:
        return None
    return JobView(
        id=job.id,
        status=JobStatus(job.status),
        current_step=job.current_step,
        progress=job.progress,
        error=_error(job.error),
        updated_at=job.updated_at,
    )


def _video_view(video: VideoAsset, actor_name: str, variant_prompt: str | None, job: Job | None) -> VideoView:
    return VideoView(
        id=video.id,
        project_id=video.project_id,
        actor_id=video.actor_id,
        actor_name=actor_name,
        variant_id=video.variant_id,
        variant_prompt=variant_prompt or video.image_prompt,
        source_type=SourceType(video.source_type),
        source_text=video.source_text,
        status=VideoStatus(video.status),
        job=_job_view(job),
        video_key=video.video_key,
        poster_key=video.poster_key,
        audio_key=video.audio_key or video.source_audio_key,
        image_key=video.image_key,
        duration_s=video.duration_s,
        created_at=video.created_at,
        parent_id=video.parent_id,
        version=video.version,
        error=_error(video.error),
        avatar_id=video.avatar_id,
    )


FACE_GONE = "avatar no longer available"  # deleted, or not shared with you; the video keeps its photo


def titled_projects(session, search_text: str, user_id: str, services: Services) -> list[str]:  # type: ignore[no-untyped-def]
    """Ids of the visible projects whose title contains the search (a user's few projects).

    Found first, as a list, so the search's project arm is a known handful of ids or none: as a
    subquery PostgreSQL estimates it at a whole project's rows (125,000 of 500,000 videos in
    four projects), sizes the union for that, and scans the table for it (5 s for one page)."""
    titled = search.matches(services, Project.title, search_text)
    if titled is None:
        return []
    return list(session.scalars(select(Project.id).where(Project.id.in_(visible_project_ids(user_id)), titled)))


def gallery_select(  # type: ignore[no-untyped-def]
    query: GalleryQuery, user_id: str, services: Services, *, titled: list[str], word_index: bool = True
):
    """The videos of the query; `titled`: the `titled_projects` of its search; `word_index`
    (PostgreSQL) only for a session of the tables' owner."""
    stmt = select(VideoAsset).where(search.in_projects(services, VideoAsset.project_id, visible_project_ids(user_id)))
    if query.project_id:
        stmt = stmt.where(VideoAsset.project_id == query.project_id)
    if query.statuses:
        stmt = stmt.where(VideoAsset.status.in_(query.statuses))
    if query.actor_id:
        stmt = stmt.where(VideoAsset.actor_id == query.actor_id)
    script = search.matches(services, VideoAsset.source_text, query.search, word_index=word_index)
    if script is not None:
        prompt = search.matches(services, VideoAsset.image_prompt, query.search, word_index=word_index)
        # A union of index scans (the words of script and prompt, or their FTS5 index on SQLite;
        # the projects of a matching title), not one OR: under an OR PostgreSQL re-evaluates
        # every arm, the words function included, on each row it fetches (940 ms for 10,000
        # videos), and SQLite reads every visible video to test it.
        arms = [select(VideoAsset.id).where(script), select(VideoAsset.id).where(prompt)]
        if titled:
            arms.append(select(VideoAsset.id).where(VideoAsset.project_id.in_(titled)))
        stmt = stmt.where(VideoAsset.id.in_(union(*arms)))
    return stmt


def list_videos(query: GalleryQuery, *, user_id: str, services: Services) -> GalleryPage:
    """One page, filtered and counted in the database.

    A search on PostgreSQL finds its ids in a session of the tables' owner, like the library's
    (`variant_factory.search`): under the policy PostgreSQL must check the right of every row
    before the non-leakproof LIKE (a per-row function call, no index: 278 ms for 10,000
    videos). That session applies the same rule as the policy, written out
    (`visible_project_ids`); the cards are then read in the user's session under the policies."""
    page = max(1, query.page)
    searched = bool(query.search.strip()) and not services.db.is_sqlite
    with services.db.session(user_id=user_id) as session:
        if query.project_id:
            project_with_right(session, query.project_id, user_id, Right.VIEW)
        titled = titled_projects(session, query.search, user_id, services)
        base = gallery_select(query, user_id, services, titled=titled).with_only_columns(VideoAsset.id)
        ids = base.order_by(VideoAsset.created_at.desc(), VideoAsset.id)
        ids = ids.limit(query.page_size).offset((page - 1) * query.page_size)
        counted = select(func.count()).select_from(base.subquery())
        if not searched:
            total = session.scalar(counted) or 0
            return GalleryPage(video_views(session, ids.scalar_subquery()), int(total), page, query.page_size)
    with services.db.session() as owner:
        total = owner.scalar(counted) or 0
        found = list(owner.scalars(ids))
    with services.db.session(user_id=user_id) as session:
        items = video_views(session, found) if found else []
    return GalleryPage(items=items, total=int(total), page=page, page_size=query.page_size)


def video_views(session, ids) -> list[VideoView]:  # type: ignore[no-untyped-def]
    """Cards of these videos (a list of ids or a subquery), newest first."""
    rows = session.execute(
        select(VideoAsset, Actor.display_name, Avatar.name, ActorImageVariant.prompt, Job)
        .outerjoin(Actor, Actor.id == VideoAsset.actor_id)
        .outerjoin(Avatar, Avatar.id == VideoAsset.avatar_id)
        .outerjoin(ActorImageVariant, ActorImageVariant.id == VideoAsset.variant_id)
        .outerjoin(Job, Job.id == VideoAsset.job_id)
        .where(VideoAsset.id.in_(ids))
        .order_by(VideoAsset.created_at.desc(), VideoAsset.id)
    ).all()
    return [_video_view(v, actor or avatar or FACE_GONE, prompt, job) for v, actor, avatar, prompt, job in rows]


def job_statuses(job_ids: list[str], *, user_id: str, services: Services) -> dict[str, JobView]:
    """The query behind the status chips: a page's jobs, those the user may see (own, or in a visible project)."""
    if not job_ids:
        return {}
    visible = visible_project_ids(user_id)
    in_visible_project = or_(
        Job.id.in_(select(VideoAsset.job_id).where(VideoAsset.project_id.in_(visible))),
        Job.id.in_(select(ActorImageVariant.job_id).where(ActorImageVariant.project_id.in_(visible))),
    )
    query = select(Job).where(Job.id.in_(job_ids), or_(Job.owner_id == user_id, in_visible_project))
    with services.db.session(user_id=user_id) as session:
        jobs = session.scalars(query).all()
        return {job.id: view for job in jobs if (view := _job_view(job)) is not None}


def video_details(video_id: str, *, user_id: str, services: Services) -> VideoView:
    with services.db.session(user_id=user_id) as session:
        video = session.get(VideoAsset, video_id)
        if video is None:
            raise NotFound("That video no longer exists.")
        project_with_right(session, video.project_id, user_id, Right.VIEW)
        variant = session.get(ActorImageVariant, video.variant_id) if video.variant_id else None
        job = session.get(Job, video.job_id) if video.job_id else None
        view = _video_view(video, _face_name(session, video), variant.prompt if variant else None, job)
        steps = session.scalars(
            select(JobStep).where(JobStep.job_id == video.job_id).order_by(JobStep.started_at)
        ).all()
        view.steps.extend(
            StepView(
                name=s.name,
                status=StepStatus(s.status),
                attempt=s.attempt,
                provider=s.provider,
                provider_request_id=s.provider_request_id,
                cost_usd=s.cost_usd,
                started_at=s.started_at,
                finished_at=s.finished_at,
                error=s.error,
            )
            for s in steps
        )
        return view


def _face_name(session, video: VideoAsset) -> str:  # type: ignore[no-untyped-def]
    actor = session.get(Actor, video.actor_id) if video.actor_id else None
    avatar = session.get(Avatar, video.avatar_id) if video.avatar_id else None
    return actor.display_name if actor else (avatar.name if avatar else FACE_GONE)


def media_bytes(key: str, *, user_id: str, services: Services) -> bytes:
    """File bytes after checking the user may see what the file belongs to."""
    _check_media_right(key, user_id, services)
    return services.storage.read_bytes(key)


HOW_TO_ENABLE_LINKS = (
    "Links are off: files are kept on this computer. To share links, use Supabase storage "
    "(STORAGE_BACKEND=supabase) or run the media receiver (python -m jobs.webhooks) and set "
    "MEDIA_BASE_URL and LINK_SIGNING_SECRET. Until then, use Download."
)


def links_enabled(services: Services) -> bool:
    """Whether "Copy link" can give a working link: signed storage URLs, or the local media receiver."""
    settings = services.settings
    if settings.storage_backend == "supabase":
        return True
    return bool(settings.media_base_url and settings.link_signing_secret.get_secret_value())


def media_link(key: str, *, user_id: str, services: Services) -> str | None:
    """A link that expires: Supabase's signed URL, or our signed local link where a link server is
    configured; None where local files are served only as bytes."""
    _check_media_right(key, user_id, services)
    settings = services.settings
    url = services.storage.signed_url(key, settings.link_expiry_s)
    if url:
        return url
    return links.local_link(
        key,
        user_id=user_id,
        base_url=settings.media_base_url,
        secret=settings.link_signing_secret.get_secret_value(),
        expires_in_s=settings.link_expiry_s,
    )


def _check_media_right(key: str, user_id: str, services: Services) -> None:
    parse_key(key)  # a NUL or over-long key is refused here, before it reaches a query
    with services.db.session(user_id=user_id) as session:
        if session.scalar(select(func.count()).select_from(Actor).where(Actor.image_key == key)):
            return  # catalog portraits are public to every signed-in user
        if key.startswith("audio/catalog/"):
            return
        visible = visible_project_ids(user_id)
        owner_video = session.scalar(
            select(func.count())
            .select_from(VideoAsset)
            .where(
                VideoAsset.project_id.in_(visible),
                or_(
                    VideoAsset.video_key == key,
                    VideoAsset.poster_key == key,
                    VideoAsset.audio_key == key,
                    VideoAsset.source_audio_key == key,
                    VideoAsset.image_key == key,
                ),
            )
        )
        owner_variant = session.scalar(
            select(func.count())
            .select_from(ActorImageVariant)
            .where(
                ActorImageVariant.project_id.in_(visible),
                or_(ActorImageVariant.image_key == key, ActorImageVariant.thumb_key == key),
            )
        )
        if not (owner_video or owner_variant):
            raise NotFound("That file does not exist or is not shared with you.")


def gallery_marker(project_id: str | None, *, user_id: str, services: Services) -> tuple[int, str]:
    """A cheap fingerprint of what a gallery shows (how many videos, the latest change), so an
    idle page can notice a video another tab created or a status a worker changed."""
    stmt = select(func.count(VideoAsset.id), func.max(VideoAsset.updated_at)).where(
        VideoAsset.project_id.in_(visible_project_ids(user_id))
    )
    if project_id:
        stmt = stmt.where(VideoAsset.project_id == project_id)
    with services.db.session(user_id=user_id) as session:
        count, latest = session.execute(stmt).one()
    return int(count or 0), str(latest or "")
