"""Users' provider keys: sealed at rest, opened only for their own jobs, never logged, rotatable."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from core.adapters.crypto import KeyBox, KeyDecryptionError, Sealed, generate_master_key
from core.adapters.db.database import Database
from core.adapters.db.models.accounts import AuditEvent, ProviderKey
from core.adapters.db.models.base import Base
from core.adapters.providers.user_keys import open_keys
from core.bootstrap import build_services
from core.config import Settings
from core.errors import ConfigurationError, ValidationError
from core.ports_services import Services
from core.services.accounts.identity import ensure_user
from core.services.connections import keys
from core.services.talking import gallery, projects, videos
from jobs import engine
from scripts import rotate_master_key as rotate_cli
from tests.conftest import make_settings
from tests.fakes import ManualQueue, add_actor
from tests.stubs import FalStub

OLD, NEW = generate_master_key(), generate_master_key()
SECRETS = {"fal": "fal-user-secret-9f8e7d6c", "wavespeed": "ws-user-secret-1a2b3c4d", "kie": "kie-secret-000111222"}
PORTRAIT = Path(__file__).resolve().parents[2] / "seeds" / "actors" / "ava_base_01.png"


@pytest.fixture
def sealed(services: Services) -> Services:
    services.settings.master_key = SecretStr(OLD)
    return services


def _all_text(db: Database) -> str:
    """Every row of every table as text: strings, JSON documents, all of it."""
    dump = []
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if not db.engine.dialect.has_table(conn, table.name):
                continue
            for row in conn.execute(table.select()):
                dump.append(json.dumps([str(v) for v in row]))
    return "\n".join(dump)


def test_the_database_never_holds_a_key_in_the_clear(sealed: Services) -> None:
    alice, bob = ensure_user(sealed.db, "alice@example.com"), ensure_user(sealed.db, "bob@example.com")
    for vendor, secret in SECRETS.items():
        keys.save_key(alice, vendor, secret, services=sealed)
    keys.save_key(bob, "fal", SECRETS["fal"], services=sealed)  # the same key twice: still two different ciphertexts
    keys.save_key(alice, "fal", SECRETS["fal"] + "-v2", services=sealed)
    dump = _all_text(sealed.db)
    for secret in SECRETS.values():
        assert secret not in dump and secret[:12] not in dump
    with sealed.db.session() as session:
        rows = session.scalars(select(ProviderKey)).all()
        nonces = {r.nonce for r in rows}
        audit_lines = session.scalars(select(AuditEvent.subject).where(AuditEvent.action == "key.saved")).all()
    assert len(rows) == 4 and len(nonces) == 4  # a fresh nonce per sealing
    assert {r.version for r in rows if r.user_id == alice and r.vendor == "fal"} == {2}
    assert sorted(audit_lines) == sorted(["fal.ai", "WaveSpeed", "KIE", "fal.ai", "fal.ai"])
    assert {s.vendor: s.is_set for s in keys.key_statuses(alice, services=sealed)} == {
        "fal": True,
        "wavespeed": True,
        "google": False,
        "kie": True,
    }
    assert open_keys(sealed.db, sealed.settings, alice)["fal"] == SECRETS["fal"] + "-v2"
    assert keys.delete_key(alice, "kie", services=sealed)
    assert "kie" not in open_keys(sealed.db, sealed.settings, alice)


def test_a_key_cannot_be_stored_without_a_master_key_or_in_a_silly_shape(services: Services) -> None:
    user = ensure_user(services.db, "alice@example.com")
    with pytest.raises(ConfigurationError, match="No master key"):
        keys.save_key(user, "fal", SECRETS["fal"], services=services)
    services.settings.master_key = SecretStr(OLD)
    with pytest.raises(ValidationError):
        keys.save_key(user, "fal", "has spaces in it", services=services)
    with pytest.raises(ValidationError):
        keys.save_key(user, "openai", SECRETS["fal"], services=services)
    with pytest.raises(ValueError, match="32 bytes"):
        Settings(_env_file=None, master_key="c2hvcnQ=")  # a short master key stops the app at start


def test_a_wrong_master_key_fails_loudly(sealed: Services, caplog: pytest.LogCaptureFixture) -> None:
    alice = ensure_user(sealed.db, "alice@example.com")
    keys.save_key(alice, "fal", SECRETS["fal"], services=sealed)
    sealed.settings.master_key = SecretStr(NEW)
    with pytest.raises(KeyDecryptionError, match="another master key"):
        open_keys(sealed.db, sealed.settings, alice)
    assert "sealed by master key" in caplog.text and SECRETS["fal"] not in caplog.text
    assert keys.master_key_problem(sealed) and "other master key" in keys.master_key_problem(sealed)  # type: ignore[operator]
    # A ciphertext moved onto another user's row does not open either (bound by associated data).
    box = KeyBox(OLD)
    with sealed.db.session() as session:
        row = session.scalar(select(ProviderKey))
        moved = Sealed(row.nonce, row.ciphertext, row.key_id)  # type: ignore[union-attr]
    with pytest.raises(KeyDecryptionError, match="altered or moved"):
        box.open(moved, user_id="someone-else", vendor="fal")


def test_rotation_reseals_every_key_and_the_old_master_opens_nothing(sealed: Services) -> None:
    alice, bob = ensure_user(sealed.db, "alice@example.com"), ensure_user(sealed.db, "bob@example.com")
    keys.save_key(alice, "fal", SECRETS["fal"], services=sealed)
    keys.save_key(bob, "wavespeed", SECRETS["wavespeed"], services=sealed)
    with sealed.db.session() as session:
        before = {r.id: r.ciphertext for r in session.scalars(select(ProviderKey))}
    assert keys.rotate_master_key(sealed.db, OLD, NEW) == 2
    assert keys.rotate_master_key(sealed.db, OLD, NEW) == 0  # re-running after success changes nothing
    with sealed.db.session() as session:
        after = {r.id: r.ciphertext for r in session.scalars(select(ProviderKey))}
    assert set(before) == set(after) and all(before[i] != after[i] for i in before)
    with pytest.raises(KeyDecryptionError):
        open_keys(sealed.db, sealed.settings, alice)  # settings still hold OLD
    sealed.settings.master_key = SecretStr(NEW)
    assert open_keys(sealed.db, sealed.settings, alice) == {"fal": SECRETS["fal"]}
    assert open_keys(sealed.db, sealed.settings, bob) == {"wavespeed": SECRETS["wavespeed"]}
    with pytest.raises(KeyDecryptionError, match="neither"):
        keys.rotate_master_key(sealed.db, OLD, generate_master_key())  # nothing may be half-rotated


def test_the_rotation_command_reads_keys_from_the_environment(
    sealed: Services, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from core.config import get_settings

    alice = ensure_user(sealed.db, "alice@example.com")
    keys.save_key(alice, "fal", SECRETS["fal"], services=sealed)
    monkeypatch.setenv("DATABASE_URL", sealed.db.url)
    monkeypatch.setenv("OLD_MASTER_KEY", OLD)
    monkeypatch.setenv("NEW_MASTER_KEY", NEW)
    get_settings.cache_clear()
    try:
        assert rotate_cli.main([]) == 0
        assert "Re-sealed 1 provider key" in capsys.readouterr().out
        assert rotate_cli.main([]) == 0  # already under NEW
        monkeypatch.setenv("OLD_MASTER_KEY", generate_master_key())
        monkeypatch.setenv("NEW_MASTER_KEY", generate_master_key())
        assert rotate_cli.main([]) == 1 and "nothing changed" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()
    sealed.settings.master_key = SecretStr(NEW)
    assert open_keys(sealed.db, sealed.settings, alice) == {"fal": SECRETS["fal"]}


# --------------------------------------------------------------------------- keys reach providers


@pytest.fixture
def fal_services(tmp_path: Path, sqlite_db: Database) -> Iterator[tuple[Services, FalStub]]:
    """The fal stub accepts only the user's key; the studio's own fal key is a different one."""
    with FalStub(completes_after_s=0.0, api_key=SECRETS["fal"]) as fal:
        settings = make_settings(
            tmp_path / "data",
            master_key=OLD,
            fal_key="system-fal-key-0000",
            fal_queue_url=fal.url,
            fal_rest_url=fal.url,
            fal_cdn_url=fal.url,
            download_allow_http=True,
            download_allow_private_hosts=["127.0.0.1"],
            daily_cost_ceiling_usd=0,
            team_daily_cost_ceiling_usd=0,
        )
        queue = ManualQueue()
        services = build_services(settings, db=sqlite_db, queue=queue)
        queue.handler = lambda job_id: engine.advance(job_id, services)
        yield services, fal


def _make_video(services: Services, user: str, actor: str) -> str:
    project = projects.create_project("Cloud", owner_id=user, services=services)
    return videos.create_video(
        videos.VideoRequest(project.id, actor, script="Hi! This one is paid with my own key."),
        user_id=user,
        services=services,
    )


def test_a_users_own_key_pays_for_their_jobs_and_is_never_logged(
    fal_services: tuple[Services, FalStub], caplog: pytest.LogCaptureFixture
) -> None:
    services, fal = fal_services
    caplog.set_level(logging.DEBUG)
    alice, bob = ensure_user(services.db, "alice@example.com"), ensure_user(services.db, "bob@example.com")
    actor = add_actor(services, "ava_base_01", portrait=PORTRAIT.read_bytes())  # her voices are bound
    keys.save_key(alice, "fal", SECRETS["fal"], services=services)
    mine = _make_video(services, alice, actor)
    theirs = _make_video(services, bob, actor)  # bob has no key of his own: the studio's key is used
    services.queue.drain()  # type: ignore[attr-defined]

    assert gallery.video_details(mine, user_id=alice, services=services).status.value == "completed"
    failed = gallery.video_details(theirs, user_id=bob, services=services)
    assert failed.status.value == "failed"  # the stub knows only alice's key, so the system key is refused
    headers = {req.header("Authorization") for label, req in fal.requests if label in ("submit", "status", "result")}
    assert f"Key {SECRETS['fal']}" in headers and "Key system-fal-key-0000" in headers
    assert fal.created_count() == 2  # alice's speech and lip-sync; bob got no further than a refusal
    for secret in (SECRETS["fal"], "system-fal-key-0000"):
        assert secret not in caplog.text
        assert secret not in _all_text(services.db)
    assert "building providers with user" in caplog.text  # the log says whose keys, never the keys


def test_a_changed_key_is_used_from_the_next_call(fal_services: tuple[Services, FalStub]) -> None:
    services, fal = fal_services
    alice = ensure_user(services.db, "alice@example.com")
    keys.save_key(alice, "fal", "an-old-revoked-key", services=services)
    first = services.providers_for(alice)
    assert services.providers_for(alice) is first  # cached while the key is unchanged
    keys.save_key(alice, "fal", SECRETS["fal"], services=services)
    assert services.providers_for(alice) is not first
    keys.delete_key(alice, "fal", services=services)
    assert services.providers_for(alice) is services.providers


def test_a_job_whose_key_will_not_open_fails_loudly_before_paying(fal_services: tuple[Services, FalStub]) -> None:
    services, fal = fal_services
    alice = ensure_user(services.db, "alice@example.com")
    actor = add_actor(services, "ava_base_01", portrait=PORTRAIT.read_bytes())  # her voices are bound
    keys.save_key(alice, "fal", SECRETS["fal"], services=services)
    services.settings.master_key = SecretStr(NEW)  # someone swapped the master key
    video = _make_video(services, alice, actor)
    services.queue.drain()  # type: ignore[attr-defined]
    view = gallery.video_details(video, user_id=alice, services=services)
    assert view.status.value == "failed" and view.error is not None
    assert view.error.code == "key_decryption_failed" and "another master key" in view.error.message
    assert fal.created_count() == 0
