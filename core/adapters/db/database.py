"""Engine, sessions and migrations. Nothing is built at import; `Database(url)` does it."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, decide when transactions begin (SQLAlchemy's documented recipe).
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    # WAL lets the UI read while a worker thread writes; busy_timeout waits instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # A deferred transaction that reads and then writes fails at once in WAL mode when
    # another writer (a heartbeat, say) got in between; busy_timeout does not help there.
    # IMMEDIATE takes the write lock first and waits for it. Every transaction here is
    # short, so serialising them costs little and makes check-then-write sections safe.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


# Any constant shared by every process of the studio: studios and workers starting at once
# on a fresh database take it around Alembic, so one migrates and the others see the result.
MIGRATION_LOCK_KEY = 0x5354_5544_494F  # "STUDIO"

RLS_ROLE = "studio_user"  # created by migration 0002_accounts; subject to its policies
ACTING_AS = "acting_as"  # session.info key: the user a PostgreSQL session acts as


@contextmanager
def as_studio_role(session: Session) -> Iterator[None]:
    """Inside a user-scoped PostgreSQL transaction, run a few statements as the studio's own role
    (what only the studio may write, like audit lines). The user's pending changes are flushed
    first, so they stay under row-level security; the user's role is back afterwards."""
    if ACTING_AS not in session.info:
        yield
        return
    session.flush()
    session.execute(text("SET LOCAL ROLE NONE"))
    try:
        yield
    finally:
        session.execute(text(f"SET LOCAL ROLE {RLS_ROLE}"))


def _acting_as(user_id: str) -> Any:
    def begin(session: Session, transaction: Any, connection: Any) -> None:
        # Transaction-local, so a pooled connection goes back clean whatever happens.
        connection.exec_driver_sql(f"SET LOCAL ROLE {RLS_ROLE}")
        connection.execute(text("SELECT set_config('app.user_id', :user_id, true)"), {"user_id": user_id})

    return begin


class Database:
    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 5) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite and ":memory:" not in url:
            Path(url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = {"echo": echo, "pool_pre_ping": not self.is_sqlite}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
        else:
            kwargs.update(pool_size=pool_size, max_overflow=10)
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._pid = os.getpid()

    def _after_fork(self) -> None:
        # A forked RQ work horse must not reuse the parent's pooled connections.
        if os.getpid() != self._pid:
            self.engine.dispose(close=False)
            self._pid = os.getpid()

    @contextmanager
    def session(self, *, user_id: str | None = None) -> Iterator[Session]:
        """One transaction: commit on success, roll back on error.

        Check-then-write sections (claims, quotas) lock their rows with `lock_row`
        (SELECT ... FOR UPDATE on PostgreSQL; SQLite transactions hold the write lock).
        `user_id=...` acts as that user: on PostgreSQL row-level security then limits the
        session to what the user may see and change (migration 0002_accounts); services
        check the same rights themselves, so SQLite behaves alike.
        """
        self._after_fork()
        session = self._sessions()
        if user_id is not None and not self.is_sqlite:
            event.listen(session, "after_begin", _acting_as(user_id))
            session.info[ACTING_AS] = user_id
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def migrate(self) -> None:
        """Apply Alembic migrations up to head, one process at a time.

        On PostgreSQL a transaction-scoped advisory lock serialises concurrent starts (the
        migration runs in that transaction, so the lock is held until it commits); SQLite's
        BEGIN IMMEDIATE does the same for a file database.
        """
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection_url"] = self.url
        with self.engine.begin() as connection:
            if not self.is_sqlite:
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")  # parallel feature branches may add heads

    def check(self) -> str:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return self.describe()

    def describe(self) -> str:
        return f"{self.engine.dialect.name} ({self.engine.url.render_as_string(hide_password=True)})"

    def dispose(self) -> None:
        self.engine.dispose()
