"""PostgreSQL row-level security: the second line behind the services.

The same attempts as the isolation suite, made with raw SQL in a transaction that acts as
user B exactly as the app's user-scoped sessions do (`SET LOCAL ROLE studio_user` and
`app.user_id`), so no service code can help: the policies alone must stop them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from pydantic import SecretStr
from sqlalchemy import select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from core.adapters.db.database import RLS_ROLE, Database
from core.adapters.db.models.projects import Project
from core.adapters.db.models.talking import VideoAsset
from core.config import Settings
from core.services.accounts import team
from core.services.ads import wizard
from core.services.connections import keys
from tests.conftest import make_services, truncate_all
from tests.unit.test_isolation import World, build_world

pytestmark = pytest.mark.postgres


@pytest.fixture
def world(settings: Settings, pg_database_url: str) -> Iterator[World]:
    db = Database(pg_database_url)
    truncate_all(db)
    settings.master_key = SecretStr(MASTER)
    services = make_services(settings, db)
    built = build_world(services)
    keys.save_key(built.owner, "fal", "fal-owner-secret-123", services=services)
    yield built
    db.dispose()


MASTER = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # base64 of 32 bytes


@contextmanager
def acting_as(world: World, user_id: str | None) -> Iterator[Connection]:
    """A raw connection under the app's RLS role, as `user_id`; everything is rolled back."""
    with world.services.db.engine.connect() as conn:
        conn.exec_driver_sql(f"SET LOCAL ROLE {RLS_ROLE}")
        if user_id is not None:
            conn.execute(text("SELECT set_config('app.user_id', :u, true)"), {"u": user_id})
        try:
            yield conn
        finally:
            conn.rollback()


def _count(conn: Connection, sql: str, **params: object) -> int:
    return int(conn.execute(text(f"SELECT count(*) FROM ({sql}) AS t"), params).scalar_one())


def _rows_changed(conn: Connection, sql: str, **params: object) -> int:
    return int(conn.execute(text(sql), params).rowcount)


def _refused(conn: Connection, sql: str, **params: object) -> str:
    conn.exec_driver_sql("SAVEPOINT attempt")
    with pytest.raises(DBAPIError) as caught:
        conn.execute(text(sql), params)
    conn.exec_driver_sql("ROLLBACK TO SAVEPOINT attempt")
    return str(caught.value.orig)


def _reads(world: World) -> dict[str, tuple[str, dict[str, object]]]:
    return {
        "projects": ("SELECT id FROM projects WHERE owner_id = :a", {"a": world.owner}),
        "videos": ("SELECT id FROM video_assets WHERE id = :v", {"v": world.video}),
        "variants": ("SELECT id FROM actor_image_variants WHERE id = :v", {"v": world.variant}),
        "jobs": ("SELECT id FROM jobs WHERE owner_id = :a", {"a": world.owner}),
        "steps": ("SELECT s.id FROM job_steps s WHERE s.job_id = :j", {"j": world.job}),
        "costs": ("SELECT id FROM cost_records WHERE owner_id = :a", {"a": world.owner}),
        "members": ("SELECT id FROM project_members WHERE project_id = :p", {"p": world.project}),
        "invites": ("SELECT id FROM project_invites WHERE project_id = :p", {"p": world.project}),
        "holds": ("SELECT id FROM spend_holds WHERE owner_id = :a", {"a": world.owner}),
        "audit": ("SELECT id FROM audit_events WHERE owner_id = :a", {"a": world.owner}),
        "keys": ("SELECT id FROM provider_keys WHERE user_id = :a", {"a": world.owner}),
    }


def test_the_owner_sees_all_of_it_through_the_policies(world: World) -> None:
    with acting_as(world, world.owner) as conn:
        counts = {name: _count(conn, sql, **params) for name, (sql, params) in _reads(world).items()}
    assert all(counts.values()), counts  # so the zeros below mean refusal, not an empty table


