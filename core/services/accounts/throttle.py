"""Slowing password guessing: backoff, then a lock, per account and per address.

Every sign-in try is a `login_attempts` row. Before a password is even checked:

- per account (the typed email, whether or not it exists, so the answer reveals nothing):
  after the n-th consecutive failure the next try must wait `base * 2^(n-1)` seconds
  (capped); after `login_max_failures` failures within the window the account is locked
  for `login_lockout_s`;
- per address: `login_max_failures_per_address` failures within the window lock that
  address for `login_lockout_s`, whatever emails it tries.

Tries for one email run one at a time (an advisory lock on PostgreSQL, the write lock on
SQLite), so parallel guesses cannot slip between the check and the record.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core.adapters.db.models.accounts import LoginAttempt
from core.config import Settings
from core.errors import PermissionDenied

logger = logging.getLogger(__name__)


class SignInThrottled(PermissionDenied):
    code = "sign_in_throttled"


def serialize(session: Session, email: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"sign-in:{email}"})


def _wait_words(seconds: float) -> str:
    seconds = max(1, math.ceil(seconds))
    return f"{seconds} s" if seconds < 120 else f"{math.ceil(seconds / 60)} minutes"


def _account_failures(session: Session, email: str, since: datetime) -> tuple[int, datetime | None]:
    last_success = session.scalar(
        select(func.max(LoginAttempt.created_at)).where(LoginAttempt.email == email, LoginAttempt.succeeded.is_(True))
    )
    if last_success is not None and last_success > since:
        since = last_success
    count, last = session.execute(
        select(func.count(), func.max(LoginAttempt.created_at)).where(
            LoginAttempt.email == email, LoginAttempt.succeeded.is_(False), LoginAttempt.created_at > since
        )
    ).one()
    return int(count or 0), last


def check(session: Session, settings: Settings, *, email: str, address: str, now: datetime) -> None:
    """Raise SignInThrottled when this try must not even be checked."""
    since = now - timedelta(seconds=settings.login_window_s)
    lockout = timedelta(seconds=settings.login_lockout_s)
    if address:
        count, last = session.execute(
            select(func.count(), func.max(LoginAttempt.created_at)).where(
                LoginAttempt.address == address, LoginAttempt.succeeded.is_(False), LoginAttempt.created_at > since
            )
        ).one()
        if int(count or 0) >= settings.login_max_failures_per_address and last and now < last + lockout:
            raise SignInThrottled(
                "Too many failed sign-ins from your network. "
                f"Try again in {_wait_words((last + lockout - now).total_seconds())}.",
                details={"scope": "address"},
            )
    failures, last_failure = _account_failures(session, email, since)
    if not failures or last_failure is None:
        return
    if failures >= settings.login_max_failures and now < last_failure + lockout:
        raise SignInThrottled(
            f"Too many wrong passwords for this account, so it is locked. "
            f"Try again in {_wait_words((last_failure + lockout - now).total_seconds())}.",
            details={"scope": "account", "failures": failures},
        )
    wait = min(settings.login_backoff_cap_s, settings.login_backoff_base_s * 2 ** (failures - 1))
    if now < last_failure + timedelta(seconds=wait):
        raise SignInThrottled(
            f"That was {failures} wrong password{'s' if failures > 1 else ''} in a row. "
            f"Wait {_wait_words((last_failure + timedelta(seconds=wait) - now).total_seconds())} before trying again.",
            details={"scope": "account", "failures": failures},
        )


def note(session: Session, *, email: str, address: str, succeeded: bool, now: datetime) -> None:
    session.add(LoginAttempt(email=email, address=address[:64], succeeded=succeeded, created_at=now))
