"""Row-level security of the digital twins' tables, with raw SQL as the app's user role (no service code helps)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from core.adapters.db.database import Database
from core.adapters.db.models.avatars import Avatar, AvatarPhoto, AvatarSheet, FaceSwap, LoraModel
from core.config import Settings
from core.services.accounts import team
from core.services.accounts.identity import ensure_user
from core.services.talking import projects
from tests.conftest import make_services, truncate_all
from tests.unit.test_rls import _count, _refused, _rows_changed, acting_as

pytestmark = pytest.mark.postgres


@dataclass
class Twins:
    services: object
    owner: str
    users: dict[str, str]
    project: str
    private_avatar: str
    shared_avatar: str
    lora: str
    swap: str


def _add(services, row) -> str:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        session.add(row)
        session.flush()
        return row.id


@pytest.fixture
def twins(settings: Settings, pg_database_url: str) -> Iterator[Twins]:
    db = Database(pg_database_url)
    truncate_all(db)
    services = make_services(settings, db)
    owner = ensure_user(db, "a@example.com")
    users = {n: ensure_user(db, f"{n}@example.com") for n in ("stranger", "viewer", "editor")}
    project = projects.create_project("Twins", owner_id=owner, services=services).id
    team.invite_member(project, "viewer@example.com", "viewer", user_id=owner, services=services)
    team.invite_member(project, "editor@example.com", "editor", user_id=owner, services=services)
    ids = {}
    for name, shared in (("private", False), ("shared", True)):
        ids[name] = _add(services, Avatar(owner_id=owner, project_id=project, name=name, shared=shared))
        _add(services, AvatarPhoto(avatar_id=ids[name], image_key=f"images/{name}.png", width=9, height=9,
                                   angle="front"))  # fmt: skip
        _add(services, AvatarSheet(avatar_id=ids[name], image_key=f"images/{name}-sheet.png", method="composed"))
    lora = _add(
        services, LoraModel(owner_id=owner, project_id=project, name="l", trigger_phrase="t", source="uploaded")
    )
    swap = _add(services, FaceSwap(owner_id=owner, project_id=project, parent_kind="upload", source_key="v",
                                   face_key="f"))  # fmt: skip
    yield Twins(services, owner, users, project, ids["private"], ids["shared"], lora, swap)
    db.dispose()


READS = {
    "avatars": "SELECT id FROM avatars",
    "photos": "SELECT id FROM avatar_photos",
    "sheets": "SELECT id FROM avatar_sheets",
    "loras": "SELECT id FROM lora_models",
    "swaps": "SELECT id FROM face_swaps",
}


def test_the_owner_sees_everything_a_stranger_nothing(twins: Twins) -> None:
    with acting_as(twins, twins.owner) as conn:  # type: ignore[arg-type]
        assert {n: _count(conn, sql) for n, sql in READS.items()} == {
            "avatars": 2, "photos": 2, "sheets": 2, "loras": 1, "swaps": 1,
        }  # fmt: skip
    with acting_as(twins, twins.users["stranger"]) as conn:  # type: ignore[arg-type]
        assert {_count(conn, sql) for sql in READS.values()} == {0}
        assert _rows_changed(conn, "DELETE FROM avatars") == 0
        assert _rows_changed(conn, "UPDATE lora_models SET status = 'ready'") == 0
        plant = "INSERT INTO avatars (id, owner_id, project_id, name, shared, voice, dna, consent_at, created_at, " \
                "updated_at) VALUES (:id, :me, :p, 'x', true, '{}', '{}', now(), now(), now())"  # fmt: skip
        assert "row-level security" in _refused(conn, plant, id=str(uuid.uuid4()), me=twins.users["stranger"],
                                                p=twins.project)  # fmt: skip


def test_team_members_see_only_shared_avatars_and_viewers_change_nothing(twins: Twins) -> None:
    with acting_as(twins, twins.users["viewer"]) as conn:  # type: ignore[arg-type]
        assert _count(conn, "SELECT id FROM avatars WHERE id = :a", a=twins.private_avatar) == 0
        assert _count(conn, "SELECT id FROM avatar_photos WHERE avatar_id = :a", a=twins.private_avatar) == 0
        assert _count(conn, "SELECT id FROM avatars WHERE id = :a", a=twins.shared_avatar) == 1
        assert _count(conn, "SELECT id FROM lora_models") == 1
        assert _rows_changed(conn, "UPDATE avatars SET name = 'v' WHERE id = :a", a=twins.shared_avatar) == 0
        assert _rows_changed(conn, "DELETE FROM avatar_sheets") == 0
        assert _rows_changed(conn, "DELETE FROM face_swaps") == 0
    with acting_as(twins, twins.users["editor"]) as conn:  # type: ignore[arg-type]
        assert _rows_changed(conn, "UPDATE avatars SET name = 'e' WHERE id = :a", a=twins.shared_avatar) == 1
        assert _rows_changed(conn, "UPDATE avatars SET name = 'e' WHERE id = :a", a=twins.private_avatar) == 0
        assert "permission denied" in _refused(
            conn, "UPDATE avatars SET owner_id = :me WHERE id = :a", me=twins.users["editor"], a=twins.shared_avatar
        )
        assert "permission denied" in _refused(conn, "UPDATE lora_models SET weights_key = 'x'")
