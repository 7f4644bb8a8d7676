"""Usage metrics for one user: jobs started and finished, step timings, provider errors, cost.

Every query is scoped to the user's own jobs. Results are plain dataclasses or small
pandas DataFrames with fixed columns, so pages can chart them without knowing SQL.
Durations and days are computed in Python: the same code on SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import case, func, select

from core.adapters.db.models.base import utcnow
from core.adapters.db.models.jobs import CostRecord, Job, JobStep
from core.domain.types import ACTIVE_JOB_STATUS_VALUES, JobStatus, StepStatus
from core.ports_services import Services

logger = logging.getLogger(__name__)

DEFAULT_WINDOW_DAYS = 30
# Step names of the talking-video pipeline that call a provider, in the order they run.
PROVIDER_STEPS = {"image_edit": "Image edit", "tts": "Speech", "lip_sync": "Lip-sync"}
NOT_PROVIDER_ERRORS = ("cancelled",)
# Ledger statuses (jobs.paid_calls writes them): a lost answer leaves "possibly_charged".
CHARGED, POSSIBLY_CHARGED = "charged", "possibly_charged"


@dataclass(frozen=True, slots=True)
class JobCounts:
    started: int
    completed: int
    failed: int
    cancelled: int
    active: int

    @property
    def finished(self) -> int:
        return self.completed + self.failed

    @property
    def failure_rate(self) -> float:
        """Failed share of the jobs that ended one way or the other (0 when none ended)."""
        return self.failed / self.finished if self.finished else 0.0


def _since(days: int | None) -> datetime | None:
    return utcnow() - timedelta(days=days) if days else None


def job_counts(*, user_id: str, services: Services, days: int | None = DEFAULT_WINDOW_DAYS) -> JobCounts:
    """Jobs the user started in the window, by how they stand now."""
    query = select(Job.status, func.count()).where(Job.owner_id == user_id).group_by(Job.status)
    if since := _since(days):
        query = query.where(Job.created_at >= since)
    with services.db.session(user_id=user_id) as session:
        by_status = {status: int(n) for status, n in session.execute(query).all()}
    return JobCounts(
        started=sum(by_status.values()),
        completed=by_status.get(JobStatus.COMPLETED.value, 0),
        failed=by_status.get(JobStatus.FAILED.value, 0),
        cancelled=by_status.get(JobStatus.CANCELLED.value, 0),
        active=sum(by_status.get(s, 0) for s in ACTIVE_JOB_STATUS_VALUES),
    )


def jobs_per_day(*, user_id: str, services: Services, days: int = DEFAULT_WINDOW_DAYS) -> pd.DataFrame:
    """Columns: day (date), status (str), jobs (int) — one row per day and status with jobs."""
    query = select(Job.created_at, Job.status).where(Job.owner_id == user_id, Job.created_at >= _since(days))
    with services.db.session(user_id=user_id) as session:
        rows = session.execute(query).all()
    frame = pd.DataFrame(rows, columns=["created_at", "status"])
    if frame.empty:
        return pd.DataFrame({"day": pd.Series(dtype="object"), "status": [], "jobs": pd.Series(dtype="int64")})
    frame["day"] = pd.to_datetime(frame["created_at"], utc=True).dt.date
    return frame.groupby(["day", "status"]).size().reset_index(name="jobs")


def _completed_provider_steps(user_id: str, services: Services, days: int | None):  # type: ignore[no-untyped-def]
    # Steps that ran a provider have `provider` set; skipped ones (no image prompt, own audio) do not.
    query = (
        select(JobStep.name, JobStep.started_at, JobStep.finished_at)
        .join(Job, Job.id == JobStep.job_id)
        .where(
            Job.owner_id == user_id,
            JobStep.status == StepStatus.COMPLETED.value,
            JobStep.provider.is_not(None),
            JobStep.finished_at.is_not(None),
            JobStep.name.in_(tuple(PROVIDER_STEPS)),
        )
    )
    if since := _since(days):
        query = query.where(JobStep.started_at >= since)
    with services.db.session(user_id=user_id) as session:
        return session.execute(query).all()


def step_durations(*, user_id: str, services: Services, days: int | None = DEFAULT_WINDOW_DAYS) -> pd.DataFrame:
    """Columns: step (name), label, avg_seconds, runs — completed provider steps only."""
    rows = _completed_provider_steps(user_id, services, days)
    frame = pd.DataFrame(
        [(name, (finished - started).total_seconds()) for name, started, finished in rows],
        columns=["step", "seconds"],
    )
    if frame.empty:
        return pd.DataFrame(columns=["step", "label", "avg_seconds", "runs"])
    grouped = frame.groupby("step")["seconds"].agg(avg_seconds="mean", runs="count").reset_index()
    grouped["label"] = grouped["step"].map(PROVIDER_STEPS)
    order = {name: i for i, name in enumerate(PROVIDER_STEPS)}
    grouped = grouped.sort_values("step", key=lambda s: s.map(order)).reset_index(drop=True)
    return grouped[["step", "label", "avg_seconds", "runs"]]


def average_step_seconds(
    *, user_id: str, services: Services, days: int | None = DEFAULT_WINDOW_DAYS
) -> dict[str, float]:
    """{step name: average seconds} for the steps with history."""
    frame = step_durations(user_id=user_id, services=services, days=days)
    return {str(row.step): float(row.avg_seconds) for row in frame.itertuples()}


def provider_errors(*, user_id: str, services: Services, days: int | None = DEFAULT_WINDOW_DAYS) -> pd.DataFrame:
    """Columns: provider, step, error_code, retries, failures — step attempts that went wrong."""
    retrying = func.sum(case((JobStep.status == StepStatus.RETRYING.value, 1), else_=0))
    failed = func.sum(case((JobStep.status == StepStatus.FAILED.value, 1), else_=0))
    provider = func.coalesce(JobStep.provider, "not reached")
    query = (
        select(provider, JobStep.name, JobStep.error_code, retrying, failed)
        .join(Job, Job.id == JobStep.job_id)
        .where(
            Job.owner_id == user_id,
            JobStep.status.in_((StepStatus.RETRYING.value, StepStatus.FAILED.value)),
            JobStep.error_code.is_not(None),
            JobStep.error_code.not_in(NOT_PROVIDER_ERRORS),
        )
        .group_by(provider, JobStep.name, JobStep.error_code)
    )
    if since := _since(days):
        query = query.where(JobStep.started_at >= since)
    with services.db.session(user_id=user_id) as session:
        rows = session.execute(query).all()
    frame = pd.DataFrame(rows, columns=["provider", "step", "error_code", "retries", "failures"])
    return frame.astype({"retries": "int64", "failures": "int64"}).sort_values(
        ["provider", "step", "error_code"], ignore_index=True
    )


def cost_per_day(*, user_id: str, services: Services, days: int = DEFAULT_WINDOW_DAYS) -> pd.DataFrame:
    """Columns: day (date), provider, cost_usd — from the frozen cost ledger."""
    query = select(CostRecord.created_at, CostRecord.provider, CostRecord.amount_usd).where(
        CostRecord.owner_id == user_id, CostRecord.created_at >= _since(days)
    )
    with services.db.session(user_id=user_id) as session:
        rows = session.execute(query).all()
    frame = pd.DataFrame(rows, columns=["created_at", "provider", "cost_usd"])
    if frame.empty:
        return pd.DataFrame({"day": pd.Series(dtype="object"), "provider": [], "cost_usd": pd.Series(dtype="float64")})
    frame["day"] = pd.to_datetime(frame["created_at"], utc=True).dt.date
    return frame.groupby(["day", "provider"], as_index=False)["cost_usd"].sum()


def total_cost(*, user_id: str, services: Services, days: int = DEFAULT_WINDOW_DAYS) -> float:
    """What was charged for certain; a possibly-charged call has no known amount and is not in it."""
    query = select(func.coalesce(func.sum(CostRecord.amount_usd), 0.0)).where(
        CostRecord.owner_id == user_id, CostRecord.created_at >= _since(days), CostRecord.status == CHARGED
    )
    with services.db.session(user_id=user_id) as session:
        return float(session.scalar(query) or 0.0)


def possibly_charged_calls(*, user_id: str, services: Services, days: int = DEFAULT_WINDOW_DAYS) -> pd.DataFrame:
    """Paid calls whose answer was lost: the provider may have charged, for an amount we never learnt.

    Columns: when, provider, capability, work (the job's kind), job_id — newest first, so the
    creator can check each against the provider's own dashboard.
    """
    query = (
        select(CostRecord.created_at, CostRecord.provider, CostRecord.capability, Job.kind, CostRecord.job_id)
        .outerjoin(Job, Job.id == CostRecord.job_id)
        .where(
            CostRecord.owner_id == user_id,
            CostRecord.created_at >= _since(days),
            CostRecord.status == POSSIBLY_CHARGED,
        )
        .order_by(CostRecord.created_at.desc())
    )
    with services.db.session(user_id=user_id) as session:
        rows = session.execute(query).all()
    return pd.DataFrame(rows, columns=["when", "provider", "capability", "work", "job_id"])
