"""Accounts and sessions: sign-up, sign-in (password or OpenID Connect), sign-out, password change.

Passwords are hashed with Argon2id (argon2-cffi). A sign-in opens a `user_sessions` row;
the browser keeps a random token and we keep only its SHA-256 digest, so a database
dump opens no session. A session ends on sign-out, after `session_idle_s` without use,
or when the password changes (every other session of the user ends then).

With `auth_allow_signup` off, only an email that was invited to a project may create an
account. Emails are not verified by us: for a public studio turn sign-up off or use an
OpenID Connect provider, which vouches for the email.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.adapters.db.models.accounts import ProjectInvite, UserSession
from core.adapters.db.models.base import utcnow
from core.adapters.db.models.projects import User
from core.domain.accounts import Account, SignedIn
from core.errors import ConfigurationError, PermissionDenied, ValidationError
from core.ports_services import Services
from core.services.accounts import audit, team, throttle

logger = logging.getLogger(__name__)

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$|^[^@\s]+@localhost$")
TOUCH_EVERY = timedelta(seconds=60)  # how stale last_seen_at may get before a page view refreshes it
WRONG = "That email and password do not match an account."


@functools.cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # Argon2id with the library's current recommended cost


@functools.cache
def _dummy_hash() -> str:
    # Checked against for unknown emails, so a wrong email costs as long as a wrong password.
    return _hasher().hash(secrets.token_hex(16))


def normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    if len(email) > 320 or not EMAIL.match(email):
        raise ValidationError("Enter a valid email address, like name@example.com.")
    return email


def _check_new_password(password: str, services: Services) -> None:
    minimum = services.settings.password_min_chars
    if len(password or "") < minimum:
        raise ValidationError(f"Choose a password of at least {minimum} characters.")
    if len(password) > 100:
        raise ValidationError("Keep the password to 100 characters.")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _start_session(session: Session, user: User, method: str, address: str) -> SignedIn:
    token = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, token_hash=_digest(token), method=method, address=address[:64]))
    return SignedIn(token=token, user_id=user.id, email=user.email)


def _create_user(session: Session, email: str, display_name: str, services: Services) -> User:
    invited = session.scalar(select(ProjectInvite.id).where(ProjectInvite.email == email).limit(1))
    if not services.settings.auth_allow_signup and not invited:
        raise PermissionDenied("New accounts are by invitation only here. Ask a project owner to invite this email.")
    user = User(email=email, display_name=display_name or email.split("@")[0])
    session.add(user)
    session.flush()
    return user


# --------------------------------------------------------------------------- signing in


def sign_up(email: str, password: str, *, services: Services, display_name: str = "", address: str = "") -> SignedIn:
    if not services.settings.auth_local:
        raise ConfigurationError("Email and password accounts are turned off here.")
    email = normalize_email(email)
    _check_new_password(password, services)
    password_hash = _hasher().hash(password)
    with services.db.session() as session:
        throttle.serialize(session, email)
        if session.scalar(select(User.id).where(User.email == email)):
            raise ValidationError("An account with this email already exists. Sign in instead.")
        user = _create_user(session, email, display_name, services)
        user.password_hash = password_hash
        team.claim_invitations(session, user)
        audit.record(session, "account.created", actor_id=user.id, actor_email=email, address=address)
        signed_in = _start_session(session, user, "password", address)
        audit.record(
            session,
            "sign_in.succeeded",
            actor_id=user.id,
            actor_email=email,
            address=address,
            detail={"method": "password"},
        )
        return signed_in


def sign_in(
    email: str, password: str, *, services: Services, address: str = "", now: datetime | None = None
) -> SignedIn:
    """Check the password after the throttle; every try is recorded. Wrong email or password read the same."""
    if not services.settings.auth_local:
        raise ConfigurationError("Email and password sign-in is turned off here.")
    email = (email or "").strip().lower()[:320]
    now = now or utcnow()
    try:
        with services.db.session() as session:
            throttle.serialize(session, email)
            throttle.check(session, services.settings, email=email, address=address, now=now)
            user = session.scalar(select(User).where(User.email == email))
            ok = _verify(user.password_hash if user else None, password)
            throttle.note(session, email=email, address=address, succeeded=ok, now=now)
            action = "sign_in.succeeded" if ok else "sign_in.failed"
            audit.record(
                session,
                action,
                actor_id=user.id if user else None,
                actor_email=email,
                address=address,
                detail={"method": "password"},
            )
            signed_in = None
            if ok and user is not None:
                _rehash_if_needed(user, password)
                team.claim_invitations(session, user)
                signed_in = _start_session(session, user, "password", address)
    except throttle.SignInThrottled as exc:
        audit.record_now(
            services,
            "sign_in.throttled",
            actor_id=None,
            actor_email=email,
            address=address,
            detail={"reason": exc.message},
        )
        raise
    if signed_in is None:
        raise PermissionDenied(WRONG)  # raised after the commit, so the failure stays recorded
    return signed_in


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher().verify(password_hash or _dummy_hash(), password or "") and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def _rehash_if_needed(user: User, password: str) -> None:
    if user.password_hash and _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = _hasher().hash(password)


def sign_in_oidc(email: str, *, services: Services, display_name: str = "", address: str = "") -> SignedIn:
    """The identity provider vouched for `email`: map it to our user row (created on first sign-in)."""
    if not services.settings.auth_oidc:
        raise ConfigurationError("Single sign-on is turned off here.")
    email = normalize_email(email)
    with services.db.session() as session:
        throttle.serialize(session, email)
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            user = _create_user(session, email, display_name, services)
            audit.record(
                session,
                "account.created",
                actor_id=user.id,
                actor_email=email,
                address=address,
                detail={"method": "oidc"},
            )
        team.claim_invitations(session, user)
        signed_in = _start_session(session, user, "oidc", address)
        audit.record(
            session,
            "sign_in.succeeded",
            actor_id=user.id,
            actor_email=email,
            address=address,
            detail={"method": "oidc"},
        )
        return signed_in


# --------------------------------------------------------------------------- sessions


def resolve_session(token: str | None, *, services: Services, now: datetime | None = None) -> Account | None:
    """The account behind a live session token, or None (unknown, ended or idle too long)."""
    if not token:
        return None
    now = now or utcnow()
    idle = timedelta(seconds=services.settings.session_idle_s)
    with services.db.session() as session:
        row = session.scalar(select(UserSession).where(UserSession.token_hash == _digest(token)))
        user = session.get(User, row.user_id) if row is not None and row.ended_at is None else None
        if row is None or user is None:
            return None
        session_id, last_seen = row.id, row.last_seen_at
        found = Account(
            id=user.id, email=user.email, display_name=user.display_name, has_password=bool(user.password_hash)
        )
    expired = now - last_seen > idle
    if expired or now - last_seen > TOUCH_EVERY:
        # A write-only transaction: on SQLite it waits for the lock instead of failing on a stale read.
        change = {"ended_at": now} if expired else {"last_seen_at": now}
        with services.db.session() as session:
            session.execute(update(UserSession).where(UserSession.id == session_id).values(**change))
    return None if expired else found


def sign_out(token: str, *, services: Services, address: str = "") -> None:
    with services.db.session() as session:
        row = session.scalar(select(UserSession).where(UserSession.token_hash == _digest(token)))
        if row is None or row.ended_at is not None:
            return
        row.ended_at = utcnow()
        audit.record(session, "sign_out", actor_id=row.user_id, address=address)


def end_other_sessions(user_id: str, *, keep_token: str | None, services: Services) -> int:
    with services.db.session() as session:
        return _end_sessions(session, user_id, keep_token)


def _end_sessions(session: Session, user_id: str, keep_token: str | None) -> int:
    query = update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    if keep_token:
        query = query.where(UserSession.token_hash != _digest(keep_token))
    return int(session.execute(query.values(ended_at=utcnow())).rowcount or 0)  # type: ignore[attr-defined]


def change_password(
    user_id: str, current: str, new: str, *, services: Services, keep_token: str | None = None, address: str = ""
) -> int:
    """Set a new password after checking the current one; ends every other session. Returns how many."""
    _check_new_password(new, services)
    now = utcnow()
    with services.db.session() as session:
        user = session.get(User, user_id)
        if user is None or not user.password_hash:
            raise PermissionDenied("This account signs in through single sign-on and has no password here.")
        throttle.serialize(session, user.email)
        throttle.check(session, services.settings, email=user.email, address=address, now=now)
        ok = _verify(user.password_hash, current)
        throttle.note(session, email=user.email, address=address, succeeded=ok, now=now)
        if not ok:
            audit.record(
                session, "sign_in.failed", actor_id=user.id, address=address, detail={"method": "password change"}
            )
    if not ok:
        raise PermissionDenied("The current password is not right.")
    with services.db.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        user.password_hash = _hasher().hash(new)
        ended = _end_sessions(session, user_id, keep_token)
        audit.record(session, "password.changed", actor_id=user.id, address=address, detail={"sessions_ended": ended})
        return ended


def account(user_id: str, *, services: Services) -> Account:
    with services.db.session() as session:
        user = session.get(User, user_id)
        if user is None:
            raise PermissionDenied("This account no longer exists.")
        return Account(
            id=user.id, email=user.email, display_name=user.display_name, has_password=bool(user.password_hash)
        )
