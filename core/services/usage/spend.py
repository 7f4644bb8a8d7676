"""Spend guardrails: the daily generation quota and the daily cost ceilings, per user and per team.

A job is admitted inside the transaction that creates it, under row locks on the user
(and, for the team ceiling, the project), so concurrent submissions are counted one after
another and cannot overshoot: on PostgreSQL `SELECT ... FOR UPDATE`, on SQLite the
session that the caller opens (rows locked with `lock_row`; SQLite sessions begin IMMEDIATE).

"Committed" spend for a day is what the ledger (`cost_records`) says was spent, plus what
admitted jobs still have reserved: each admitted job holds its estimate (`spend_holds`)
until it ends, and only what it spent counts after that. A job that would take the
committed spend past a ceiling is refused before anything is paid. `before_paid_call` is
the backstop for jobs admitted without a hold: once a ceiling is reached, no further
paid call starts.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.adapters.db.models.accounts import SpendHold
from core.adapters.db.models.base import utcnow
from core.adapters.db.models.jobs import CostRecord, Job
from core.adapters.db.models.projects import Project, User
from core.domain.accounts import SpendToday
from core.domain.types import ACTIVE_JOB_STATUS_VALUES
from core.errors import QuotaExceeded
from core.ports_services import Services
from core.services.accounts.access import Right, project_with_right

logger = logging.getLogger(__name__)


class CostCeilingReached(QuotaExceeded):
    code = "cost_ceiling"


def day_start(now: datetime) -> datetime:
    return datetime.combine(now.date(), time(0, 0), tzinfo=UTC)


def _resets(now: datetime) -> str:
    reset = day_start(now) + timedelta(days=1)
    return f"It resets at midnight UTC (in {(reset - now).total_seconds() / 3600:.1f} h)."


def _lock(session: Session, model: type, row_id: str) -> None:
    # Only the id is selected: a user-scoped session may not read every column (RLS grants).
    if session.get_bind().dialect.name != "sqlite":
        session.execute(select(model.id).where(model.id == row_id).with_for_update())  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- measuring


def user_committed(session: Session, user_id: str, since: datetime) -> float:
    """Ledger since `since` plus what the user's running jobs still have reserved."""
    spent = session.scalar(
        select(func.coalesce(func.sum(CostRecord.amount_usd), 0.0)).where(
            CostRecord.owner_id == user_id, CostRecord.created_at >= since
        )
    )
    open_holds = session.execute(
        select(SpendHold.reserved_usd, SpendHold.spent_usd)
        .join(Job, Job.id == SpendHold.job_id)
        .where(SpendHold.owner_id == user_id, Job.status.in_(ACTIVE_JOB_STATUS_VALUES))
    ).all()
    return float(spent or 0.0) + sum(max(0.0, reserved - used) for reserved, used in open_holds)


def team_committed(session: Session, project_id: str, since: datetime) -> float:
    """Every member's jobs in the project admitted since `since`: max(reserved, spent) while running."""
    rows = session.execute(
        select(SpendHold.reserved_usd, SpendHold.spent_usd, Job.status)
        .outerjoin(Job, Job.id == SpendHold.job_id)
        .where(SpendHold.project_id == project_id, SpendHold.created_at >= since)
    ).all()
    total = 0.0
    for reserved, used, status in rows:
        finished = status is not None and status not in ACTIVE_JOB_STATUS_VALUES
        total += used if finished else max(reserved, used)
    return total


def spend_today(*, user_id: str, services: Services) -> SpendToday:
    with services.db.session(user_id=user_id) as session:
        committed = user_committed(session, user_id, day_start(utcnow()))
    return SpendToday(round(committed, 4), services.settings.daily_cost_ceiling_usd)


def team_spend_today(project_id: str, *, user_id: str, services: Services) -> SpendToday:
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.VIEW)
        committed = team_committed(session, project_id, day_start(utcnow()))
    return SpendToday(round(committed, 4), services.settings.team_daily_cost_ceiling_usd)


# --------------------------------------------------------------------------- admitting


