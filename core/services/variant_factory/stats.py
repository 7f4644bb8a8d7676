"""Team stats: storage used per kind and per project (sizes from the storage adapter where it
can tell, else the size we recorded), active and recent jobs across the user's projects, and
cost per day per kind of job from the ledger."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import or_, select

from core.adapters.db.models.ads import Ad, AdOutput
from core.adapters.db.models.base import utcnow
from core.adapters.db.models.jobs import CostRecord, Job
from core.adapters.db.models.talking import VideoAsset
from core.adapters.db.models.variant_factory import BatchVariant, LibraryAudio, LibraryVideo, VariantBatch
from core.domain.types import ACTIVE_JOB_STATUS_VALUES
from core.ports_services import Services
from core.services.accounts.access import visible_project_ids

KIND_LABELS = {
    "talking_video": "Talking videos",
    "image_variant": "Actor images",
    "ugc_ad": "Ads",
    "ugc_asset": "Ad scenes",
    "factory_variant": "Ad variants",
    "factory_voiceover": "Voice-overs",
    "edit_voice": "Editor voice lines",
}


@dataclass(frozen=True, slots=True)
class JobLine:
    id: str
    kind: str
    status: str
    step: str | None
    progress: float
    created_at: datetime


def _size(services: Services, key: str | None, recorded: int = 0) -> int:
    if not key:
        return 0
    size_of = getattr(services.storage, "size_of", None)  # Supabase lists no sizes cheaply: use ours
    found = size_of(key) if size_of else None
    return int(found if found is not None else recorded)


def storage_used(*, user_id: str, services: Services) -> pd.DataFrame:
    """Columns: project, kind, bytes — every stored file of the projects the user may see."""
    totals: dict[tuple[str, str], int] = defaultdict(int)
    with services.db.session(user_id=user_id) as session:
        visible = visible_project_ids(user_id)
        from core.adapters.db.models.projects import Project

        titles = dict(session.execute(select(Project.id, Project.title).where(Project.id.in_(visible))).all())
        for pid, *keys in session.execute(
            select(VideoAsset.project_id, VideoAsset.video_key, VideoAsset.poster_key, VideoAsset.audio_key).where(
                VideoAsset.project_id.in_(visible)
            )
        ):
            totals[(pid, "Talking videos")] += sum(_size(services, k) for k in keys)
        for pid, key, poster in session.execute(
            select(Ad.project_id, AdOutput.video_key, AdOutput.poster_key)
            .join(Ad, Ad.id == AdOutput.ad_id)
            .where(Ad.project_id.in_(visible))
        ):
            totals[(pid, "Ads")] += _size(services, key) + _size(services, poster)
        for pid, key, poster, size in session.execute(
            select(
                LibraryVideo.project_id, LibraryVideo.video_key, LibraryVideo.poster_key, LibraryVideo.size_bytes
            ).where(LibraryVideo.project_id.in_(visible))
        ):
            totals[(pid, "Library videos")] += _size(services, key, size) + _size(services, poster)
        for pid, key, size in session.execute(
            select(LibraryAudio.project_id, LibraryAudio.audio_key, LibraryAudio.size_bytes).where(
                LibraryAudio.project_id.in_(visible)
            )
        ):
            totals[(pid, "Library audio")] += _size(services, key, size)
        seen: set[str] = set()  # a reused variant file is counted once
        for pid, key, size in session.execute(
            select(VariantBatch.project_id, BatchVariant.video_key, BatchVariant.size_bytes)
            .join(VariantBatch, VariantBatch.id == BatchVariant.batch_id)
            .where(VariantBatch.project_id.in_(visible), BatchVariant.video_key.is_not(None))
        ):
            if key is not None and key not in seen:  # the query keeps only rows with a key
                seen.add(key)
                totals[(pid, "Variants (expiring)")] += _size(services, key, size)
        for pid, key, size in session.execute(
            select(VariantBatch.project_id, VariantBatch.zip_key, VariantBatch.zip_bytes).where(
                VariantBatch.project_id.in_(visible), VariantBatch.zip_key.is_not(None)
            )
        ):
            totals[(pid, "ZIPs (expiring)")] += _size(services, key, size)
    rows = [{"project": titles.get(pid, pid), "kind": kind, "bytes": n} for (pid, kind), n in totals.items() if n]
    return pd.DataFrame(rows, columns=["project", "kind", "bytes"])


def _visible_job_ids(user_id: str):  # type: ignore[no-untyped-def]
    visible = visible_project_ids(user_id)
    return [
        select(VideoAsset.job_id).where(VideoAsset.project_id.in_(visible)),
        select(Ad.job_id).where(Ad.project_id.in_(visible)),
        select(LibraryAudio.job_id).where(LibraryAudio.project_id.in_(visible)),
        select(BatchVariant.job_id)
        .join(VariantBatch, VariantBatch.id == BatchVariant.batch_id)
        .where(VariantBatch.project_id.in_(visible)),
    ]


def studio_jobs(*, user_id: str, services: Services, active: bool, limit: int = 20) -> list[JobLine]:
    """The user's own jobs and those of the projects they may see (teammates' variants too).

    Read as the tables' owner with the visibility rule written out here: a teammate's job row
    is not the user's under RLS, but its status on a shared project is theirs to see."""
    statuses = list(ACTIVE_JOB_STATUS_VALUES)
    query = select(Job).where(or_(Job.owner_id == user_id, *[Job.id.in_(q) for q in _visible_job_ids(user_id)]))
    if active:
        query = query.where(Job.status.in_(statuses)).order_by(Job.created_at)
    else:
        query = query.where(Job.status.not_in(statuses)).order_by(Job.finished_at.desc().nulls_last())
    with services.db.session() as session:
        jobs = session.scalars(query.limit(limit)).all()
        return [
            JobLine(j.id, KIND_LABELS.get(j.kind, j.kind), j.status, j.current_step, j.progress, j.created_at)
            for j in jobs
        ]


def cost_per_kind(*, user_id: str, services: Services, days: int = 30) -> pd.DataFrame:
    """Columns: day, kind, cost_usd — the user's ledger joined to the kind of job that spent it."""
    since = utcnow() - timedelta(days=days)
    with services.db.session(user_id=user_id) as session:
        rows = session.execute(
            select(CostRecord.created_at, Job.kind, CostRecord.amount_usd)
            .outerjoin(Job, Job.id == CostRecord.job_id)
            .where(CostRecord.owner_id == user_id, CostRecord.created_at >= since)
        ).all()
    frame = pd.DataFrame(rows, columns=["created_at", "kind", "cost_usd"])
    if frame.empty:
        return pd.DataFrame({"day": pd.Series(dtype="object"), "kind": [], "cost_usd": pd.Series(dtype="float64")})
    frame["day"] = pd.to_datetime(frame["created_at"], utc=True).dt.date
    frame["kind"] = frame["kind"].map(lambda k: KIND_LABELS.get(k, k or "outside a job"))
    return frame.groupby(["day", "kind"], as_index=False)["cost_usd"].sum()
