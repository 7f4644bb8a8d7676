"""Resilience pieces (issue 18): fallback chains from settings, the fallback policy, provider
circuits and events, pooled keys sealed and isolated (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select, text

from core.adapters.crypto import KeyDecryptionError
from core.adapters.db.database import RLS_ROLE
from core.adapters.db.models.resilience import PoolKey, ProviderEvent
from core.adapters.media.ffmpeg import FfmpegToolkit
from core.adapters.providers.fallback_chains import ChainEntry, parse_entry
from core.adapters.providers.key_pool import KeyPools
from core.adapters.providers.registry import build_providers
from core.domain.media import VideoFile
from core.errors import (
    AnswerLost,
    ConfigurationError,
    ContentBlocked,
    PaidCallUncertain,
    ProviderError,
    ProviderTimeout,
    TransientError,
    ValidationError,
)
from core.ports import ImageToVideoRequest
from core.ports_services import ProviderChoice
from core.services.accounts.identity import ensure_user
from core.services.connections import keys
from core.services.resilience import health, key_pool, policy
from core.services.usage.estimates import active_unit_price
from tests.conftest import make_services, make_settings
from tests.fakes import FakeProvider

MASTER = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
OTHER_MASTER = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="


def test_chain_entries_parse_or_are_refused_in_plain_words() -> None:
    assert parse_entry("lipsync", "fal") == ChainEntry("fal")
    assert parse_entry("image_to_video", "google:veo-3.1-fast-generate-preview@0.15") == ChainEntry(
        "google", "veo-3.1-fast-generate-preview", 0.15
    )
    for bad in ("", "google:", "fal:model name", "google:veo@cheap", "kie:x; rm -rf"):
        with pytest.raises(ConfigurationError, match="is not"):
            parse_entry("image_to_video", bad)
    with pytest.raises(ConfigurationError, match="no model setting"):
        parse_entry("speech", "gcloud:some-voice-model")


def test_a_veo_chain_is_built_with_each_models_real_price(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        gemini_api_key="g-key-123456",
        image_to_video_provider="google",
        google_veo_model="veo-3.1-generate-preview",
        fallback_chains={
            "image_to_video": [
                "google:veo-3.1-generate-preview",  # the primary again: left out
                "google:veo-3.1-fast-generate-preview@0.15",
                "kie",  # no KIE key: left out
                "google:veo-2.0-generate-001",
            ],
            "speech": ["gcloud"],
        },
    )
    providers = build_providers(settings, media=FfmpegToolkit(), storage=None)
    chain = providers.chain("image_to_video")
    assert [c.provider.name for c in chain] == [
        "google:veo-3.1-generate-preview",
        "google:veo-3.1-fast-generate-preview",
        "google:veo-2.0-generate-001",
    ]
    assert [c.note for c in chain[1:]] == ["fallback 1", "fallback 2"]
    clip = VideoFile(path=tmp_path / "clip.mp4", duration_s=8.0, width=720, height=1280, content_type="video/mp4")
    request = ImageToVideoRequest(image=tmp_path / "frame.png", prompt="a talking presenter", duration_s=8.0)
    costs = [c.provider.cost_usd(request, clip) for c in chain]
    assert costs == [pytest.approx(3.2), pytest.approx(1.2), pytest.approx(3.2)]  # the ledger's real prices
    assert [c.provider.name for c in providers.chain("speech")][1:] == ["google:cloud-tts"]


def test_estimates_keep_the_primary_price(tmp_path: Path, sqlite_db: Any) -> None:
    settings = make_settings(
        tmp_path,
        gemini_api_key="g-key-123456",
        image_to_video_provider="google",
        fallback_chains={"image_to_video": ["google:veo-3.1-fast-generate-preview@0.15"]},
    )
    services = make_services(
        settings, sqlite_db, providers=build_providers(settings, media=FfmpegToolkit(), storage=None)
    )
    price = active_unit_price("image_to_video", services=services)
    assert price is not None and price.usd == settings.prices.google_veo_per_second


@pytest.mark.parametrize(
    ("error", "moves"),
    [
        (TransientError("busy", status_code=503), True),
        (TransientError("slow down", status_code=429), True),
        (TransientError("could not be reached"), True),
        (ProviderError("rejected our key", status_code=401), True),
        (ProviderError("out of credits", status_code=402), True),
        (ProviderError("does not know the model", status_code=404), True),
        (AnswerLost("lost", status_code=502), False),
        (PaidCallUncertain("may have started"), False),
        (ProviderTimeout("too long"), False),
        (ProviderError("refused the prompt", status_code=400), False),
        (ProviderError("unprocessable", status_code=422), False),
        (ProviderError("could not make this: content policy"), False),
        (ContentBlocked("blocked"), False),
    ],
)
def test_only_provider_reasons_move_a_step_along(error: Exception, moves: bool) -> None:
    assert policy.is_provider_reason(error) is moves


def test_a_circuit_opens_past_the_budget_and_closes_on_success(settings: Any, db: Any) -> None:
    settings.fallback_after_attempts = 2
    services = make_services(settings, db)
    primary, backup = FakeProvider("video", name="p:one"), FakeProvider("video", name="p:two")
    chain = [ProviderChoice("lipsync", primary, "p", "one", True), ProviderChoice("lipsync", backup, "p", "two", True)]
    busy = TransientError("p is busy (error 503).", status_code=503, retry_after_s=900.0)

    assert health.note_failure(services, "p:one", "lipsync", busy) is False  # within the budget
    assert [c.provider.name for c in health.candidates(services, chain)] == ["p:one", "p:two"]
    assert health.note_failure(services, "p:one", "lipsync", busy) is True
    assert [c.provider.name for c in health.candidates(services, chain)] == ["p:two"]
    until = health.down_until(services, ["p:one"])["p:one"]
    assert (until - health.utcnow()).total_seconds() > 800  # the provider's Retry-After beats the cooldown

    # A refused key moves the step along but opens no circuit: it is its owner's key, not the provider.
    owner = ensure_user(services.db, "credits@example.com")
    no_credits = ProviderError("The p account has run out of credits.", status_code=402)
    assert health.note_failure(services, "p:two", "lipsync", no_credits, owner_id=owner) is True
    assert [c.provider.name for c in health.candidates(services, chain)] == ["p:two"]
    assert [e.message for e in health.recent_events(services, owner)][0] == no_credits.message
    assert no_credits.message not in [e.message for e in health.recent_events(services, None)]

    assert health.note_failure(services, "p:two", "lipsync", busy) is False
    assert health.note_failure(services, "p:two", "lipsync", busy) is True
    assert [c.provider.name for c in health.candidates(services, chain)] == ["p:one", "p:two"]  # all down: try all

    health.note_ok(services, "p:one", "lipsync")
    assert [c.provider.name for c in health.candidates(services, chain)] == ["p:one"]
    kinds = [e.kind for e in health.recent_events(services, None)]
    assert kinds.count("error") == 4 and kinds[0] == "recovered"


def test_pooled_keys_are_sealed_to_their_row_and_owner(settings: Any, db: Any) -> None:
    settings.master_key = SecretStr(MASTER)
    services = make_services(settings, db)
    owner = ensure_user(services.db, "pool@example.com")
    other = ensure_user(services.db, "pool-other@example.com")
    first = key_pool.add_key(services, owner_id=owner, vendor="fal", label=" main\u200b ", secret="fal-first-12345")
    second = key_pool.add_key(services, owner_id=owner, vendor="fal", label="spare", secret="fal-second-6789")
    key_pool.add_key(services, owner_id=None, vendor="fal", label="studio", secret="fal-studio-0000")
    with pytest.raises(ValidationError):
        key_pool.add_key(services, owner_id=owner, vendor="fal", label="x", secret="has spaces in it")
    with pytest.raises(ValidationError):
        key_pool.add_key(services, owner_id=owner, vendor="nope", label="x", secret="abcdefgh1234")

    views = key_pool.list_keys(services, owner_id=owner)
    assert [(v.label, v.system) for v in views] == [("main", False), ("spare", False), ("studio", True)]
    assert [v.label for v in key_pool.list_keys(services, owner_id=other)] == ["studio"]
    with services.db.session() as session:
        rows = {r.id: r for r in session.scalars(select(PoolKey))}
        assert not any("fal-" in r.ciphertext for r in rows.values())
        rows[first].nonce, rows[first].ciphertext = rows[second].nonce, rows[second].ciphertext  # a swapped secret
    pools = KeyPools(services.settings, services.db, media=None, storage=None)
    with pytest.raises(KeyDecryptionError):
        pools._open(owner, "fal", [first])
    assert pools._open(owner, "fal", [second]) == {second: "fal-second-6789"}

    with pytest.raises(Exception, match="not in your pool"):
        key_pool.remove_key(services, second, owner_id=other)
    key_pool.remove_key(services, second, owner_id=owner)
    assert [v.label for v in key_pool.list_keys(services, owner_id=owner)] == ["main", "studio"]


def test_rotating_the_master_key_reseals_pooled_keys(settings: Any, db: Any) -> None:
    settings.master_key = SecretStr(MASTER)
    services = make_services(settings, db)
    owner = ensure_user(services.db, "rotate@example.com")
    mine = key_pool.add_key(services, owner_id=owner, vendor="wavespeed", label="a", secret="ws-rotate-1234")
    system = key_pool.add_key(services, owner_id=None, vendor="wavespeed", label="b", secret="ws-rotate-5678")
    assert keys.rotate_master_key(services.db, MASTER, OTHER_MASTER) == 2
    rotated = KeyPools(
        settings.model_copy(update={"master_key": SecretStr(OTHER_MASTER)}), services.db, media=None, storage=None
    )
    assert rotated._open(owner, "wavespeed", [mine]) == {mine: "ws-rotate-1234"}
    assert rotated._open(None, "wavespeed", [system]) == {system: "ws-rotate-5678"}


@pytest.mark.postgres
def test_row_level_security_keeps_pooled_keys_and_their_events_apart(settings: Any, pg_database_url: str) -> None:
    from core.adapters.db.database import Database
    from tests.conftest import truncate_all

    db = Database(pg_database_url)
    truncate_all(db)
    settings.master_key = SecretStr(MASTER)
    services = make_services(settings, db)
    owner = ensure_user(db, "rls-a@example.com")
    other = ensure_user(db, "rls-b@example.com")
    key_pool.add_key(services, owner_id=owner, vendor="fal", label="mine", secret="fal-owner-1234")
    key_pool.add_key(services, owner_id=None, vendor="fal", label="studio", secret="fal-studio-1234")
    with db.session() as session:
        session.add(ProviderEvent(provider="fal:x", kind="key_error", owner_id=owner, message="yours was rejected"))
        session.add(ProviderEvent(provider="fal:x", kind="error", owner_id=None, message="fal is down"))
    try:
        with db.engine.connect() as conn:
            conn.exec_driver_sql(f"SET LOCAL ROLE {RLS_ROLE}")
            conn.execute(text("SELECT set_config('app.user_id', :u, true)"), {"u": other})
            assert conn.execute(text("SELECT count(*) FROM pool_keys")).scalar_one() == 0
            assert conn.execute(text("SELECT message FROM provider_events")).scalars().all() == ["fal is down"]
            inserted = conn.execute(
                text("UPDATE pool_keys SET status = 'active' WHERE owner_id = :o"), {"o": owner}
            ).rowcount
            assert inserted == 0
            with pytest.raises(Exception, match="row-level security"):
                conn.execute(
                    text(
                        "INSERT INTO pool_keys (id, owner_id, vendor, label, nonce, ciphertext, key_id, version, "
                        "status, error_count, created_at, updated_at) VALUES (:i, :o, 'fal', 'x', 'n', 'c', 'k', 1, "
                        "'active', 0, now(), now())"
                    ),
                    {"i": str(uuid.uuid4()), "o": owner},
                )
            conn.rollback()
    finally:
        db.dispose()
