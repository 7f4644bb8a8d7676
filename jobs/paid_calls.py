"""The paid-call rules (architecture.md "Paid calls"), as bookkeeping on the step attempt row.

A paid request is marked `sending` (with the provider, the request and a webhook token)
in its own transaction before it leaves, and its request id is committed in its own
transaction the moment it comes back. So whatever happens next, a later pass knows:

- a request id: poll it, never submit again;
- `sending` with no request id: the worker died during the call, so the provider may have
  started it; treated like a lost answer;
- `ambiguous`: the answer was lost (`AnswerLost`). If a webhook can name the orphan (the
  submit carried a URL with this attempt's token), wait up to `orphan_wait_s` for it to be
  adopted; otherwise stop with `PaidCallUncertain`, mark the ledger row "possibly
  charged", and resubmit only when the creator says so (`core.services.usage.paid_retry`).
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from sqlalchemy import select

from core.adapters.db.locks import lock_row
from core.adapters.db.models.base import utcnow
from core.adapters.db.models.jobs import CostRecord, Job, JobStep
from core.domain.types import StepStatus
from core.errors import PaidCallUncertain
from core.ports_services import Services

logger = logging.getLogger(__name__)

SENDING, AMBIGUOUS, ADOPTED, CONSENTED = "sending", "ambiguous", "adopted", "consented"
UNRESOLVED = (SENDING, AMBIGUOUS)
POSSIBLY_CHARGED, CHARGED = "possibly_charged", "charged"
ORPHAN_RECHECK_S = 30.0


def uncertain_text(provider: str) -> str:
    return (
        f"{provider} may have started this, but its answer never reached us. "
        "Retrying may charge again; choose Retry if you want to pay for another try."
    )


def paid_result_lost_text(provider: str) -> str:
    return (
        f"{provider} already charged for this, but keeping its result failed afterwards. "
        "Retrying will charge again; choose Retry if you want to pay for another try."
    )


def webhook_url(services: Services, provider: Any, token: str) -> str | None:
    """The callback URL naming this step attempt, when a receiver is public and the provider calls back."""
    base = services.settings.webhook_base_url.rstrip("/")
    route = getattr(provider, "webhook_route", None)
    if not base or not route:
        return None
    return f"{base}/webhooks/{route}?attempt={token}"


def adoptable(services: Services, provider: Any) -> bool:
    """Whether a webhook can name an orphan of this provider (its submit carried our URL)."""
    return webhook_url(services, provider, "x") is not None and hasattr(provider, "adopt")


def mark_sending(services: Services, row_id: str, provider: str, request: Any) -> str:
    """Committed before the paid request leaves; returns the attempt's webhook token."""
    with services.db.session() as session:
        row = session.get(JobStep, row_id)
        assert row is not None
        row.provider = provider
        row.submit_state = SENDING
        row.webhook_token = row.webhook_token or secrets.token_urlsafe(24)
        row.waiting_since = utcnow()
        if request is not None:
            row.request = request
        return row.webhook_token


def clear_sending(services: Services, row_id: str) -> None:
    """The call ended with a definite answer (or never left): nothing is pending any more."""
    with services.db.session() as session:
        row = session.get(JobStep, row_id)
        if row is not None and row.submit_state == SENDING:
            row.submit_state = None
            if row.provider_request_id is None:
                row.provider = None  # nothing was started: the step reads "not reached"


def remember(services: Services, row_id: str, provider: str, request_id: str) -> None:
    """The first thing after a submit returns, alone in its transaction (an adoption that
    raced ahead named the same prediction, so it is simply confirmed)."""
    with services.db.session() as session:
        row = lock_row(session, JobStep, row_id)
        assert row is not None
        if row.provider_request_id and request_id not in row.provider_request_id:
            logger.error(
                "step %s: submit answered %s after a webhook adopted %s", row_id, request_id, row.provider_request_id
            )
        row.provider = provider
        row.provider_request_id = request_id
        if row.submit_state in UNRESOLVED:
            row.submit_state = None
        row.waiting_since = row.waiting_since or utcnow()


