"""Watches waiting jobs so one worker process can follow hundreds of provider predictions.

Without it every poll is a full engine pass queued as its own RQ job (claim, step
rows, heartbeat, state writes): fine for a few videos, too slow for hundreds. The
watcher instead leases the jobs whose `run_after` is due (`FOR UPDATE SKIP LOCKED`, so
several workers never poll the same one), asks the providers concurrently on a thread
pool, pushes `run_after` forward for predictions still running, and runs the job's next
engine pass on that pool as soon as its prediction finished (or failed, or its wait is
over), so result downloads of many jobs overlap instead of queueing behind one another.
The engine's claim keeps a job to one pass at a time whoever starts it.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from core.adapters.db.models.base import utcnow
from core.adapters.db.models.jobs import Job, JobStep
from core.domain.types import JobStatus, StepStatus
from core.errors import TransientError
from core.ports import PredictionState
from core.ports_services import Services

logger = logging.getLogger(__name__)

LEASE_S = 30.0  # a leased job is not leased again this soon, even if this process dies


@dataclass(frozen=True, slots=True)
class Due:
    job_id: str
    owner_id: str
    provider: str | None
    request_id: str | None
    waiting_since: Any


def lease_due(services: Services, limit: int) -> list[Due]:
    now = utcnow()
    with services.db.session() as session:
        owners = dict(
            session.execute(
                select(Job.id, Job.owner_id)
                .where(Job.status == JobStatus.WAITING.value, Job.run_after <= now)
                .order_by(Job.run_after)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
        )
        job_ids = list(owners)
        if not job_ids:
            return []
        session.execute(update(Job).where(Job.id.in_(job_ids)).values(run_after=now + timedelta(seconds=LEASE_S)))
        steps = session.execute(
            select(JobStep.job_id, JobStep.provider, JobStep.provider_request_id, JobStep.waiting_since).where(
                JobStep.job_id.in_(job_ids), JobStep.status == StepStatus.WAITING.value
            )
        ).all()
    waiting = {row.job_id: row for row in steps}
    return [
        Due(
            job_id,
            owners[job_id],
            getattr(waiting.get(job_id), "provider", None),
            getattr(waiting.get(job_id), "provider_request_id", None),
            getattr(waiting.get(job_id), "waiting_since", None),
        )
        for job_id in job_ids
    ]


class ProviderWatcher:
    def __init__(self, services: Services, *, threads: int = 32, batch: int = 200, idle_s: float = 0.5) -> None:
        from jobs import engine

        self._advance = engine.advance
        self._services = services
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="watch")
        self._batch = batch
        self._idle_s = idle_s
        self._stop = threading.Event()

    def run_forever(self) -> None:
        while not self._stop.is_set():
            try:
                handled = self.tick()
            except Exception:
                logger.exception("provider watcher tick failed")
                handled = 0
            if handled < self._batch:
                self._stop.wait(self._idle_s)

    def stop(self) -> None:
        self._stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def tick(self) -> int:
        due = lease_due(self._services, self._batch)
        list(self._pool.map(self._check, due))
        return len(due)

    def _provider(self, due: Due) -> Any:
        """The provider the step submitted to, built with the job owner's keys where they have them."""
        choices = self._services.providers_for(due.owner_id).choices.values()
        return next((c.provider for c in choices if c.provider.name == due.provider), None)

    def _check(self, due: Due) -> None:
        provider = self._provider(due)
        if provider is None or not due.request_id or self._overdue(due):
            self._run_pass(due.job_id)  # a retry backoff, a timeout, or unknown: full pass
            return
        try:
            result = provider.poll(due.request_id)
        except TransientError as exc:
            self._reschedule(due.job_id, max(5.0, exc.retry_after_s or 0.0))
            return
        except Exception:
            logger.warning("poll of %s failed; handing job %s to the engine", due.request_id, due.job_id, exc_info=True)
            self._run_pass(due.job_id)
            return
        if result.state is PredictionState.PENDING:
            self._reschedule(due.job_id, result.poll_after_s)
        else:
            self._run_pass(due.job_id)  # the engine polls once more and collects

    def _run_pass(self, job_id: str) -> None:
        try:
            self._advance(job_id, self._services)
        except Exception:
            logger.exception("engine pass for job %s failed in the watcher; queueing it", job_id)
            self._services.queue.enqueue(job_id)

    def _overdue(self, due: Due) -> bool:
        limit = timedelta(seconds=self._services.settings.provider_wait_timeout_s)
        return bool(due.waiting_since and utcnow() - due.waiting_since > limit)

    def _reschedule(self, job_id: str, delay_s: float) -> None:
        with self._services.db.session() as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == JobStatus.WAITING.value)
                .values(run_after=utcnow() + timedelta(seconds=delay_s))
            )