def _check_quota(session: Session, user_id: str, kind: str, services: Services, now: datetime) -> None:
    used = session.scalar(
        select(func.count())
        .select_from(Job)
        .where(Job.owner_id == user_id, Job.kind == kind, Job.created_at >= day_start(now))
    )
    limit = services.settings.daily_generation_quota
    if int(used or 0) >= limit:
        reset = day_start(now) + timedelta(days=1)
        raise QuotaExceeded(
            f"You have made {limit} videos today, the daily limit. It resets at midnight UTC "
            f"(in {(reset - now).total_seconds() / 3600:.1f} h, {reset:%Y-%m-%d %H:%M} UTC).",
            details={"limit": limit, "resets_at": reset.isoformat()},
        )


def _check_ceiling(committed: float, estimate: float, ceiling: float, whose: str, now: datetime) -> None:
    if ceiling <= 0 or committed + estimate <= ceiling + 1e-9:
        return
    left = max(0.0, ceiling - committed)
    raise CostCeilingReached(
        f"This would cost about ${estimate:.2f}, and {whose} ${left:.2f} left of the ${ceiling:.2f} daily limit "
        f"(${committed:.2f} spent or reserved by generations still running). Nothing was charged. {_resets(now)}",
        details={"estimate_usd": round(estimate, 4), "committed_usd": round(committed, 4), "ceiling_usd": ceiling},
    )


def admit(
    session: Session,
    *,
    user_id: str,
    project_id: str,
    estimate_usd: float,
    services: Services,
    quota_kind: str | None = None,
) -> None:
    """Refuse the job about to be created if it breaks the quota or a ceiling. Takes the locks."""
    settings, now = services.settings, utcnow()
    _lock(session, User, user_id)
    if quota_kind:
        _check_quota(session, user_id, quota_kind, services, now)
    since = day_start(now)
    _check_ceiling(
        user_committed(session, user_id, since), estimate_usd, settings.daily_cost_ceiling_usd, "you have", now
    )
    if settings.team_daily_cost_ceiling_usd > 0:
        _lock(session, Project, project_id)
        team = team_committed(session, project_id, since)
        _check_ceiling(team, estimate_usd, settings.team_daily_cost_ceiling_usd, "this project's team has", now)


def hold(session: Session, *, job_id: str, user_id: str, project_id: str, estimate_usd: float) -> None:
    """Reserve the admitted job's estimate (same transaction as `admit` and the job row)."""
    session.add(SpendHold(job_id=job_id, owner_id=user_id, project_id=project_id, reserved_usd=max(0.0, estimate_usd)))


def holder(session: Session, job_id: str) -> str:
    """The job whose hold covers `job_id`: its own, else the one named by `spend_job` in its payload
    (an ad's asset jobs spend from the generation's hold)."""
    if session.scalar(select(SpendHold.id).where(SpendHold.job_id == job_id)):
        return job_id
    payload = session.scalar(select(Job.payload).where(Job.id == job_id)) or {}
    return str(payload.get("spend_job") or job_id)


def settle(session: Session, job_id: str, cost_usd: float) -> None:
    """A ledger row of the job was written: what it has spent grows (in the ledger's transaction)."""
    covering = holder(session, job_id)
    session.execute(
        update(SpendHold).where(SpendHold.job_id == covering).values(spent_usd=SpendHold.spent_usd + cost_usd)
    )


def before_paid_call(services: Services, *, owner_id: str, job_id: str | None = None) -> None:
    """Backstop for work admitted without a hold (or, `job_id=None`, calls made outside a job):
    no paid call starts once the user's ceiling is reached."""
    ceiling = services.settings.daily_cost_ceiling_usd
    if ceiling <= 0:
        return
    with services.db.session() as session:
        covering = holder(session, job_id) if job_id else None
        if covering and session.scalar(
            select(SpendHold.id)
            .join(Job, Job.id == SpendHold.job_id)
            .where(SpendHold.job_id == covering, Job.status.in_(ACTIVE_JOB_STATUS_VALUES))
        ):
            return  # admitted with its estimate reserved, and that job is still running
        now = utcnow()
        committed = user_committed(session, owner_id, day_start(now))
    if committed >= ceiling:
        raise CostCeilingReached(
            f"Today's spending limit of ${ceiling:.2f} is reached (${committed:.2f} spent or reserved), "
            f"so this step was not started and nothing was charged. {_resets(now)}",
            details={"committed_usd": round(committed, 4), "ceiling_usd": ceiling},
        )
