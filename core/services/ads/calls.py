"""Short provider calls made while the creator waits (DNA, brief, script): submit, poll, collect.

These answer in seconds (offline: at once), so they run inside the wizard step instead
of a job; the generation itself always runs as a durable job. Each call goes through the
content guard first, uses the owner's own keys when they have set any, is bounded in
time, and lands in the cost ledger like a job's call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from core.adapters.db.models.jobs import CostRecord
from core.errors import (
    AnswerLost,
    ConfigurationError,
    PaidCallUncertain,
    ProviderError,
    ProviderTimeout,
    TransientError,
)
from core.ports import PredictionState
from core.ports_services import Services
from core.services.accounts import audit
from core.services.safety import content_guard
from core.services.scratch import scratch_dir
from core.services.usage import spend

logger = logging.getLogger(__name__)

INLINE_TIMEOUT_S = 120.0
T = TypeVar("T")


def provider_for(services: Services, capability: str, user_id: str) -> Any:
    providers = services.providers_for(user_id) if hasattr(services, "providers_for") else services.providers
    if capability not in providers.choices:
        raise ConfigurationError(f"No provider is set up for {capability.replace('_', ' ')}.")
    return providers.get(capability)


def ask(
    services: Services,
    capability: str,
    request: Any,
    *,
    user_id: str,
    timeout_s: float = INLINE_TIMEOUT_S,
    keep: Callable[[Any], Any] | None = None,
) -> Any:
    """The provider's collected answer; raises our errors (never a vendor's). An answer that is a
    file lives only in a scratch folder: `keep` reads what is needed from it before it goes.

    The paid request (the submit, or collect for providers that answer in one call) is
    made once. A lost answer is not retried here: the creator is told the provider may
    have started it, and the ledger marks the call "possibly charged" (architecture.md
    "Paid calls"). Polls are free and retried until the time bound.
    """
    content_guard.check_request(services.settings, request)
    with audit.refusals(services, user_id=user_id, project_id=None, what=f"{capability} call"):
        spend.before_paid_call(services, owner_id=user_id)  # the per-call backstop: no call past a ceiling
    provider = provider_for(services, capability, user_id)
    started = time.monotonic()
    request_id = _paid(services, provider, capability, user_id, lambda: provider.submit(request).request_id)
    while True:
        try:
            result = provider.poll(request_id)
        except TransientError as exc:
            result = None
            delay = exc.retry_after_s or 1.0
        if result is not None and result.state is PredictionState.DONE:
            break
        if result is not None and result.state is PredictionState.FAILED:
            raise ProviderError(result.message or f"{provider.name} could not do this.", provider=provider.name)
        if time.monotonic() - started > timeout_s:
            raise ProviderTimeout(f"{provider.name} did not answer within {timeout_s:.0f} s.", provider=provider.name)
        time.sleep(min(max(result.poll_after_s if result is not None else delay, 0.2), 5.0))
    with scratch_dir(services) as tmp:
        output = _paid(services, provider, capability, user_id, lambda: provider.collect(request, result, Path(tmp)))
        kept = keep(output) if keep is not None else output
    cost = float(provider.cost_usd(request, output))
    with services.db.session() as session:
        session.add(CostRecord(owner_id=user_id, provider=provider.name, capability=capability, amount_usd=cost))
    return kept


def _paid(services: Services, provider: Any, capability: str, user_id: str, call: Callable[[], T]) -> T:
    try:
        return call()
    except AnswerLost as exc:
        logger.warning("inline %s call to %s lost its answer: %s", capability, provider.name, exc.message)
        with services.db.session() as session:
            session.add(
                CostRecord(
                    owner_id=user_id,
                    provider=provider.name,
                    capability=capability,
                    amount_usd=0.0,
                    status="possibly_charged",
                )
            )
        raise PaidCallUncertain(
            f"{provider.name} may have started this, but its answer never reached us. Trying again may charge again.",
            provider=provider.name,
        ) from exc
