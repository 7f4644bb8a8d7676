"""Finds jobs nobody is working on and hands them back to the runner.

- running, heartbeat stale (worker killed, process restarted): resume, or fail after
  `max_resumes` so no job stays "running" forever;
- waiting, its poll or retry overdue (a lost delayed queue entry, a restarted process):
  re-enqueue;
- queued, untouched for a while (enqueue lost): re-enqueue; admission decides.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from core.adapters.db.locks import lock_row
from core.adapters.db.models.base import utcnow
from core.adapters.db.models.jobs import Job
from core.domain.types import JobStatus
from core.ports_services import Services
from jobs.engine import _count_resume
from jobs.pipeline import pipeline_for
from jobs.pipelines.factory_expiry import expire_variant_batches

logger = logging.getLogger(__name__)


def sweep(services: Services) -> dict[str, int]:
    stale = utcnow() - timedelta(seconds=services.settings.stale_after_s)
    counts = {"resumed": 0, "failed": 0, "requeued": 0}
    with services.db.session() as session:
        dead = session.scalars(
            select(Job.id).where(Job.status == JobStatus.RUNNING.value, Job.heartbeat_at < stale)
        ).all()
        overdue = session.scalars(
            select(Job.id).where(
                ((Job.status == JobStatus.WAITING.value) & (Job.run_after < stale))
                | ((Job.status == JobStatus.QUEUED.value) & (Job.updated_at < stale))
            )
        ).all()
    for job_id in dead:
        outcome = _resume_or_fail(services, job_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    for job_id in overdue:
        services.queue.enqueue(job_id)
        counts["requeued"] += 1
    counts["expired_batches"] = expire_variant_batches(services)
    if any(counts.values()):
        logger.info("sweep: %s", counts)
    return counts


def _resume_or_fail(services: Services, job_id: str) -> str:
    with services.db.session() as session:
        job = lock_row(session, Job, job_id)
        if job is None or job.status != JobStatus.RUNNING.value:
            return "skipped"
        if not _count_resume(session, services, pipeline_for(job.kind), job):
            return "failed"
        job.status = JobStatus.QUEUED.value  # started_at stays set, so admission keeps its slot
    services.queue.enqueue(job_id)
    return "resumed"
