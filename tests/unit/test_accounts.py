"""Accounts: Argon2 passwords, throttled and locked sign-in, sessions that end, invitations, OIDC mapping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.adapters.db.models.accounts import AuditEvent, LoginAttempt, UserSession
from core.adapters.db.models.projects import User
from core.errors import ConfigurationError, PermissionDenied, ValidationError
from core.ports_services import Services
from core.services.accounts import audit, sessions, team
from core.services.accounts.throttle import SignInThrottled
from core.services.talking import projects

PASSWORD = "correct horse battery"
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture
def local(services: Services) -> Services:
    services.settings.auth_local = True
    return services


def _actions(services: Services) -> list[str]:
    with services.db.session() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.created_at)))


def test_sign_up_stores_an_argon2_hash_and_signs_in(local: Services) -> None:
    signed = sessions.sign_up("Maya@Example.com ", PASSWORD, services=local, address="10.0.0.1")
    with local.db.session() as session:
        user = session.scalar(select(User).where(User.email == "maya@example.com"))
        assert user is not None and user.password_hash and user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        [row] = session.scalars(select(UserSession)).all()
        assert row.token_hash != signed.token and len(row.token_hash) == 64  # only the digest is kept
    assert sessions.resolve_session(signed.token, services=local).email == "maya@example.com"  # type: ignore[union-attr]
    with pytest.raises(ValidationError, match="already exists"):
        sessions.sign_up("maya@example.com", PASSWORD, services=local)
    with pytest.raises(ValidationError, match="at least 8"):
        sessions.sign_up("short@example.com", "short", services=local)
    assert _actions(local)[:2] == ["account.created", "sign_in.succeeded"]


def test_password_sign_in_is_off_unless_configured(services: Services) -> None:
    with pytest.raises(ConfigurationError):
        sessions.sign_in("a@example.com", PASSWORD, services=services)


def test_wrong_passwords_slow_down_then_lock(local: Services) -> None:
    sessions.sign_up("maya@example.com", PASSWORD, services=local)
    settings = local.settings
    settings.login_backoff_base_s, settings.login_max_failures, settings.login_lockout_s = 2.0, 4, 600

    def attempt(password: str, at: datetime) -> None:
        sessions.sign_in("maya@example.com", password, services=local, address="10.0.0.9", now=at)

    with pytest.raises(PermissionDenied, match="do not match"):
        attempt("wrong-1", T0)
    with pytest.raises(SignInThrottled, match="1 wrong password in a row. Wait 2 s"):  # even the right one waits
        attempt(PASSWORD, T0)
    with pytest.raises(PermissionDenied, match="do not match"):
        attempt("wrong-2", T0 + timedelta(seconds=2))
    with pytest.raises(SignInThrottled, match="2 wrong passwords in a row. Wait 3 s"):  # 4 s after the last
        attempt("wrong", T0 + timedelta(seconds=3))
    with pytest.raises(PermissionDenied):
        attempt("wrong-3", T0 + timedelta(seconds=6))
    with pytest.raises(PermissionDenied):
        attempt("wrong-4", T0 + timedelta(seconds=20))
    with pytest.raises(SignInThrottled, match="locked. Try again in 9 minutes"):
        attempt(PASSWORD, T0 + timedelta(seconds=100))
    signed = sessions.sign_in("maya@example.com", PASSWORD, services=local, now=T0 + timedelta(seconds=621))
    assert signed.user_id
    # A success forgets earlier failures: the next wrong password waits only the first step.
    with pytest.raises(PermissionDenied):
        attempt("wrong-5", T0 + timedelta(seconds=630))
    attempt(PASSWORD, T0 + timedelta(seconds=633))
    with local.db.session() as session:
        assert session.query(LoginAttempt).filter_by(succeeded=False).count() == 5  # throttled tries are not failures
    assert "sign_in.throttled" in _actions(local) and "sign_in.failed" in _actions(local)


def test_unknown_emails_are_throttled_alike_and_one_address_is_locked(local: Services) -> None:
    sessions.sign_up("maya@example.com", PASSWORD, services=local)
    local.settings.login_max_failures_per_address = 3
    local.settings.login_backoff_base_s = 0
    for i in range(3):
        with pytest.raises(PermissionDenied, match="do not match"):
            sessions.sign_in(
                f"nobody{i}@example.com", "guess", services=local, address="203.0.113.5", now=T0 + timedelta(seconds=i)
            )
    with pytest.raises(SignInThrottled, match="from your network"):
        sessions.sign_in(
            "maya@example.com", PASSWORD, services=local, address="203.0.113.5", now=T0 + timedelta(seconds=5)
        )
    assert sessions.sign_in(
        "maya@example.com", PASSWORD, services=local, address="198.51.100.7", now=T0 + timedelta(seconds=5)
    ).user_id


def test_sessions_end_on_sign_out_idle_and_password_change(local: Services) -> None:
    first = sessions.sign_up("maya@example.com", PASSWORD, services=local)
    second = sessions.sign_in("maya@example.com", PASSWORD, services=local)
    sessions.sign_out(first.token, services=local)
    assert sessions.resolve_session(first.token, services=local) is None
    assert sessions.resolve_session(second.token, services=local) is not None

    third = sessions.sign_in("maya@example.com", PASSWORD, services=local)
    with pytest.raises(PermissionDenied, match="current password is not right"):
        sessions.change_password(first.user_id, "nope", "a brand new secret", services=local, keep_token=third.token)
    local.settings.login_backoff_base_s = 0
    ended = sessions.change_password(
        first.user_id, PASSWORD, "a brand new secret", services=local, keep_token=third.token
    )
    assert ended == 1 and sessions.resolve_session(second.token, services=local) is None
    assert sessions.resolve_session(third.token, services=local) is not None
    with pytest.raises(PermissionDenied):
        sessions.sign_in("maya@example.com", PASSWORD, services=local)
    later = datetime.now(UTC) + timedelta(seconds=local.settings.session_idle_s + 5)
    assert sessions.resolve_session(third.token, services=local, now=later) is None
    assert "password.changed" in _actions(local) and "sign_out" in _actions(local)


def test_closed_sign_up_admits_only_invited_emails_who_join_their_project(local: Services) -> None:
    owner = sessions.sign_up("owner@example.com", PASSWORD, services=local)
    local.settings.auth_allow_signup = False
    with pytest.raises(PermissionDenied, match="by invitation only"):
        sessions.sign_up("stranger@example.com", PASSWORD, services=local)
    project = projects.create_project("Launch", owner_id=owner.user_id, services=local)
    team.invite_member(project.id, "Guest@Example.com", "viewer", user_id=owner.user_id, services=local)
    assert [m.pending for m in team.list_members(project.id, user_id=owner.user_id, services=local)] == [False, True]
    guest = sessions.sign_up("guest@example.com", PASSWORD, services=local)
    assert [p.title for p in projects.list_projects(user_id=guest.user_id, services=local)] == ["Launch"]
    members = team.list_members(project.id, user_id=guest.user_id, services=local)
    assert [(m.email, m.role.value, m.pending) for m in members] == [
        ("owner@example.com", "owner", False),
        ("guest@example.com", "viewer", False),
    ]
    entries = audit.list_events(user_id=owner.user_id, services=local, project_id=project.id)
    assert [e.action for e in entries] == ["member.invited"] and entries[0].subject == "guest@example.com"


def test_oidc_identity_maps_to_a_user_row_by_email(services: Services) -> None:
    with pytest.raises(ConfigurationError):
        sessions.sign_in_oidc("sso@example.com", services=services)
    services.settings.auth_oidc = True
    first = sessions.sign_in_oidc("SSO@example.com", display_name="Sam", services=services)
    again = sessions.sign_in_oidc("sso@example.com", services=services)
    assert first.user_id == again.user_id
    account = sessions.account(first.user_id, services=services)
    assert account.display_name == "Sam" and not account.has_password
    services.settings.auth_local = True
    with pytest.raises(PermissionDenied):  # no password to guess: SSO accounts cannot sign in by password
        sessions.sign_in("sso@example.com", "", services=services)
