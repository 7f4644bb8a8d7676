"""PostgreSQL row-level security on the copilot tables: raw SQL under the app's user role,
so only the policies can stop a stranger (members read, nobody writes through this role)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from core.adapters.db.database import RLS_ROLE, Database
from core.services.accounts import team
from core.services.accounts.identity import ensure_user
from core.services.copilot import chats, turns
from core.services.talking.projects import create_project
from tests.conftest import truncate_all
from tests.copilot.support import copilot_services
from tests.ugc_support import ugc_settings

pytestmark = pytest.mark.postgres


@contextmanager
def acting_as(db: Database, user_id: str) -> Iterator[Connection]:
    with db.engine.connect() as conn:
        conn.exec_driver_sql(f"SET LOCAL ROLE {RLS_ROLE}")
        conn.execute(text("SELECT set_config('app.user_id', :u, true)"), {"u": user_id})
        try:
            yield conn
        finally:
            conn.rollback()


def test_members_read_chats_and_messages_strangers_see_nothing_and_nobody_writes(
    tmp_path: Path, pg_database_url: str
) -> None:
    db = Database(pg_database_url)
    truncate_all(db)
    studio = copilot_services(ugc_settings(tmp_path / "data"), db)
    owner, viewer, stranger = (ensure_user(db, f"{n}@example.com") for n in ("owner", "viewer", "stranger"))
    project = create_project("Launch", owner_id=owner, services=studio).id
    team.invite_member(project, "viewer@example.com", "viewer", user_id=owner, services=studio)
    chat = chats.create_chat(project, user_id=owner, services=studio)
    "".join(turns.send(chat, "hi", user_id=owner, services=studio).reply or [])
    count_chats = "SELECT count(*) FROM copilot_chats WHERE id = :c"
    count_messages = "SELECT count(*) FROM copilot_messages WHERE chat_id = :c"
    for user, chats_seen, messages_seen in ((owner, 1, 2), (viewer, 1, 2), (stranger, 0, 0)):
        with acting_as(db, user) as conn:
            assert conn.execute(text(count_chats), {"c": chat}).scalar_one() == chats_seen
            assert conn.execute(text(count_messages), {"c": chat}).scalar_one() == messages_seen
    with acting_as(db, owner) as conn, pytest.raises(DBAPIError) as refused:
        conn.execute(text("UPDATE copilot_chats SET title = 'x' WHERE id = :c"), {"c": chat})
    assert "permission denied" in str(refused.value.orig)
    db.dispose()
