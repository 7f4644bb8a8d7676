"""Avatars on SQLite and PostgreSQL: photos with real angle detection, consent, rights, delete."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from core.adapters.db.database import Database
from core.adapters.db.models.accounts import AuditEvent
from core.adapters.db.models.avatars import AvatarPhoto
from core.adapters.media.faces import classify_angle
from core.config import Settings
from core.errors import NotFound, PermissionDenied, ValidationError
from core.services.accounts import team
from core.services.accounts.identity import ensure_user
from core.services.avatars import manage
from core.services.talking.projects import create_project
from tests.avatar_support import avatar_services, front, left_profile, no_face, png, right_profile, three_views


@pytest.fixture
def world(settings: Settings, db: Database):  # type: ignore[no-untyped-def]
    services = avatar_services(settings, db)
    owner = ensure_user(services.db, "owner@example.com")
    project = create_project("Twins", owner_id=owner, services=services).id
    return services, owner, project


def test_the_cascades_see_the_test_faces() -> None:
    assert classify_angle(np.asarray(front(0)))[0] == "front"
    assert classify_angle(np.asarray(left_profile()))[0] == "left_profile"
    assert classify_angle(np.asarray(right_profile()))[0] == "right_profile"
    assert classify_angle(np.asarray(no_face())) == (None, None)


def test_create_classifies_angles_records_consent_and_is_ready(world) -> None:  # type: ignore[no-untyped-def]
    services, owner, project = world
    avatar_id = manage.create_avatar(project, "Dana", three_views(), consent=True, user_id=owner, services=services)
    view = manage.get_avatar(avatar_id, user_id=owner, services=services)
    assert [p.angle for p in view.photos] == ["front", "left_profile", "right_profile"]
    assert view.coverage.ready and view.coverage.missing == ()
    assert all(services.storage.exists(p.image_key) for p in view.photos)
    with services.db.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "avatar.consent")).one()
        assert event.detail["avatar_id"] == avatar_id and "permission" in event.detail["statement"]


def test_missing_angles_are_named(world) -> None:  # type: ignore[no-untyped-def]
    services, owner, project = world
    files = [png(front(0)), png(front(1)), png(left_profile())]
    avatar_id = manage.create_avatar(project, "Kim", files, consent=True, user_id=owner, services=services)
    coverage = manage.get_avatar(avatar_id, user_id=owner, services=services).coverage
    assert not coverage.ready and coverage.missing == ("right_profile",)
    assert coverage.missing_text() == "Right profile"


@pytest.mark.parametrize(
    ("files", "consent", "message"),
    [
        (lambda: three_views(), False, "permission"),
        (lambda: three_views()[:2], True, "between 3 and 10"),
        (lambda: [*three_views(), png(no_face())], True, "No face found in photo 4"),
        # the shared image check speaks first
        (lambda: [*three_views()[:2], png(front(0).resize((1, 1)))], True, "1×1 pixels"),
    ],
)
def test_bad_uploads_are_refused_and_store_nothing(world, files, consent, message) -> None:  # type: ignore[no-untyped-def]
    services, owner, project = world
    with pytest.raises(ValidationError, match=message):
        manage.create_avatar(project, "X", files(), consent=consent, user_id=owner, services=services)
    assert manage.list_avatars(project, user_id=owner, services=services) == []
    assert not list((services.settings.media_dir).rglob("avatars/*")) if services.settings.media_dir.exists() else True


def test_rights_are_checked_before_any_file_is_stored(world) -> None:  # type: ignore[no-untyped-def]
    services, owner, project = world
    stranger = ensure_user(services.db, "stranger@example.com")
    with pytest.raises(NotFound):
        manage.create_avatar(project, "X", three_views(), consent=True, user_id=stranger, services=services)
    assert not list(services.settings.media_dir.rglob("*.png")) if services.settings.media_dir.exists() else True


def test_sharing_edit_and_delete(world) -> None:  # type: ignore[no-untyped-def]
    services, owner, project = world
    viewer = ensure_user(services.db, "viewer@example.com")
    editor = ensure_user(services.db, "editor@example.com")
    team.invite_member(project, "viewer@example.com", "viewer", user_id=owner, services=services)
    team.invite_member(project, "editor@example.com", "editor", user_id=owner, services=services)
    avatar_id = manage.create_avatar(project, "Dana", three_views(), consent=True, user_id=owner, services=services)
    assert manage.list_avatars(project, user_id=editor, services=services) == []  # private until shared
    with pytest.raises(NotFound):
        manage.get_avatar(avatar_id, user_id=editor, services=services)
    manage.update_avatar(avatar_id, shared=True, user_id=owner, services=services)
    assert [a.id for a in manage.list_avatars(project, user_id=viewer, services=services)] == [avatar_id]
    with pytest.raises(PermissionDenied):
        manage.update_avatar(avatar_id, name="Nope", user_id=viewer, services=services)
    manage.update_avatar(
        avatar_id,
        name="Dana K",
        voice={"provider": "fal", "voice_id": "Rachel"},
        dna={"hair": "short black", "eyes": "brown"},
        user_id=editor,
        services=services,
    )
    view = manage.get_avatar(avatar_id, user_id=owner, services=services)
    assert (view.name, view.voice["voice_id"], view.dna["hair"]) == ("Dana K", "Rachel", "short black")
    usable = manage.usable_avatars(project, user_id=viewer, services=services)
    assert [u.id for u in usable if u.kind == "own"] == [avatar_id]
    keys = [p.image_key for p in view.photos]
    assert manage.delete_avatar(avatar_id, user_id=owner, services=services) == 3
    assert not any(services.storage.exists(k) for k in keys)
    with services.db.session() as session:
        assert session.scalars(select(AvatarPhoto)).all() == []


def test_offline_sheet_is_composed_from_the_photos_and_deletable(world) -> None:  # type: ignore[no-untyped-def]
    import io

    from PIL import Image

    from core.services.avatars import sheets

    services, owner, project = world
    avatar_id = manage.create_avatar(project, "Dana", three_views(), consent=True, user_id=owner, services=services)
    manage.update_avatar(avatar_id, dna={"hair": "dark brown, shoulder length"}, user_id=owner, services=services)
    sheet_id = sheets.make_sheet(avatar_id, user_id=owner, services=services)
    [view] = sheets.list_sheets(avatar_id, user_id=owner, services=services)
    assert (view.id, view.method) == (sheet_id, "composed")
    image = Image.open(io.BytesIO(sheets.sheet_bytes(sheet_id, user_id=owner, services=services))).convert("RGB")
    assert image.size == (1600, 1200)
    # the front photo's pixels are really in the first panel (not a placeholder)
    assert len(np.unique(np.asarray(image.crop((40, 130, 400, 610))).reshape(-1, 3), axis=0)) > 500
    stranger = ensure_user(services.db, "s@example.com")
    with pytest.raises(NotFound):
        sheets.sheet_bytes(sheet_id, user_id=stranger, services=services)
    sheets.delete_sheet(sheet_id, user_id=owner, services=services)
    assert not services.storage.exists(view.image_key)


def test_on_gemini_the_angles_come_from_the_vision_model_with_a_schema(settings: Settings, db: Database) -> None:
    import httpx

    from core.adapters.providers.google.common import make_genai_client
    from core.adapters.providers.google.llm import GoogleVisionAnalyzer
    from tests.stubs import GoogleStub

    with GoogleStub() as google, httpx.Client(timeout=2.0) as http:
        client = make_genai_client("test-key", http=http, base_url=google.url, timeout_s=2.0)
        vision = GoogleVisionAnalyzer(client, model="gemini-2.5-flash", price_per_call=0.002)
        services = avatar_services(settings, db)
        services.providers.choices["vision"] = services.providers.choices["vision"].__class__(
            "vision", vision, "google", "gemini-2.5-flash", True
        )
        owner = ensure_user(services.db, "owner@example.com")
        project = create_project("Twins", owner_id=owner, services=services).id
        avatar_id = manage.create_avatar(project, "G", three_views(), consent=True, user_id=owner, services=services)
        photos = manage.get_avatar(avatar_id, user_id=owner, services=services).photos
        # the stub answers the schema's first enum value for each of exactly three photos
        assert [(p.angle, p.classified_by) for p in photos] == [("front", "gemini-2.5-flash")] * 3
        sent = google.last_schema["properties"]["photos"]
        assert (sent["minItems"], sent["maxItems"]) == (3, 3) and "right_profile" in str(sent["items"])
        with services.db.session() as session:
            from core.adapters.db.models.jobs import CostRecord

            assert session.scalars(select(CostRecord).where(CostRecord.capability == "vision")).all()


def test_a_saved_avatar_becomes_the_ads_avatar_with_its_own_copies(settings: Settings, db: Database) -> None:
    from core.adapters.db.models.ads import AdAvatar
    from core.services.ads import wizard as ads_wizard
    from core.services.avatars import wizard
    from tests.ugc_support import ugc_services

    services = ugc_services(settings, db)
    owner = ensure_user(services.db, "owner@example.com")
    project = create_project("Twins", owner_id=owner, services=services).id
    avatar_id = manage.create_avatar(project, "Dana", three_views(), consent=True, user_id=owner, services=services)
    manage.update_avatar(avatar_id, dna={"hair": "copper bob"}, voice={"voice_id": "en-gb"}, user_id=owner,
                         services=services)  # fmt: skip
    ad_id = ads_wizard.open_wizard(project, user_id=owner, services=services)
    wizard.choose_saved_avatar(ad_id, avatar_id, user_id=owner, services=services)
    view = manage.get_avatar(avatar_id, user_id=owner, services=services)
    with services.db.session() as session:
        row = session.scalars(select(AdAvatar)).one()
        assert row.name == "Dana" and row.voice["voice_id"] == "en-gb" and row.dna["hair"] == "copper bob"
        assert len(row.reference_keys) == 3 and not set(row.reference_keys) & {p.image_key for p in view.photos}
        assert services.storage.read_bytes(row.reference_keys[0]) == services.storage.read_bytes(view.front_key)
        keys = list(row.reference_keys)
    manage.delete_avatar(avatar_id, user_id=owner, services=services)
    assert all(services.storage.exists(k) for k in keys)  # the ad keeps its anchors


def test_deleting_the_project_removes_the_twins_files(world) -> None:  # type: ignore[no-untyped-def]
    from core.services.avatars import lora, sheets
    from core.services.talking.projects import delete_project
    from tests.stubs.fal import safetensors_bytes

    services, owner, project = world
    avatar_id = manage.create_avatar(project, "Dana", three_views(), consent=True, user_id=owner, services=services)
    sheets.make_sheet(avatar_id, user_id=owner, services=services)
    lora_id = lora.upload_lora(project, "L", "dana_person", safetensors_bytes(), user_id=owner, services=services)
    keys = [p.image_key for p in manage.get_avatar(avatar_id, user_id=owner, services=services).photos]
    keys += [s.image_key for s in sheets.list_sheets(avatar_id, user_id=owner, services=services)]
    keys.append(lora.get_lora(lora_id, user_id=owner, services=services).weights_key or "")
    assert all(services.storage.exists(k) for k in keys)
    delete_project(project, user_id=owner, services=services)
    assert not any(services.storage.exists(k) for k in keys)
