"""Provider health: consecutive failures per provider (a circuit), events for the Settings view.

A provider (``vendor:model``) that keeps refusing work past `fallback_after_attempts`
failures in a row, or fails in a way retrying will not fix (key, credits, model), is
"down" for `provider_cooldown_s` (longer if it asked us to wait): new steps start at the
next entry of its chain meanwhile, and the first success closes the circuit again.
Bookkeeping never turns a provider error into a crash: a failed write is logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select

from core.adapters.db.models.base import utcnow
from core.adapters.db.models.resilience import ProviderCircuit, ProviderEvent
from core.errors import ProviderError, TransientError
from core.ports_services import ProviderChoice, Services
from core.services.resilience import policy

logger = logging.getLogger(__name__)

ERROR, RATE_LIMITED, FALLBACK, RECOVERED = "error", "rate_limited", "fallback", "recovered"
KEEP_EVENTS = 500  # per provider; older lines are dropped as new ones come
KEY_STATUSES = frozenset({401, 402, 403})  # the key is refused or out of credits, not the provider


def add_event(
    services: Services,
    provider: str,
    kind: str,
    message: str,
    *,
    capability: str = "",
    owner_id: str | None = None,
    pool_key_id: str | None = None,
) -> None:
    try:
        with services.db.session() as session:
            _add_event(session, provider, kind, message, capability, owner_id, pool_key_id)
    except Exception:
        logger.exception("could not record a %s event for %s", kind, provider)


def _add_event(
    session: Any, provider: str, kind: str, message: str, capability: str, owner_id: str | None, pool_key_id: str | None
) -> None:
    session.add(
        ProviderEvent(
            provider=provider,
            kind=kind,
            message=message[:500],
            capability=capability,
            owner_id=owner_id,
            pool_key_id=pool_key_id,
        )
    )
    session.flush()
    stale = (
        select(ProviderEvent.id)
        .where(ProviderEvent.provider == provider)
        .order_by(ProviderEvent.at.desc())
        .offset(KEEP_EVENTS)
    )
    session.execute(delete(ProviderEvent).where(ProviderEvent.id.in_(stale.scalar_subquery())))


def note_failure(
    services: Services, provider: str, capability: str, exc: ProviderError, *, owner_id: str | None = None
) -> bool:
    """Count a provider-reason failure; True when the step should move on (the provider is down,
    or the key it ran with is refused: that is the key's owner's problem, so it opens no circuit
    other people's work would then skip)."""
    settings = services.settings
    kind = RATE_LIMITED if exc.status_code == 429 else ERROR
    if exc.status_code in KEY_STATUSES:
        add_event(services, provider, ERROR, exc.message, capability=capability, owner_id=owner_id)
        return True
    try:
        with services.db.session() as session:
            circuit = session.get(ProviderCircuit, provider, with_for_update=not services.db.is_sqlite)
            if circuit is None:
                circuit = ProviderCircuit(provider=provider, capability=capability, failures=0)
                session.add(circuit)
            circuit.failures = (circuit.failures or 0) + 1
            circuit.last_error = exc.message[:500]
            down = not policy.needs_budget(exc) or circuit.failures >= settings.fallback_after_attempts
            if down:
                wait = max(settings.provider_cooldown_s, getattr(exc, "retry_after_s", None) or 0.0)
                circuit.down_until = utcnow() + timedelta(seconds=wait)
            _add_event(session, provider, kind, exc.message, capability, owner_id, None)
        return down
    except Exception:
        logger.exception("could not count a failure of %s", provider)
        return not isinstance(exc, TransientError)


def note_ok(services: Services, provider: str, capability: str) -> None:
    """A success closes the circuit (only a write when there was something to close)."""
    try:
        with services.db.session() as session:
            circuit = session.get(ProviderCircuit, provider)
            if circuit is None or (not circuit.failures and circuit.down_until is None):
                return
            circuit.failures, circuit.down_until = 0, None
            _add_event(session, provider, RECOVERED, f"{provider} answered again.", capability, None, None)
    except Exception:
        logger.exception("could not close the circuit of %s", provider)


def note_fallback(services: Services, capability: str, failed: str, next_one: str, *, owner_id: str | None) -> None:
    logger.warning("%s: %s failed for a provider reason; moving to %s", capability, failed, next_one)
    add_event(
        services,
        failed,
        FALLBACK,
        f"{capability.replace('_', ' ')} moved from {failed} to {next_one}.",
        capability=capability,
        owner_id=owner_id,
    )


def down_until(services: Services, providers: list[str]) -> dict[str, datetime]:
    """Providers among `providers` that are skipped now, with until when."""
    if not providers:
        return {}
    now = utcnow()
    with services.db.session() as session:
        rows = session.execute(
            select(ProviderCircuit.provider, ProviderCircuit.down_until).where(
                ProviderCircuit.provider.in_(providers), ProviderCircuit.down_until.is_not(None)
            )
        ).all()
    return {name: until for name, until in rows if until is not None and until > now}


def candidates(services: Services, chain: list[ProviderChoice]) -> list[ProviderChoice]:
    """The chain without its entries that are down; the whole chain when every one is."""
    down = down_until(services, [c.provider.name for c in chain]) if len(chain) > 1 else {}
    usable = [c for c in chain if c.provider.name not in down]
    return usable or chain


# --------------------------------------------------------------------------- the health view


@dataclass(frozen=True, slots=True)
class ProviderHealth:
    capability: str
    provider: str
    role: str  # "primary" or "fallback n"
    in_use: bool  # the entry new steps of this capability start at
    failures: int
    down_until: datetime | None
    last_error: str


@dataclass(frozen=True, slots=True)
class EventLine:
    at: datetime
    provider: str
    kind: str
    message: str


def provider_health(services: Services, user_id: str | None) -> list[ProviderHealth]:
    """One line per capability and chain entry, for the providers the user's work runs on."""
    providers = services.providers_for(user_id)
    names = [c.provider.name for cap in providers.choices for c in providers.chain(cap)]
    with services.db.session() as session:
        circuits = {
            c.provider: c for c in session.scalars(select(ProviderCircuit).where(ProviderCircuit.provider.in_(names)))
        }
    down = down_until(services, names)
    lines: list[ProviderHealth] = []
    for capability in providers.choices:
        chain = providers.chain(capability)
        in_use = next((c.provider.name for c in chain if c.provider.name not in down), chain[0].provider.name)
        for position, choice in enumerate(chain):
            circuit = circuits.get(choice.provider.name)
            lines.append(
                ProviderHealth(
                    capability=capability,
                    provider=choice.provider.name,
                    role="primary" if position == 0 else f"fallback {position}",
                    in_use=choice.provider.name == in_use,
                    failures=circuit.failures if circuit else 0,
                    down_until=down.get(choice.provider.name),
                    last_error=(circuit.last_error or "") if circuit and circuit.failures else "",
                )
            )
    return lines


def recent_events(services: Services, user_id: str | None, *, limit: int = 30) -> list[EventLine]:
    """The latest events of system providers and of the user's own keys (never another user's)."""
    with services.db.session(user_id=user_id) as session:
        query = select(ProviderEvent).order_by(ProviderEvent.at.desc()).limit(limit)
        mine: Any = ProviderEvent.owner_id.is_(None)
        if user_id is not None:
            mine = or_(mine, ProviderEvent.owner_id == user_id)
        rows = session.scalars(query.where(mine)).all()
        return [EventLine(r.at, r.provider, r.kind, r.message) for r in rows]
