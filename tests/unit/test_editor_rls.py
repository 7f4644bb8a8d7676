"""PostgreSQL row-level security on the editor's tables, with raw SQL under the app's user role
(no service code can help): viewers read an edit, its versions and exports; only editors write
them; strangers see nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from core.adapters.db.database import RLS_ROLE
from core.ports_services import Services
from core.services.editor import edits
from tests.editor_support import add_member, finished_ad

pytestmark = pytest.mark.postgres


@contextmanager
def acting_as(services: Services, user_id: str) -> Iterator[Connection]:
    with services.db.engine.connect() as conn:
        conn.exec_driver_sql(f"SET LOCAL ROLE {RLS_ROLE}")
        conn.execute(text("SELECT set_config('app.user_id', :u, true)"), {"u": user_id})
        try:
            yield conn
        finally:
            conn.rollback()


def _count(conn: Connection, table: str) -> int:
    return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_viewers_read_editors_write_strangers_see_nothing(services: Services, tmp_path: Path) -> None:
    world = finished_ad(services, tmp_path)
    edit_id = edits.open_edit("ad_output", world.output_id, user_id=world.owner, services=services)
    viewer = add_member(services, world.project_id, "viewer@example.com", "viewer")
    editor = add_member(services, world.project_id, "editor@example.com", "editor")
    stranger = add_member(services, world.project_id, "stranger@example.com", "viewer")
    with services.db.session() as session:
        session.execute(text("DELETE FROM project_members WHERE user_id = :u"), {"u": stranger})
    with acting_as(services, viewer) as conn:
        assert _count(conn, "edits") == 1 and _count(conn, "edit_versions") == 1
        changed = conn.execute(text("UPDATE edits SET current_version = 9 WHERE id = :e"), {"e": edit_id})
        assert changed.rowcount == 0
        with pytest.raises(DBAPIError):
            conn.execute(
                text(
                    "INSERT INTO edit_versions (id, edit_id, version, action, document, created_at) "
                    "VALUES ('x', :e, 2, 'forged', '{}', now())"
                ),
                {"e": edit_id},
            )
    with acting_as(services, stranger) as conn:
        assert _count(conn, "edits") == 0 and _count(conn, "edit_versions") == 0 and _count(conn, "edit_exports") == 0
    with acting_as(services, editor) as conn:
        changed = conn.execute(text("UPDATE edits SET title = 'Cut B' WHERE id = :e"), {"e": edit_id})
        assert changed.rowcount == 1
        with pytest.raises(DBAPIError):  # the document of a version is never rewritten, even by an editor
            conn.execute(text("UPDATE edit_versions SET document = '{}' WHERE edit_id = :e"), {"e": edit_id})
