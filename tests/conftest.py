"""Shared fixtures: settings in a temp folder, real SQLite or PostgreSQL, fake providers.

PostgreSQL and Redis tests run against the servers on 127.0.0.1. Where one is absent
they skip with a message, unless STUDIO_REQUIRE_SERVICES=1 (set by .ci/run), which
turns the skip into a failure so CI cannot pass without really running them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("STUDIO_SECRETS_FILE", "/nonexistent/secrets.toml")
os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")

from core.adapters.db.database import Database  # noqa: E402
from core.bootstrap import Services, build_services, install_services  # noqa: E402
from core.config import Settings  # noqa: E402
from jobs import engine  # noqa: E402
from tests.fakes import FakeMedia, ManualQueue, fake_providers  # noqa: E402

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRE_SERVICES = os.environ.get("STUDIO_REQUIRE_SERVICES") == "1"


def unavailable(what: str, error: Exception) -> None:
    message = f"{what} is not reachable ({error}); integration test skipped"
    if REQUIRE_SERVICES:
        pytest.fail(message + " — but STUDIO_REQUIRE_SERVICES=1 demands it")
    pytest.skip(message)


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = dict(
        _env_file=None,
        data_dir=data_dir,
        retry_base_s=0.01,
        retry_cap_s=0.05,
        heartbeat_interval_s=0.2,
        stale_after_s=2.0,
        sweep_interval_s=0.5,
    )
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """A throw-away database on the local server, migrated once for the session."""
    import psycopg

    name = f"studio_test_{uuid.uuid4().hex[:8]}"
    admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001
        unavailable("PostgreSQL", exc)
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    db = Database(url)
    db.migrate()
    db.dispose()
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def truncate_all(db: Database) -> None:
    from core.adapters.db.models.base import Base

    with db.engine.begin() as conn:
        names = ", ".join(t.name for t in Base.metadata.sorted_tables)
        conn.exec_driver_sql(f"TRUNCATE {names} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'studio.db'}")
        database.migrate()
    else:
        database = Database(request.getfixturevalue("pg_database_url"))
        truncate_all(database)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'studio.db'}")
    database.migrate()
    yield database
    database.dispose()


def make_services(settings: Settings, db: Database, **overrides: object) -> Services:
    queue = overrides.pop("queue", None) or ManualQueue()
    services = build_services(
        settings,
        db=db,
        media=overrides.pop("media", None) or FakeMedia(),
        providers=overrides.pop("providers", None) or fake_providers(),
        queue=queue,
        **overrides,
    )
    if isinstance(queue, ManualQueue) and queue.handler is None:
        queue.handler = lambda job_id: engine.advance(job_id, services)
    return services


@pytest.fixture
def services(settings: Settings, db: Database) -> Iterator[Services]:
    built = make_services(settings, db)
    install_services(built)
    yield built
    install_services(None)


@pytest.fixture
def owner(services: Services) -> str:
    from core.services.accounts.identity import ensure_user

    return ensure_user(services.db, "owner@example.com")