def test_a_stranger_reads_and_changes_nothing(world: World) -> None:
    with acting_as(world, world.users["stranger"]) as conn:
        counts = {name: _count(conn, sql, **params) for name, (sql, params) in _reads(world).items()}
        assert set(counts.values()) == {0}, counts
        assert _rows_changed(conn, "UPDATE projects SET title = 'pwned' WHERE id = :p", p=world.project) == 0
        assert _rows_changed(conn, "DELETE FROM video_assets WHERE id = :v", v=world.video) == 0
        assert _rows_changed(conn, "UPDATE jobs SET cancel_requested = true WHERE id = :j", j=world.job) == 0
        assert _rows_changed(conn, "DELETE FROM provider_keys WHERE user_id = :a", a=world.owner) == 0
        join = (
            "INSERT INTO project_members (id, project_id, user_id, role, created_at) "
            "VALUES (:id, :p, :me, 'editor', now())"
        )
        assert "row-level security" in _refused(
            conn, join, id=str(uuid.uuid4()), p=world.project, me=world.users["stranger"]
        )
        plant = (
            "INSERT INTO video_assets (id, owner_id, project_id, actor_id, source_type, status, seed, version, "
            "created_at, updated_at) VALUES (:id, :me, :p, :actor, 'text', 'queued', 0, 1, now(), now())"
        )
        assert "row-level security" in _refused(
            conn, plant, id=str(uuid.uuid4()), me=world.users["stranger"], p=world.project, actor=world.actor
        )
        assert "permission denied" in _refused(conn, "SELECT password_hash FROM users")


def test_a_viewer_reads_the_shared_project_only_and_changes_nothing(world: World) -> None:
    with acting_as(world, world.users["viewer"]) as conn:
        assert _count(conn, "SELECT id FROM video_assets WHERE id = :v", v=world.video) == 1
        assert _count(conn, "SELECT id FROM jobs WHERE id = :j", j=world.job) == 1
        assert _count(conn, "SELECT id FROM projects WHERE id = :p", p=world.private_project) == 0
        assert _count(conn, "SELECT id FROM project_invites") == 0  # pending invitations are the owner's
        assert _count(conn, "SELECT id FROM cost_records") == 0  # A's ledger is A's
        assert _rows_changed(conn, "DELETE FROM video_assets WHERE id = :v", v=world.video) == 0
        assert _rows_changed(conn, "UPDATE video_assets SET status = 'failed' WHERE id = :v", v=world.video) == 0
        assert _rows_changed(conn, "UPDATE jobs SET cancel_requested = true WHERE id = :j", j=world.job) == 0
        assert (
            _rows_changed(
                conn, "UPDATE project_members SET role = 'editor' WHERE user_id = :me", me=world.users["viewer"]
            )
            == 0
        )
        plant = (
            "INSERT INTO video_assets (id, owner_id, project_id, actor_id, source_type, status, seed, version, "
            "created_at, updated_at) VALUES (:id, :me, :p, :actor, 'text', 'queued', 0, 1, now(), now())"
        )
        assert "row-level security" in _refused(
            conn, plant, id=str(uuid.uuid4()), me=world.users["viewer"], p=world.project, actor=world.actor
        )


def test_an_editor_changes_videos_but_not_the_project_or_its_members(world: World) -> None:
    with acting_as(world, world.users["editor"]) as conn:
        assert _rows_changed(conn, "UPDATE video_assets SET status = 'failed' WHERE id = :v", v=world.video) == 1
        assert _rows_changed(conn, "DELETE FROM projects WHERE id = :p", p=world.project) == 0
        assert _rows_changed(conn, "DELETE FROM project_members WHERE user_id = :v", v=world.users["viewer"]) == 0
        assert "permission denied" in _refused(
            conn, "UPDATE projects SET owner_id = :me WHERE id = :p", me=world.users["editor"], p=world.project
        )
        assert "permission denied" in _refused(
            conn, "UPDATE video_assets SET owner_id = :me WHERE id = :v", me=world.users["editor"], v=world.video
        )


