"""Any number of studios and workers may start at once on a fresh PostgreSQL database."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import PG_ADMIN_URL, unavailable

ROOT = Path(__file__).resolve().parents[2]
MIGRATE = "import sys; from core.adapters.db.database import Database; Database(sys.argv[1]).migrate()"


@pytest.fixture
def fresh_pg_url() -> object:
    import psycopg

    name = f"studio_migrate_{uuid.uuid4().hex[:8]}"
    admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001
        unavailable("PostgreSQL", exc)
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
@pytest.mark.slow
def test_concurrent_first_starts_migrate_once_and_all_succeed(fresh_pg_url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    starts = [
        subprocess.Popen([sys.executable, "-c", MIGRATE, fresh_pg_url], env=env, cwd=ROOT, stderr=subprocess.PIPE)
        for _ in range(6)
    ]
    failures = []
    for proc in starts:
        _, err = proc.communicate(timeout=120)
        if proc.returncode != 0:
            failures.append(err.decode(errors="replace")[-800:])
    assert not failures, failures[0]

    import psycopg

    with psycopg.connect(fresh_pg_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        versions = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    assert versions, "no migration was recorded"
