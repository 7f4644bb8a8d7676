"""The durable step engine: one pass of `advance(job_id)` runs a job as far as it can.

A pass claims the job row, skips steps that already completed, runs the next ones,
and stops when the job ends or must wait (a provider still working, a retry backoff,
a review gate). Waiting jobs are re-enqueued with a delay; the database row, never
the queue, is the truth, so a lost queue entry or a killed worker is recovered by the
sweeper (`jobs.sweeper`).
"""

from __future__ import annotations

import logging
import random
import shutil
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import case, func, select, update

from core.adapters.db.locks import lock_row
from core.adapters.db.models.base import utcnow
from core.adapters.db.models.jobs import Job, JobStep
from core.adapters.db.models.projects import User
from core.domain.types import ACTIVE_JOB_STATUS_VALUES, ErrorInfo, JobStatus, StepStatus
from core.errors import JobCancelled, StudioError, TransientError
from core.ports_services import Services
from jobs import memory
from jobs.context import StepContext, WaitForProvider, WaitForUser
from jobs.pipeline import Pipeline, Step, pipeline_for

logger = logging.getLogger(__name__)


class Heartbeat:
    """Touches the job row while a pass runs, so the sweeper can tell a live job from a dead one."""

    def __init__(self, services: Services, job_id: str) -> None:
        self._services = services
        self._job_id = job_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True, name=f"heartbeat-{job_id[:8]}")

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _beat(self) -> None:
        while not self._stop.wait(self._services.settings.heartbeat_interval_s):
            try:
                with self._services.db.session() as session:
                    session.execute(
                        update(Job)
                        .where(Job.id == self._job_id, Job.status == JobStatus.RUNNING.value)
                        .values(heartbeat_at=utcnow())
                    )
            except Exception:  # a missed beat is not fatal; the next one may land
                logger.warning("heartbeat for job %s failed", self._job_id, exc_info=True)


def advance(job_id: str, services: Services) -> None:
    claim = _claim(job_id, services)
    if claim is None:
        return
    pipeline, owner_id, payload, history = claim
    with Heartbeat(services, job_id):
        _run_steps(services, pipeline, job_id, owner_id, payload, history)


# --------------------------------------------------------------------------- claiming


@dataclass
class _History:
    """What earlier passes left of this job's steps, read once when the pass claims the job.

    Only this pass runs the job while it holds the claim, so the snapshot stays true for the
    pass: each step is opened at most once per pass, and from what the snapshot says.
    """

    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)  # completed steps
    attempts: dict[str, int] = field(default_factory=dict)
    last: dict[str, _Attempt] = field(default_factory=dict)  # latest attempt per step


@dataclass(frozen=True)
class _Attempt:
    id: str
    status: str
    provider: str | None
    provider_request_id: str | None
    request: Any
    waiting_since: Any


def _read_history(session: Any, job_id: str) -> _History:
    history = _History()
    for row in session.scalars(select(JobStep).where(JobStep.job_id == job_id).order_by(JobStep.attempt)):
        history.attempts[row.name] = history.attempts.get(row.name, 0) + 1
        history.last[row.name] = _Attempt(
            row.id, row.status, row.provider, row.provider_request_id, row.request, row.waiting_since
        )
        if row.status == StepStatus.COMPLETED.value:
            history.outputs[row.name] = dict(row.output or {})
    return history


def _claim(job_id: str, services: Services) -> tuple[Pipeline, str, dict[str, Any], _History] | None:
    """Move the job to running if it may run now; None if someone else has it or it must wait."""
    settings = services.settings
    with services.db.session() as session:
        job = lock_row(session, Job, job_id)
        if job is None or JobStatus(job.status).terminal:
            return None
        fresh = utcnow() - timedelta(seconds=settings.stale_after_s)
        pipeline = pipeline_for(job.kind)
        if job.status == JobStatus.RUNNING.value:
            if job.heartbeat_at and job.heartbeat_at > fresh:
                return None  # another worker is on it
            if not _count_resume(session, services, pipeline, job):
                return None
        if job.cancel_requested:
            _end(session, services, pipeline, job, JobStatus.CANCELLED, None)
            return None
        if job.started_at is None:
            if pipeline.admission_limited and not _slot_free(session, job, settings.max_active_generations):
                return None  # stays queued; a finishing job of this owner kicks it
            job.started_at = utcnow()
            pipeline.on_started(services, session, job, None)
        job.status = JobStatus.RUNNING.value
        job.heartbeat_at = utcnow()
        job.run_after = None
        return pipeline, job.owner_id, dict(job.payload or {}), _read_history(session, job_id)


def _count_resume(session: Any, services: Services, pipeline: Pipeline, job: Job) -> bool:
    """A running job whose heartbeat went stale lost its worker: resume it, within a bound."""
    if job.resumes >= services.settings.max_resumes:
        error = ErrorInfo(
            "worker_lost",
            "The worker running this generation stopped several times. Try again; "
            "if it keeps happening, the input may be too heavy for this machine.",
            {"resumes": job.resumes},
        )
        _end(session, services, pipeline, job, JobStatus.FAILED, error)
        return False
    job.resumes += 1
    logger.warning("job %s lost its worker in step %s; resuming", job.id, job.current_step)
    return True