def test_no_user_set_means_no_rows(world: World) -> None:
    with acting_as(world, None) as conn:
        counts = {name: _count(conn, sql, **params) for name, (sql, params) in _reads(world).items()}
    assert set(counts.values()) == {0}, counts


def test_the_apps_user_sessions_run_under_the_policies(world: World) -> None:
    db = world.services.db
    with db.session(user_id=world.users["stranger"]) as session:
        assert session.get(VideoAsset, world.video) is None  # even a forgotten rights check finds nothing
        assert session.scalars(select(Project)).all() == []
        assert session.execute(text("SELECT current_user")).scalar() == RLS_ROLE
    with db.session() as session:  # the job runner's sessions keep the owner role and see everything
        assert session.get(VideoAsset, world.video) is not None


def test_users_show_only_oneself_and_the_people_one_shares_a_project_with(world: World) -> None:
    everyone = "SELECT id FROM users"
    with acting_as(world, world.users["stranger"]) as conn:
        assert [r[0] for r in conn.execute(text(everyone))] == [world.users["stranger"]]
        assert _rows_changed(conn, "UPDATE users SET display_name = 'pwned' WHERE id = :a", a=world.owner) == 0
        assert _rows_changed(conn, "UPDATE users SET display_name = 'Me' WHERE id = :me", me=world.users["stranger"])
    with acting_as(world, world.users["viewer"]) as conn:
        seen = {r[0] for r in conn.execute(text(everyone))}
        assert seen == {world.owner, world.users["viewer"], world.users["editor"]}
        assert _rows_changed(conn, "UPDATE users SET display_name = 'pwned' WHERE id = :a", a=world.owner) == 0
    with acting_as(world, None) as conn:
        assert _count(conn, everyone) == 0


def test_audit_lines_cannot_be_forged_by_a_user_session(world: World) -> None:
    forge = (
        "INSERT INTO audit_events (id, action, actor_id, actor_email, owner_id, project_id, subject, detail, "
        "address, created_at) VALUES (:id, 'project.deleted', :me, 'ceo@example.com', :a, :p, 'x', '{}', '', now())"
    )
    for who in (world.users["stranger"], world.users["editor"], world.owner):
        with acting_as(world, who) as conn:
            assert "permission denied" in _refused(
                conn, forge, id=str(uuid.uuid4()), me=who, a=world.owner, p=world.project
            )
    # the studio still writes the lines of what users do in their own sessions
    team.invite_member(world.project, "late@example.com", "viewer", user_id=world.owner, services=world.services)
    with acting_as(world, world.owner) as conn:
        assert _count(conn, "SELECT id FROM audit_events WHERE subject = 'late@example.com'") == 1


def test_ads_are_written_only_by_editors_of_their_project(world: World) -> None:
    ad = wizard.open_wizard(world.project, user_id=world.owner, services=world.services)
    rename = "UPDATE ugc_ads SET title = 'pwned' WHERE id = :ad"
    with acting_as(world, world.users["stranger"]) as conn:
        assert _count(conn, "SELECT id FROM ugc_ads") == 0
        assert _rows_changed(conn, rename, ad=ad) == 0
        assert _rows_changed(conn, "DELETE FROM ugc_ads WHERE id = :ad", ad=ad) == 0
    with acting_as(world, world.users["viewer"]) as conn:
        assert _count(conn, "SELECT id FROM ugc_ads") == 1 and _rows_changed(conn, rename, ad=ad) == 0
    with acting_as(world, world.users["editor"]) as conn:
        assert _rows_changed(conn, rename, ad=ad) == 1
        assert "permission denied" in _refused(
            conn, "UPDATE ugc_ads SET project_id = :p WHERE id = :ad", p=world.private_project, ad=ad
        )


