"""Projects: create, rename, delete (with everything in them), list with activity."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from core.adapters.db.models.ads import Ad, AdAsset, AdAvatar, AdOutput, AdProductImage
from core.adapters.db.models.jobs import Job
from core.adapters.db.models.projects import Project
from core.adapters.db.models.talking import ActorImageVariant, VideoAsset
from core.domain import text as text_rules
from core.domain.types import ProjectView
from core.errors import ValidationError
from core.ports_services import Services
from core.services.accounts import audit
from core.services.accounts.access import Right, project_with_right, visible_project_ids
from core.services.avatars.cleanup import twin_contents

logger = logging.getLogger(__name__)

TITLE_MAX = 120


def _clean_title(title: str) -> str:
    title = text_rules.required(title, field="title", multiline=False, message="Give the project a title.")
    title = " ".join(title.split())
    if len(title) > TITLE_MAX:
        raise ValidationError(f"Keep the title under {TITLE_MAX} characters (it has {len(title)}).")
    return title


def create_project(title: str, *, owner_id: str, services: Services) -> ProjectView:
    with services.db.session(user_id=owner_id) as session:
        project = Project(owner_id=owner_id, title=_clean_title(title))
        session.add(project)
        session.flush()
        return ProjectView(id=project.id, title=project.title, created_at=project.created_at)


def rename_project(project_id: str, title: str, *, user_id: str, services: Services) -> None:
    with services.db.session(user_id=user_id) as session:
        project = project_with_right(session, project_id, user_id, Right.EDIT)
        project.title = _clean_title(title)


def list_projects(*, user_id: str, services: Services) -> list[ProjectView]:
    counts = (
        select(
            VideoAsset.project_id,
            func.count(VideoAsset.id).label("videos"),
            func.max(VideoAsset.updated_at).label("last_video"),
        )
        .group_by(VideoAsset.project_id)
        .subquery()
    )
    query = (
        select(Project, counts.c.videos, counts.c.last_video)
        .outerjoin(counts, counts.c.project_id == Project.id)
        .where(Project.id.in_(visible_project_ids(user_id)))
    )
    with services.db.session(user_id=user_id) as session:
        rows = session.execute(query).all()
    views = [
        ProjectView(
            id=p.id,
            title=p.title,
            created_at=p.created_at,
            video_count=int(videos or 0),
            last_activity=max(filter(None, [p.updated_at, last_video])),
        )
        for p, videos, last_video in rows
    ]
    return sorted(views, key=lambda v: v.last_activity or v.created_at, reverse=True)


def get_project(project_id: str, *, user_id: str, services: Services) -> ProjectView:
    with services.db.session(user_id=user_id) as session:
        project = project_with_right(session, project_id, user_id, Right.VIEW)
        return ProjectView(id=project.id, title=project.title, created_at=project.created_at)


def delete_project(project_id: str, *, user_id: str, services: Services) -> int:
    """Cancel its jobs, delete its stored files, then its rows. Returns files removed."""
    with services.db.session(user_id=user_id) as session:
        project = project_with_right(session, project_id, user_id, Right.OWN)
        audit.record(session, "project.deleted", actor_id=user_id, project_id=project_id, subject=project.title)
        videos = session.scalars(select(VideoAsset).where(VideoAsset.project_id == project_id)).all()
        variants = session.scalars(select(ActorImageVariant).where(ActorImageVariant.project_id == project_id)).all()
        made: list[VideoAsset | ActorImageVariant] = [*videos, *variants]
        job_ids = [v.job_id for v in made if v.job_id]
        keys = {k for v in videos for k in owned_keys(v)}
        keys |= {k for v in variants for k in (v.image_key, v.thumb_key) if k}
        ad_jobs, ad_keys = mass_generator_contents(session, project_id)
        job_ids, keys = job_ids + ad_jobs, keys | ad_keys
        twin_jobs, twin_keys = twin_contents(session, project_id)  # avatars, sheets, LoRAs, face swaps
        job_ids, keys = job_ids + twin_jobs, keys | twin_keys
        cancel_jobs(session, job_ids)
        session.delete(session.get(Project, project_id))
    return remove_files(services, keys)


def mass_generator_contents(session, project_id: str) -> tuple[list[str], set[str]]:  # type: ignore[no-untyped-def]
    """The jobs and stored files of the project's mass-generator ads (catalog portraits excluded)."""
    ads = select(Ad.id).where(Ad.project_id == project_id)
    job_ids = [j for j in session.scalars(select(Ad.job_id).where(Ad.project_id == project_id)) if j]
    job_ids += [j for j in session.scalars(select(AdAsset.job_id).where(AdAsset.ad_id.in_(ads))) if j]
    job_ids += list(session.scalars(select(AdOutput.job_id).where(AdOutput.ad_id.in_(ads))))
    keys = set(session.scalars(select(AdProductImage.image_key).where(AdProductImage.ad_id.in_(ads))))
    keys |= {k for k in session.scalars(select(AdAsset.media_key).where(AdAsset.ad_id.in_(ads))) if k}
    for video_key, poster_key in session.execute(
        select(AdOutput.video_key, AdOutput.poster_key).where(AdOutput.ad_id.in_(ads))
    ):
        keys |= {k for k in (video_key, poster_key) if k}
    for references in session.scalars(select(AdAvatar.reference_keys).where(AdAvatar.project_id == project_id)):
        keys |= {k for k in references or [] if not k.startswith("images/catalog/")}
    return job_ids, keys


def owned_keys(video: VideoAsset) -> set[str]:
    """Files a video owns. A catalog image belongs to the catalog or to a variant, so it is not listed;
    an own avatar's video keeps its job's copy of the photo (or the new setting drawn from it)."""
    keys = {k for k in (video.video_key, video.poster_key, video.audio_key, video.source_audio_key) if k}
    if video.image_key and video.variant_id is None and video.job_id and f"jobs/{video.job_id}/" in video.image_key:
        keys.add(video.image_key)
    return keys


def cancel_jobs(session, job_ids: list[str]) -> None:  # type: ignore[no-untyped-def]
    if not job_ids:
        return
    for job in session.scalars(select(Job).where(Job.id.in_(job_ids))):
        job.cancel_requested = True
        job.subject_id = None  # the subject is going away: nothing may write it back


def remove_files(services: Services, keys: set[str]) -> int:
    removed = 0
    for key in keys:
        try:
            services.storage.delete(key)
            removed += 1
        except Exception:
            logger.warning("could not delete stored file %s", key, exc_info=True)
    return removed
