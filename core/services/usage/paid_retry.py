"""The creator's explicit retry of a paid call that may already have started.

When a provider's answer to a paid request was lost and nothing could confirm it, the
job stops with `provider_may_have_started` (architecture.md "Paid calls"). Only this
function resubmits: it records the creator's consent (step row and audit log) and hands
the job back to the runner, which starts a fresh attempt of that step; the steps that
finished are kept, so nothing else is paid again.
"""

from __future__ import annotations

from sqlalchemy import select

from core.adapters.db.locks import lock_row
from core.adapters.db.models.jobs import Job, JobStep
from core.adapters.db.models.talking import VideoAsset
from core.domain.types import JobStatus, StepStatus
from core.errors import NotFound, PaidCallUncertain, ValidationError
from core.ports_services import Services
from core.services.accounts import audit
from core.services.accounts.access import Right, project_with_right

CONSENTED = "consented"


def retry_uncertain_video(video_id: str, *, user_id: str, services: Services) -> None:
    """The gallery's "Retry (may charge again)" for a video stopped on an uncertain paid call."""
    with services.db.session(user_id=user_id) as session:
        video = session.get(VideoAsset, video_id)
        if video is None or not video.job_id:
            raise NotFound("That video no longer exists.")
        project_with_right(session, video.project_id, user_id, Right.EDIT)
        job_id, project_id = video.job_id, video.project_id
    _reopen_job(services, job_id, user_id, project_id=project_id)


def _reopen_job(services: Services, job_id: str, user_id: str, *, project_id: str | None) -> None:
    # The services' own role writes step rows (creators' sessions may only read them).
    with services.db.session() as session:
        job = lock_row(session, Job, job_id)
        if job is None:
            raise NotFound("That generation no longer exists.")
        _reopen(session, job, user_id, project_id=project_id)
    services.queue.enqueue(job_id)


def _reopen(session, job: Job, user_id: str, *, project_id: str | None = None) -> None:  # type: ignore[no-untyped-def]
    code = (job.error or {}).get("code")
    if job.status != JobStatus.FAILED.value or code != PaidCallUncertain.code:
        raise ValidationError("Only a generation stopped on an unconfirmed paid request can be retried this way.")
    step = session.scalar(
        select(JobStep)
        .where(
            JobStep.job_id == job.id,
            JobStep.status == StepStatus.FAILED.value,
            JobStep.error_code == PaidCallUncertain.code,
        )
        .order_by(JobStep.attempt.desc())
        .limit(1)
    )
    if step is not None:
        step.submit_state = CONSENTED
    audit.record(
        session,
        "paid_call.retry_consented",
        actor_id=user_id,
        owner_id=job.owner_id,
        project_id=project_id,
        subject=f"{job.kind} step {step.name if step else '?'}",
        detail={"job_id": job.id, "provider": step.provider if step else None},
    )
    job.status = JobStatus.QUEUED.value
    job.error = None
    job.finished_at = None
    job.started_at = None  # admission and the start hook run again (the video shows "generating")
    job.resumes = 0