def test_drafts_are_read_and_written_only_by_their_author(world: World) -> None:
    from core.services.accounts import drafts

    services = world.services
    drafts.save_draft(world.project, "script", "Half a script", user_id=world.owner, services=services)
    assert drafts.load_draft(world.project, "script", user_id=world.owner, services=services) == "Half a script"
    with acting_as(world, world.owner) as conn:
        assert _count(conn, "SELECT id FROM drafts") == 1
    for other in world.users.values():
        with acting_as(world, other) as conn:
            assert _count(conn, "SELECT id FROM drafts") == 0
            assert _rows_changed(conn, "UPDATE drafts SET text = 'x'") == 0
            assert _rows_changed(conn, "DELETE FROM drafts") == 0
    with acting_as(world, world.users["stranger"]) as conn:  # nobody writes a draft under another's name
        assert "row-level security" in _refused(
            conn,
            "INSERT INTO drafts (id, user_id, project_id, field, text, updated_at) "
            "VALUES ('d1', :a, :p, 'script', 'forged', now())",
            a=world.owner,
            p=world.project,
        )


def test_the_variant_factory_tables_follow_the_project_rights(world: World) -> None:
    from core.services.variant_factory import collections, hooks

    services = world.services
    hooks.add_hooks(world.project, "A hook", category="offer", user_id=world.owner, services=services)
    collections.create_collection(world.project, "video", "Winners", user_id=world.owner, services=services)
    with acting_as(world, world.users["stranger"]) as conn:
        assert _count(conn, "SELECT id FROM hooks") == 0
        assert _count(conn, "SELECT id FROM media_collections") == 0
        assert _rows_changed(conn, "DELETE FROM hooks") == 0
        plant = (
            "INSERT INTO hooks (id, owner_id, project_id, text, text_key, category, created_at, updated_at) "
            "VALUES (:id, :me, :p, 'x', 'x', 'general', now(), now())"
        )
        assert "row-level security" in _refused(
            conn, plant, id=str(uuid.uuid4()), me=world.users["stranger"], p=world.project
        )
    with acting_as(world, world.users["viewer"]) as conn:
        assert _count(conn, "SELECT id FROM hooks") == 1
        assert _rows_changed(conn, "UPDATE hooks SET text = 'pwned'") == 0
        assert _rows_changed(conn, "DELETE FROM media_collections") == 0
    with acting_as(world, world.users["editor"]) as conn:
        assert _rows_changed(conn, "UPDATE hooks SET category = 'story'") == 1
        assert "permission denied" in _refused(conn, "UPDATE hooks SET project_id = :p", p=world.private_project)


def test_library_search_rechecks_the_right_in_the_database(world: World) -> None:
    from core.adapters.db.models.variant_factory import Hook
    from core.services.variant_factory import hooks
    from core.services.variant_factory.search import matches, page_of

    services = world.services
    hooks.add_hooks(world.project, "Find me\nAnd me", category="offer", user_id=world.owner, services=services)
    where = [Hook.project_id == world.project, matches(services, Hook.text, "me")]
    args = dict(model=Hook, project_id=world.project, where=where, order_by=(Hook.created_at,), page=1, per_page=10)
    assert page_of(services, user_id=world.users["viewer"], **args)[1] == 2  # type: ignore[arg-type]
    assert page_of(services, user_id=world.users["stranger"], **args) == ([], 0)  # type: ignore[arg-type]
    # Through the word index too (three letters or more), and the vocabulary stays the owner's.
    words = [Hook.project_id == world.project, matches(services, Hook.text, "FIND")]
    by_words = dict(args, where=words)
    assert page_of(services, user_id=world.users["viewer"], **by_words)[1] == 1  # type: ignore[arg-type]
    assert page_of(services, user_id=world.users["stranger"], **by_words) == ([], 0)  # type: ignore[arg-type]
    with acting_as(world, world.users["editor"]) as conn:
        assert "permission denied" in _refused(conn, "SELECT word FROM search_words")
