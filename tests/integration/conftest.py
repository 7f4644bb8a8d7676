from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.conftest import REDIS_URL, unavailable


@pytest.fixture
def redis_conn() -> Iterator[object]:
    from redis import Redis

    conn = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        conn.ping()
    except Exception as exc:  # noqa: BLE001
        unavailable("Redis", exc)
    conn.flushdb()
    yield conn
    conn.flushdb()


@pytest.fixture(autouse=True)
def _fork_safe() -> None:
    os.environ.setdefault("OBJC_DISABLE_INITIALIZE_FORK_SAFETY", "YES")
