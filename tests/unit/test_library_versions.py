"""An ad's versions on SQLite and PostgreSQL: the original, a generation run again (its parent
is the original of the same aspect) and an editor export (its parent is the output the edit
was opened from, with the edit version), numbered in order; viewers see them, only editors may
edit, strangers see nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from core.adapters.db.models.ads import AdOutput
from core.domain import edit as ops
from core.errors import NotFound, PermissionDenied
from core.ports_services import Services
from core.services.accounts.identity import ensure_user
from core.services.editor import edits, renders
from core.services.library import versions
from tests.editor_support import World, add_member, finished_ad, redo_output


@pytest.fixture
def world(services: Services, tmp_path: Path) -> World:
    return finished_ad(services, tmp_path)


def test_every_redo_and_export_is_a_version_with_its_parent(services: Services, world: World) -> None:
    redo = redo_output(services, world)
    edit_id = edits.open_edit("ad_output", world.output_id, user_id=world.owner, services=services)
    view = edits.get_edit(edit_id, user_id=world.owner, services=services)
    first = view.document.clips[0].id
    view = edits.change(
        edit_id,
        "trim",
        lambda d: ops.trim_clip(d, first, 0.5, 3.0),
        base_version=view.version,
        user_id=world.owner,
        services=services,
    )
    export_id = renders.start_export(
        edit_id, resolution="720p", container="mp4", quality="draft", user_id=world.owner, services=services
    )
    services.queue.drain()  # type: ignore[attr-defined]
    exported = renders.list_exports(edit_id, user_id=world.owner, services=services)[0]
    assert exported.id == export_id and exported.status == "ready", exported.error
    with services.db.session() as session:  # the export came after the redo
        row = session.get(AdOutput, exported.result_id)
        assert row is not None
        row.created_at = row.created_at + timedelta(minutes=10)

    found = versions.ad_versions(redo, user_id=world.owner, services=services)
    assert found.can_edit and found.ad_id == world.ad_id
    assert [(v.number, v.kind, v.parent_number) for v in found.versions] == [
        (1, "original", None),
        (2, "redo", 1),
        (3, "edit", 1),
    ]
    assert [v.output_id for v in found.versions] == [world.output_id, redo, exported.result_id]
    assert found.versions[2].edit_version == view.version
    assert found.versions[2].label.startswith(f"v3 · edited from v1 (edit version {view.version}) · 9:16")


def test_viewers_see_the_versions_and_strangers_do_not(services: Services, world: World) -> None:
    redo_output(services, world)
    viewer = add_member(services, world.project_id, "viewer@example.com", "viewer")
    seen = versions.ad_versions(world.output_id, user_id=viewer, services=services)
    assert not seen.can_edit and len(seen.versions) == 2
    stranger = ensure_user(services.db, "stranger@example.com")
    with pytest.raises((NotFound, PermissionDenied)):
        versions.ad_versions(world.output_id, user_id=stranger, services=services)
    with pytest.raises(NotFound):
        versions.ad_versions("missing", user_id=world.owner, services=services)
