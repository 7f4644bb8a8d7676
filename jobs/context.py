"""What a step sees: its job's payload, earlier outputs, storage, and durable provider calls."""

from __future__ import annotations

import dataclasses
import logging
import random
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from core.adapters.db.models.base import utcnow
from core.adapters.db.models.jobs import CostRecord, JobStep
from core.domain.types import MediaKind, StepStatus
from core.errors import AnswerLost, PaidCallUncertain, ProviderError, ProviderTimeout, TransientError
from core.ports import PollResult, PredictionState
from core.ports_services import Services
from core.services.accounts import audit
from core.services.resilience import health, policy
from core.services.safety import content_guard
from core.services.usage import spend
from jobs import paid_calls

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

    def cleanup(self) -> None:
        shutil.rmtree(self.work_dir, ignore_errors=True)

    # ----------------------------------------------------------------- provider calls

    def served_by(self) -> str | None:
        """The provider this step's call went to (a fallback may have taken it), once it has."""
        return self._step_row().provider

    def call_provider(self, capability: str, request: Any) -> Any:
        """Submit once, remember the request id, poll until done, collect the result.

        The paid-call rules (jobs.paid_calls): the attempt is marked "sending" before the
        request leaves and its id committed the moment it returns, so a resumed step polls
        the same prediction instead of paying for a second one; a lost answer is adopted
        through a webhook or stops the step for the creator's decision, never resent.

        Fallbacks (issue 18, core.services.resilience): a step not yet started at any provider
        begins at the first entry of the capability's chain that is not down, and moves to the
        next one when that entry fails for a provider reason, never while it may have started.
        """
        chain = self.services.providers_for(self.owner_id).chain(capability)  # the owner's keys, if any
        row = self._step_row()
        if row.provider and (row.provider_request_id or row.submit_state):
            provider = self._started_with(chain, row, capability)
            output = self._call(provider, capability, request)
            health.note_ok(self.services, provider.name, capability)
            return output
        entries = health.candidates(self.services, chain)
        for position, choice in enumerate(entries):
            try:
                output = self._call(choice.provider, capability, request)
            except ProviderError as exc:
                if not self._moves_on(choice.provider, capability, exc, last=position == len(entries) - 1):
                    raise
                health.note_fallback(
                    self.services,
                    capability,
                    choice.provider.name,
                    entries[position + 1].provider.name,
                    owner_id=self.owner_id,
                )
                continue
            health.note_ok(self.services, choice.provider.name, capability)
            return output
        raise AssertionError("unreachable: the last entry raises")

    def _started_with(self, chain: list[Any], row: JobStep, capability: str) -> Any:
        """The chain entry a resumed step already sent its request to."""
        for choice in chain:
            if choice.provider.name == row.provider:
                return choice.provider
        raise ProviderError(
            f"This step was started with {row.provider} but {capability} now uses "
            f"{chain[0].provider.name}; start a new generation.",
            provider=chain[0].provider.name,
        )

    def _moves_on(self, provider: Any, capability: str, exc: ProviderError, *, last: bool) -> bool:
        """Whether a failed entry hands the step to the next one (policy in core.services.resilience)."""
        if not policy.is_provider_reason(exc):
            return False
        row = self._step_row()
        synchronous = bool(getattr(provider, "synchronous", False))
        if row.submit_state in paid_calls.UNRESOLVED or (row.provider_request_id and not synchronous):
            return False  # a prediction exists or may exist at this entry: it is never abandoned
        down = health.note_failure(self.services, provider.name, capability, exc, owner_id=self.owner_id)
        if last or not down:
            return False  # the engine retries this entry (or gives up) as before
        if row.provider_request_id:  # a synchronous call refused: nothing was started
            with self.services.db.session() as session:
                step = session.get(JobStep, self.step_row_id)
                assert step is not None
                step.provider_request_id, step.provider = None, None
        return True

    def _call(self, provider: Any, capability: str, request: Any) -> Any:
        synchronous = bool(getattr(provider, "synchronous", False))
        row = self._step_row()
        if row.provider_request_id is None and not getattr(provider, "paid", True):
            request_id = provider.submit(request).request_id  # offline: free, safe to redo
            paid_calls.remember(self.services, self.step_row_id, provider.name, request_id)
        elif row.provider_request_id is None:
            request_id = self._submit(provider, capability, request, row)
        elif synchronous and row.submit_state in paid_calls.UNRESOLVED:  # the worker died during the call
            paid_calls.mark_ambiguous(
                self.services,
                row.id,
                owner_id=self.owner_id,
                job_id=self.job_id,
                capability=capability,
                synchronous=True,
            )
            raise PaidCallUncertain(paid_calls.uncertain_text(provider.name), provider=provider.name)
        else:
            request_id = row.provider_request_id
        result = self._poll(provider, request_id)
        if result.state is PredictionState.PENDING:
            self._note_pending(result)
            raise WaitForProvider(result.poll_after_s)
        if result.state is PredictionState.FAILED:
            raise ProviderError(result.message or f"{provider.name} could not do this.", provider=provider.name)
        if synchronous:  # the paid request happens in collect
            if self._earlier_charge(row) is not None:  # an earlier attempt paid, then the step failed
                raise PaidCallUncertain(paid_calls.paid_result_lost_text(provider.name), provider=provider.name)
            output = self._paid(
                capability,
                provider.name,
                None,
                lambda: provider.collect(request, result, self.work_dir / self.step_name),
                synchronous=True,
            )
        else:
            output = provider.collect(request, result, self.work_dir / self.step_name)
        self._record_cost(provider.name, capability, result, provider.cost_usd(request, output))
        return output

    def _submit(self, provider: Any, capability: str, request: Any, row: JobStep) -> str:
        if row.submit_state in paid_calls.UNRESOLVED:  # sent before, answer never recorded
            if row.submit_state == paid_calls.SENDING:  # the worker died during the call
                paid_calls.mark_ambiguous(
                    self.services, row.id, owner_id=self.owner_id, job_id=self.job_id, capability=capability
                )
            return self._await_orphan(provider)
        self._guard(capability, request)
        url: list[str | None] = [None]

        def send() -> Any:
            if url[0] is not None:
                return provider.submit(request, webhook_url=url[0])
            return provider.submit(request)

        def before(token: str) -> None:
            url[0] = paid_calls.webhook_url(self.services, provider, token)

        try:
            submission = self._paid(capability, provider.name, to_json(request), send, before=before)
        except PaidCallUncertain:
            return self._await_orphan(provider)
        paid_calls.remember(self.services, self.step_row_id, provider.name, submission.request_id)
        return str(submission.request_id)

    def _paid(
        self,
        capability: str,
        provider: str,
        request_json: Any,
        call: Any,
        *,
        before: Any = None,
        synchronous: bool = False,
    ) -> Any:
        """Run one paid call between the "sending" mark and its outcome."""
        token = paid_calls.mark_sending(self.services, self.step_row_id, provider, request_json)
        if before is not None:
            before(token)
        try:
            answer = call()
        except AnswerLost as exc:
            logger.warning("paid %s call to %s: %s", capability, provider, exc.message)
            if paid_calls.mark_ambiguous(
                self.services,
                self.step_row_id,
                owner_id=self.owner_id,
                job_id=self.job_id,
                capability=capability,
                synchronous=synchronous,
            ):
                raise PaidCallUncertain(paid_calls.uncertain_text(provider), provider=provider) from exc
            raise WaitForProvider(0.0) from exc  # a webhook adopted it meanwhile: poll it now
        except BaseException:
            paid_calls.clear_sending(self.services, self.step_row_id)
            raise
        return answer

    def _await_orphan(self, provider: Any) -> str:
        row = self._step_row()
        if row.provider_request_id:  # adopted by a webhook since
            return row.provider_request_id
        delay = paid_calls.orphan_wait_s(self.services, row, provider)  # raises when nothing can adopt it
        with self.services.db.session() as session:
            step = session.get(JobStep, self.step_row_id)
            assert step is not None
            step.status = StepStatus.WAITING.value
            step.response = {"state": "orphan", "message": "Waiting for the provider to confirm the request"}
        raise WaitForProvider(delay)

    def _poll(self, provider: Any, request_id: str) -> PollResult:
        """Reading a paid prediction costs nothing: transient errors are retried with backoff
        until the provider says it failed or the wait bound passes; a good answer resets the count."""
        try:
            result: PollResult = provider.poll(request_id)
        except TransientError as exc:
            raise WaitForProvider(self._poll_trouble(exc)) from exc
        return result

    def _poll_trouble(self, exc: TransientError) -> float:
        settings = self.services.settings
        with self.services.db.session() as session:
            row = session.get(JobStep, self.step_row_id)
            assert row is not None
            row.poll_errors += 1
            row.status = StepStatus.WAITING.value
            errors = row.poll_errors
            since = row.waiting_since or utcnow()
            provider = row.provider or ""
        if utcnow() - since > timedelta(seconds=settings.provider_wait_timeout_s):
            minutes = settings.provider_wait_timeout_s / 60
            raise ProviderTimeout(
                f"{provider} could not be reached for long enough to finish this within {minutes:.0f} minutes. "
                "Try again later.",
                provider=provider,
            ) from exc
        bound = min(settings.retry_cap_s, settings.retry_base_s * 2 ** min(errors - 1, 16))
        delay = max(bound * random.uniform(0.5, 1.0), exc.retry_after_s or 0.0)
        logger.info(
            "job %s step %s: poll failed (%d in a row), again in %.1fs: %s",
            self.job_id,
            self.step_name,
            errors,
            delay,
            exc.message,
        )
        return delay

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

    def _note_pending(self, result: PollResult) -> None:
        timeout = timedelta(seconds=self.services.settings.provider_wait_timeout_s)
        with self.services.db.session() as session:
            row = session.get(JobStep, self.step_row_id)
            assert row is not None
            row.polls += 1
            row.poll_errors = 0
            row.status = StepStatus.WAITING.value
            row.response = {"state": result.state.value, "message": result.message, "progress": result.progress}
            if row.waiting_since and utcnow() - row.waiting_since > timeout:
                raise ProviderTimeout(
                    f"{row.provider} did not finish within {timeout.total_seconds() / 60:.0f} minutes.",
                    provider=row.provider or "",
                )

    def _earlier_charge(self, row: JobStep, session: Any = None) -> CostRecord | None:
        """The charge an earlier attempt of this step recorded for this same request, unless the
        creator has consented since to pay for it again.

        A retried attempt inherits its request id (engine `_open_attempt`): polling and collecting
        an async prediction again is free, but a synchronous provider's paid call is its collect.
        """
        if not row.provider_request_id:
            return None
        if session is None:
            with self.services.db.session() as own:
                found = self._earlier_charge(row, own)
                if found is not None:
                    own.expunge(found)
                return found
        earlier = session.execute(
            select(JobStep.id, JobStep.submit_state, JobStep.provider_request_id)
            .where(JobStep.job_id == self.job_id, JobStep.name == self.step_name, JobStep.id != row.id)
            .order_by(JobStep.attempt.desc())
        ).all()
        for step_id, submit_state, request_id in earlier:
            if submit_state == paid_calls.CONSENTED:
                return None
            if request_id == row.provider_request_id:
                charge = session.scalar(
                    select(CostRecord).where(CostRecord.step_id == step_id, CostRecord.status == paid_calls.CHARGED)
                )
                if charge is not None:
                    return charge  # type: ignore[no-any-return]
        return None

    def _record_cost(self, provider: str, capability: str, result: PollResult, cost: float) -> None:
        with self.services.db.session() as session:
            row = session.get(JobStep, self.step_row_id)
            assert row is not None
            row.polls += 1
            row.poll_errors = 0
            row.response = result.output
            row.cost_usd = cost
            if row.submit_state in paid_calls.UNRESOLVED:
                row.submit_state = None  # a synchronous call answered
            existing = session.query(CostRecord).filter_by(step_id=row.id).first()
            if existing is None and self._earlier_charge(row, session) is not None:
                row.cost_usd = 0.0  # the same prediction, collected again after the step failed: paid once
            elif existing is not None and existing.status == paid_calls.POSSIBLY_CHARGED:
                existing.status, existing.amount_usd = paid_calls.CHARGED, cost  # the orphan was adopted
                spend.settle(session, self.job_id, cost)
            elif existing is None:
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
