"""What a step sees: its job's payload, earlier outputs, storage, and durable provider calls."""

from __future__ import annotations

import dataclasses
import logging
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

from core.adapters.db.models import CostRecord, Job, JobStep, utcnow
from core.bootstrap import Services
from core.domain.types import MediaKind, StepStatus
from core.errors import JobCancelled, ProviderError, ProviderTimeout
from core.ports import PollResult, PredictionState
from core.services import audit, content_guard, spend

logger = logging.getLogger(__name__)


class WaitForProvider(Exception):
    """Raised inside a step to pause the job until the provider is polled again."""

    def __init__(self, delay_s: float) -> None:
        super().__init__(f"waiting {delay_s:.1f}s for the provider")
        self.delay_s = delay_s


class WaitForUser(Exception):
    """Raised inside a step to park the job (status `waiting`, nothing scheduled) until a
    service records the user's decision and enqueues the job again (e.g. a review gate)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def to_json(value: Any) -> Any:
    """Requests hold Paths and nested dataclasses; step rows hold JSON."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value


class StepContext:
    def __init__(
        self,
        services: Services,
        *,
        job_id: str,
        owner_id: str,
        payload: dict[str, Any],
        step_name: str,
        step_row_id: str,
        outputs: dict[str, dict[str, Any]],
    ) -> None:
        self.services = services
        self.job_id = job_id
        self.owner_id = owner_id
        self.payload = payload
        self.step_name = step_name
        self.step_row_id = step_row_id
        self.outputs = outputs
        self.work_dir = services.settings.work_dir / job_id
        self.work_dir.mkdir(parents=True, exist_ok=True)

    # ----------------------------------------------------------------- plain helpers

    def output_of(self, step_name: str) -> dict[str, Any]:
        return self.outputs.get(step_name) or {}

    @staticmethod
    def skipped() -> dict[str, Any]:
        return {"skipped": True}

    def fetch(self, key: str) -> Path:
        """A stored file as a local path in this job's work folder (works on any worker)."""
        dest = self.work_dir / "inputs" / key.replace("/", "_")
        if not dest.exists():
            self.services.storage.download_to(key, dest)
        return dest

    def store(self, kind: MediaKind, src: Path, *, label: str, content_type: str) -> str:
        """Keys derive from the job and step, so a re-run overwrites instead of duplicating."""
        name = f"jobs/{self.job_id}/{self.step_name}-{label}"
        return self.services.storage.put_file(kind, src, name=name, content_type=content_type)

    def report_progress(self, fraction_of_step: float, *, step_weight_share: float) -> None:
        with self.services.db.session() as session:
            job = session.get(Job, self.job_id)
            if job is not None:
                job.progress = max(job.progress, min(0.99, job.progress + fraction_of_step * step_weight_share))

    def ensure_not_cancelled(self) -> None:
        with self.services.db.session() as session:
            job = session.get(Job, self.job_id)
            if job is None or job.cancel_requested:
                raise JobCancelled("This generation was cancelled.")

    def cleanup(self) -> None:
        shutil.rmtree(self.work_dir, ignore_errors=True)

    # ----------------------------------------------------------------- provider calls

    def call_provider(self, capability: str, request: Any) -> Any:
        """Submit once, remember the request id, poll until done, collect the result.

        The request id is committed before any wait, so after a crash the resumed step
        polls the same prediction instead of paying for a second one.
        """
        provider = self.services.providers_for(self.owner_id).get(capability)  # the owner's keys, if any
        row = self._step_row()
        if row.provider_request_id is None:
            self._guard(capability, request)
            submission = provider.submit(request)
            self._remember_submission(provider.name, submission.request_id, request)
            request_id = submission.request_id
        else:
            if row.provider != provider.name:
                raise ProviderError(
                    f"This step was started with {row.provider} but {capability} now uses "
                    f"{provider.name}; start a new generation.",
                    provider=provider.name,
                )
            request_id = row.provider_request_id
        result: PollResult = provider.poll(request_id)
        if result.state is PredictionState.PENDING:
            self._note_pending(result)
            raise WaitForProvider(result.poll_after_s)
        if result.state is PredictionState.FAILED:
            raise ProviderError(result.message or f"{provider.name} could not do this.", provider=provider.name)
        output = provider.collect(request, result, self.work_dir / self.step_name)
        self._record_cost(provider.name, capability, result, provider.cost_usd(request, output))
        return output

    def _guard(self, capability: str, request: Any) -> None:
        """Before anything is paid: the block list and the owner's daily cost ceiling."""
        with audit.refusals(self.services, user_id=self.owner_id, project_id=None, what=f"{capability} step"):
            content_guard.check_request(self.services.settings, request)
            spend.before_paid_call(self.services, owner_id=self.owner_id, job_id=self.job_id)

    def _step_row(self) -> JobStep:
        with self.services.db.session() as session:
            row = session.get(JobStep, self.step_row_id)
            assert row is not None
            session.expunge(row)
            return row

    def _remember_submission(self, provider: str, request_id: str, request: Any) -> None:
        with self.services.db.session() as session:
            row = session.get(JobStep, self.step_row_id)
            assert row is not None
            row.provider = provider
            row.provider_request_id = request_id
            row.request = to_json(request)
            row.waiting_since = utcnow()

    def _note_pending(self, result: PollResult) -> None:
        timeout = timedelta(seconds=self.services.settings.provider_wait_timeout_s)
        with self.services.db.session() as session:
            row = session.get(JobStep, self.step_row_id)
            assert row is not None
            row.polls += 1
            row.status = StepStatus.WAITING.value
            row.response = {"state": result.state.value, "message": result.message, "progress": result.progress}
            if row.waiting_since and utcnow() - row.waiting_since > timeout:
                raise ProviderTimeout(
                    f"{row.provider} did not finish within {timeout.total_seconds() / 60:.0f} minutes.",
                    provider=row.provider or "",
                )

    def _record_cost(self, provider: str, capability: str, result: PollResult, cost: float) -> None:
        with self.services.db.session() as session:
            row = session.get(JobStep, self.step_row_id)
            assert row is not None
            row.polls += 1
            row.response = result.output
            row.cost_usd = cost
            if session.query(CostRecord).filter_by(step_id=row.id).first() is None:
                session.add(
                    CostRecord(
                        owner_id=self.owner_id,
                        job_id=self.job_id,
                        step_id=row.id,
                        provider=provider,
                        capability=capability,
                        amount_usd=cost,
                    )
                )
                spend.settle(session, self.job_id, cost)