def _slot_free(session: Any, job: Job, limit: int) -> bool:
    lock_row(session, User, job.owner_id)  # serialise admissions of one owner
    active = session.scalar(
        select(func.count())
        .select_from(Job)
        .where(
            Job.owner_id == job.owner_id,
            Job.id != job.id,
            Job.started_at.is_not(None),
            Job.status.in_(ACTIVE_JOB_STATUS_VALUES),
            Job.kind == job.kind,
        )
    )
    return int(active or 0) < limit


# --------------------------------------------------------------------------- running


# A finished step's output is written in the same transaction that opens the next step (or
# ends the job): one commit per step instead of two, with the same durability, because
# nothing runs between a step returning and that commit.
_Done = tuple[str, dict[str, Any]]  # (step row id, output)


def _run_steps(
    services: Services, pipeline: Pipeline, job_id: str, owner_id: str, payload: dict[str, Any], history: _History
) -> None:
    outputs = history.outputs
    done: _Done | None = None
    for step in pipeline.steps:
        if step.name in outputs:
            continue
        row_id = _open_attempt(services, pipeline, job_id, step, history, done)
        done = None
        if row_id is None:  # cancelled at the step boundary
            return
        ctx = StepContext(
            services,
            job_id=job_id,
            owner_id=owner_id,
            payload=payload,
            step_name=step.name,
            step_row_id=row_id,
            outputs=outputs,
        )
        output = _run_one(services, pipeline, ctx, step)
        if output is None:
            return
        done = (row_id, output)
        outputs[step.name] = ctx.output_of(step.name)
    _finish(services, pipeline, job_id, JobStatus.COMPLETED, None, done=done)


def _open_attempt(
    services: Services, pipeline: Pipeline, job_id: str, step: Step, history: _History, done: _Done | None
) -> str | None:
    """Reuse an interrupted attempt (it may hold a provider request id) or start the next one."""
    with services.db.session() as session:
        if done is not None:
            _complete_step_in(session, *done)
        progress = pipeline.progress_before(step.name)
        moved = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.cancel_requested.is_(False))
            .values(current_step=step.name, progress=case((Job.progress > progress, Job.progress), else_=progress))
            .returning(Job.id)
        ).first()
        if moved is None:  # gone, or the creator asked to cancel
            job = lock_row(session, Job, job_id)
            if job is not None:
                _end(session, services, pipeline, job, JobStatus.CANCELLED, None)
            return None
        last = history.last.get(step.name)
        if last is not None and last.status in (StepStatus.RUNNING.value, StepStatus.WAITING.value):
            session.execute(update(JobStep).where(JobStep.id == last.id).values(status=StepStatus.RUNNING.value))
            return last.id
        row = JobStep(
            job_id=job_id,
            name=step.name,
            status=StepStatus.RUNNING.value,
            attempt=history.attempts.get(step.name, 0) + 1,
        )
        if last is not None and last.provider_request_id:
            # A transient error while polling must not cause a second paid submission.
            row.provider, row.provider_request_id = last.provider, last.provider_request_id
            row.request, row.waiting_since = last.request, last.waiting_since
        session.add(row)
        session.flush()
        return row.id


def _complete_step_in(session: Any, row_id: str, output: dict[str, Any]) -> None:
    session.execute(
        update(JobStep)
        .where(JobStep.id == row_id)
        .values(status=StepStatus.COMPLETED.value, output=output, finished_at=utcnow())
    )


def _run_one(services: Services, pipeline: Pipeline, ctx: StepContext, step: Step) -> dict[str, Any] | None:
    """Run one step attempt; its output if the job may go on to the next step, else None."""
    started = time.monotonic()
    try:
        output = step.run(ctx) or {}
    except WaitForProvider as wait:
        _pause(services, ctx, wait.delay_s, StepStatus.WAITING, None)
        return None
    except WaitForUser:
        _pause(services, ctx, None, StepStatus.WAITING, None)
        return None
    except JobCancelled:
        _close_step(services, ctx.step_row_id, StepStatus.FAILED, error=ErrorInfo("cancelled", "Cancelled."))
        _finish(services, pipeline, ctx.job_id, JobStatus.CANCELLED, None)
        return None
    except TransientError as exc:
        _retry_or_fail(services, pipeline, ctx, exc)
        return None
    except StudioError as exc:
        _fail(services, pipeline, ctx, exc.to_info())
        return None
    except Exception:
        logger.exception("step %s of job %s crashed", step.name, ctx.job_id)
        message = (
            f"Something went wrong in the {step.name.replace('_', ' ')} step. Try again; if it keeps failing, tell us."
        )
        _fail(services, pipeline, ctx, ErrorInfo("internal_error", message, {"step": step.name}))
        return None
    finally:
        memory.after_step(time.monotonic() - started)
    ctx.outputs[step.name] = output
    return output