def mark_ambiguous(
    services: Services, row_id: str, *, owner_id: str, job_id: str, capability: str, synchronous: bool = False
) -> bool:
    """Record a possibly-paid call; False when a webhook already adopted it (nothing is ambiguous).
    A synchronous call's request id is our own marker, so it never counts as adopted."""
    with services.db.session() as session:
        row = lock_row(session, JobStep, row_id)
        assert row is not None
        if row.provider_request_id and not synchronous:
            return False
        row.submit_state = AMBIGUOUS
        if session.scalar(select(CostRecord.id).where(CostRecord.step_id == row.id)) is None:
            session.add(
                CostRecord(
                    owner_id=owner_id,
                    job_id=job_id,
                    step_id=row.id,
                    provider=row.provider or "",
                    capability=capability,
                    amount_usd=0.0,
                    status=POSSIBLY_CHARGED,
                )
            )
    logger.warning(
        "job %s step attempt %s: a paid %s call may have started; not repeating it", job_id, row_id, capability
    )
    return True


def orphan_wait_s(services: Services, row: JobStep, provider: Any) -> float:
    """Seconds to wait for a webhook to adopt this orphan; raises PaidCallUncertain when none can."""
    if adoptable(services, provider) and row.waiting_since is not None:
        left = services.settings.orphan_wait_s - (utcnow() - row.waiting_since).total_seconds()
        if left > 0:
            return min(ORPHAN_RECHECK_S, left)
    raise PaidCallUncertain(uncertain_text(row.provider or "The provider"), provider=row.provider or "")


# --------------------------------------------------------------------------- webhooks


def provider_named(services: Services, owner_id: str, name: str | None) -> Any:
    """The provider a step submitted to, built with the job owner's keys where they have them."""
    providers = services.providers_for(owner_id)
    choices = [c for capability in providers.choices for c in providers.chain(capability)]  # fallbacks too
    return next((c.provider for c in choices if c.provider.name == name), None)


def on_webhook(services: Services, token: str, vendor_id: str) -> str | None:
    """A verified callback for the step attempt `token` about the provider's `vendor_id`.

    The attempt's own prediction: wake its job (the engine polls and collects at once).
    An orphan of a lost answer: adopt it as the attempt's request id, then wake the job.
    Anything else (a duplicate, or the attempt has ended): cancel it where the provider
    can, and log it. Returns the job id woken, if any.
    """
    with services.db.session() as session:
        found = session.execute(
            select(JobStep.id, JobStep.job_id, JobStep.provider, Job.owner_id)
            .join(Job, Job.id == JobStep.job_id)
            .where(JobStep.webhook_token == token)
        ).first()
    if found is None:
        return None
    row_id, job_id, name, owner_id = found
    provider = provider_named(services, owner_id, name)  # outside the lock: it may read the owner's keys
    with services.db.session() as session:
        row = lock_row(session, JobStep, row_id)
        if row is None:
            return None
        live = row.status in (StepStatus.RUNNING.value, StepStatus.WAITING.value)
        if row.provider_request_id:
            action = "wake" if vendor_id in _vendor_ids(row.provider_request_id) else "cancel"
        elif live and row.submit_state in UNRESOLVED:
            adopted = provider.adopt(vendor_id) if provider is not None and hasattr(provider, "adopt") else None
            if adopted:
                row.provider_request_id, row.submit_state = adopted, ADOPTED
                logger.warning("job %s: adopted %s's orphaned request %s from its webhook", job_id, name, vendor_id)
            action = "wake" if adopted else "cancel"
        else:
            action = "cancel"
    if action == "wake":
        services.queue.enqueue(job_id)
        return job_id
    logger.warning("job %s: %s request %s is not this step's prediction; cancelling it", job_id, name, vendor_id)
    if provider is not None and hasattr(provider, "cancel"):
        provider.cancel(vendor_id)
    return None


def _vendor_ids(request_id: str) -> set[str]:
    """The provider's own ids inside our request id (fal: `endpoint|id,id`)."""
    return {part for part in request_id.rpartition("|")[2].split(",") if part}