def _retry_or_fail(services: Services, pipeline: Pipeline, ctx: StepContext, exc: TransientError) -> None:
    """Retry after a pause; give up after `step_max_attempts` transient failures in a row.

    Only consecutive failures count: a long provider wait with an occasional 503 between
    successful polls is healthy, while a provider failing every time is not.
    """
    settings = services.settings
    with services.db.session() as session:
        statuses = session.scalars(
            select(JobStep.status)
            .where(JobStep.job_id == ctx.job_id, JobStep.name == ctx.step_name, JobStep.id != ctx.step_row_id)
            .order_by(JobStep.attempt.desc())
        ).all()
    attempts = 1 + next((i for i, s in enumerate(statuses) if s != StepStatus.RETRYING.value), len(statuses))
    if attempts >= settings.step_max_attempts:
        info = exc.to_info()
        message = f"{info.message} We tried {attempts} times; please try again later."
        _fail(services, pipeline, ctx, ErrorInfo(info.code, message, info.details))
        return
    delay = backoff_delay(attempts, settings.retry_base_s, settings.retry_cap_s)
    delay = max(delay, exc.retry_after_s or 0.0)
    logger.info("job %s step %s: transient error, retry in %.1fs: %s", ctx.job_id, ctx.step_name, delay, exc)
    _pause(services, ctx, delay, StepStatus.RETRYING, exc.to_info())


def backoff_delay(attempt: int, base_s: float, cap_s: float) -> float:
    """Exponential backoff with full jitter in [0.5, 1] of the bound."""
    bound = min(cap_s, base_s * (2 ** max(0, attempt - 1)))
    return bound * random.uniform(0.5, 1.0)


def _pause(
    services: Services, ctx: StepContext, delay_s: float | None, status: StepStatus, error: ErrorInfo | None
) -> None:
    """Park the job; `delay_s=None` waits for the user (nothing scheduled, the sweeper leaves it)."""
    with services.db.session() as session:
        job = lock_row(session, Job, ctx.job_id)
        if job is None or JobStatus(job.status).terminal:
            return
        _close_step_in(session, ctx.step_row_id, status, error=error, finished=status is StepStatus.RETRYING)
        job.status = JobStatus.WAITING.value
        job.run_after = None if delay_s is None else utcnow() + timedelta(seconds=delay_s)
    if delay_s is not None:
        services.queue.enqueue(ctx.job_id, delay_s=delay_s)


def _fail(services: Services, pipeline: Pipeline, ctx: StepContext, error: ErrorInfo) -> None:
    _close_step(services, ctx.step_row_id, StepStatus.FAILED, error=error)
    _finish(services, pipeline, ctx.job_id, JobStatus.FAILED, error)


def _close_step(services: Services, row_id: str, status: StepStatus, **kwargs: Any) -> None:
    with services.db.session() as session:
        _close_step_in(session, row_id, status, **kwargs)


def _close_step_in(
    session: Any,
    row_id: str,
    status: StepStatus,
    *,
    output: dict[str, Any] | None = None,
    error: ErrorInfo | None = None,
    finished: bool = True,
) -> None:
    row = session.get(JobStep, row_id)
    if row is None:
        return
    row.status = status.value
    if output is not None:
        row.output = output
    if error is not None:
        row.error, row.error_code = error.message, error.code
    if finished and status is not StepStatus.WAITING:
        row.finished_at = utcnow()


# --------------------------------------------------------------------------- ending


def _finish(
    services: Services,
    pipeline: Pipeline,
    job_id: str,
    status: JobStatus,
    error: ErrorInfo | None,
    *,
    done: _Done | None = None,
) -> None:
    with services.db.session() as session:
        if done is not None:
            _complete_step_in(session, *done)
        job = lock_row(session, Job, job_id)
        if job is None or JobStatus(job.status).terminal:
            return
        owner_id = _end(session, services, pipeline, job, status, error)
    shutil.rmtree(services.settings.work_dir / job_id, ignore_errors=True)
    kick_next_queued(services, owner_id)


def _end(
    session: Any, services: Services, pipeline: Pipeline, job: Job, status: JobStatus, error: ErrorInfo | None
) -> str:
    job.status = status.value
    job.finished_at = utcnow()
    job.run_after = None
    if status is JobStatus.COMPLETED:
        job.progress = 1.0
    if error is not None:
        job.error = {"code": error.code, "message": error.message, "details": error.details}
    hook = {
        JobStatus.COMPLETED: pipeline.on_completed,
        JobStatus.FAILED: pipeline.on_failed,
        JobStatus.CANCELLED: pipeline.on_cancelled,
    }[status]
    hook(services, session, job, error)
    return job.owner_id


def kick_next_queued(services: Services, owner_id: str) -> None:
    """A slot freed up: hand this owner's oldest waiting-for-admission job to the runner."""
    with services.db.session() as session:
        next_id = session.scalar(
            select(Job.id)
            .where(Job.owner_id == owner_id, Job.status == JobStatus.QUEUED.value, Job.started_at.is_(None))
            .order_by(Job.created_at)
            .limit(1)
        )
    if next_id:
        services.queue.enqueue(next_id)
