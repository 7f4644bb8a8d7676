"""The mass generator as a creator uses it: all six wizard steps to a finished video, offline,
and the scene studio; under AppTest with the hand-driven queue and the real offline providers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.adapters.db.database import Database
from core.bootstrap import install_services
from core.domain.ads import AdStatus
from core.ports_services import Services
from core.services.accounts.identity import ensure_user
from core.services.ads import wizard
from core.services.talking.projects import create_project
from seeds.loader import seed_actors
from tests.app.conftest import APP
from tests.ugc_support import product_png, scripted_ad, ugc_services, ugc_settings


@pytest.fixture
def studio(tmp_path: Path, sqlite_db: Database) -> Iterator[Services]:
    services = ugc_services(ugc_settings(tmp_path / "data", ugc_storyboard_similarity_min=0.0), sqlite_db)
    seed_actors(services, with_previews=False)
    services._booted = True  # type: ignore[attr-defined]
    install_services(services)
    yield services
    install_services(None)


def _open(page: str, **session: object) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in session.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def _submit(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.subheader])


def test_six_steps_from_product_photos_to_a_finished_checked_video(studio: Services) -> None:
    creator = ensure_user(studio.db, studio.settings.local_user_email, display_name="Creator")
    project = create_project("Serum launch", owner_id=creator, services=studio)
    at = _open("pages/wizard.py", project_id=project.id)
    assert at.title[0].value == "Mass generator" and "1. Product" in _texts(at)

    at.text_input(key="ugc_product_name").input("Glow Serum")
    at.text_input(key="ugc_brand_name").input("Lumi")
    at.file_uploader(key="ugc_product_upload_0").upload("../../etc/serum.png", product_png(), "image/png").run()
    _click(at, "ugc_save_product")
    assert "Product DNA" in _texts(at) and len(at.image) >= 1
    _click(at, "ugc_next")

    assert "2. Avatar" in _texts(at)
    assert at.button(key="ugc_next").disabled and "Pick a catalog actor" in _texts(at)
    _click(at, next(b.key for b in at.button if (b.key or "").startswith("ugc_use_actor_")))
    assert "Character DNA" in _texts(at)
    _click(at, "ugc_next")

    assert "3. Brief" in _texts(at)
    at.text_area[0].input("A vitamin C serum for busy mornings; tired of dull skin; absorbs fast")
    at.slider[0].set_value(15)
    _submit(at, "Save and expand the brief")
    assert "Creative brief" in _texts(at)
    _click(at, "ugc_next")

    assert "4. Script" in _texts(at)
    _click(at, "ugc_write_script")
    assert sum("Scene " in e.label for e in at.expander) == 3
    _click(at, "ugc_next")

    assert "5. Generate" in _texts(at)
    _submit(at, "Generate the ad")
    studio.queue.drain()
    at.run()
    assert not at.exception, at.exception
    assert any("storyboard is ready" in i.value for i in at.info)
    approve = [b for b in at.button if b.key == "ugc_approve"]
    assert len(approve) == 1 and approve[0] not in at.main.button  # one Approve, sticky at the bottom
    _click(at, "ugc_approve")
    studio.queue.drain()
    at.run()
    _click(at, "ugc_next")

    assert "6. Result" in _texts(at)
    assert "9:16 · 15.0 s · 270x480" in _texts(at)
    assert "Quality check passed" in _texts(at)
    for check in ("lips", "silence", "product", "captions clear", "captions match voice"):
        assert f"**{check}**" in _texts(at), check  # what a viewer sees is checked, and shown
    (ad_id,) = {at.session_state["ugc_ad_id"]}
    ad = wizard.get_ad(ad_id, user_id=creator, services=studio)
    assert ad.status is AdStatus.COMPLETED and ad.product_images and ad.outputs[0].qc.passed  # type: ignore[union-attr]
    assert "serum" not in ad.product_images[0].image_key  # the upload's name is never used
    checked = {f.check for f in ad.outputs[0].qc.findings if f.checked}  # type: ignore[union-attr]
    assert checked >= {"lips", "silence", "product", "captions_clear", "captions_match_voice"}


def test_a_refresh_resumes_the_saved_step(studio: Services) -> None:
    creator = ensure_user(studio.db, studio.settings.local_user_email, display_name="Creator")
    project = create_project("Resume", owner_id=creator, services=studio)
    ad_id = wizard.open_wizard(project.id, user_id=creator, services=studio)
    wizard.save_step(ad_id, "brief", user_id=creator, services=studio)
    at = _open("pages/wizard.py", project_id=project.id)  # a new session: nothing in session state
    assert at.session_state["ugc_ad_id"] == ad_id and "3. Brief" in _texts(at)


def test_the_scene_studio_shows_each_scene_and_generates_in_batch(studio: Services) -> None:
    creator = ensure_user(studio.db, studio.settings.local_user_email, display_name="Creator")
    _user, ad_id = scripted_ad(studio, email=studio.settings.local_user_email)
    project_id = wizard.get_ad(ad_id, user_id=creator, services=studio).project_id
    at = _open("pages/scenes.py", project_id=project_id)
    badges = [m.value for m in at.markdown if "-badge[" in m.value]
    assert sum("Scene " in b and "pending" in b for b in badges) == 3
    _click(at, "batch_audio")
    assert sum("queued" in c.value for c in at.caption) == 3
    studio.queue.drain()
    at.run()
    badges = [m.value for m in at.markdown if "-badge[" in m.value]
    assert sum("voice ready" in b or "audio ready" in b for b in badges) == 3
    assert len(at.get("audio")) == 3


def test_generate_shows_the_estimate_and_a_limit_in_plain_words(studio: Services) -> None:
    creator = ensure_user(studio.db, studio.settings.local_user_email, display_name="Creator")
    _user, ad_id = scripted_ad(studio, email=studio.settings.local_user_email)
    wizard.save_step(ad_id, "generate", user_id=creator, services=studio)
    studio.settings.prices.local_per_unit = 0.05
    project_id = wizard.get_ad(ad_id, user_id=creator, services=studio).project_id
    at = _open("pages/wizard.py", project_id=project_id)
    assert "5. Generate" in _texts(at)
    (caption,) = [c.value for c in at.caption if "Cost:" in c.value]
    assert "about $" in caption and "min" in caption
    studio.settings.daily_cost_ceiling_usd = 0.5
    _submit(at, "Generate the ad")
    (error,) = [e.value for e in at.error]
    assert "daily limit" in error and "resets at midnight UTC" in error and "cost_ceiling" in error
    assert wizard.get_ad(ad_id, user_id=creator, services=studio).job is None


def test_a_photo_avatar_gets_a_voice_from_the_list_with_a_preview(studio: Services) -> None:
    creator = ensure_user(studio.db, studio.settings.local_user_email, display_name="Creator")
    project = create_project("Voices", owner_id=creator, services=studio)
    ad_id = wizard.open_wizard(project.id, user_id=creator, services=studio)
    wizard.save_step(ad_id, "avatar", user_id=creator, services=studio)
    portrait = (Path(__file__).resolve().parents[2] / "seeds" / "actors" / "kenji_base_08.png").read_bytes()
    from core.services.ads import avatar

    avatar.create_avatar_from_photos(ad_id, "Me", [portrait], user_id=creator, services=studio)
    voice = wizard.get_ad(ad_id, user_id=creator, services=studio).avatar.voice  # type: ignore[union-attr]
    assert voice["voices"]["espeak"] == voice["voice_id"]  # a sensible default for the offline provider
    at = _open("pages/wizard.py", project_id=project.id)
    picker = at.selectbox(key="ugc_avatar_voice")
    assert any(o.startswith("en-gb-scotland+m2") for o in picker.options)  # the active provider's list (eSpeak)
    picker.set_value("en-gb-scotland+m2").run()
    _click(at, "ugc_voice_preview")
    assert len(at.get("audio")) >= 1
    _click(at, "ugc_voice_use")
    voice = wizard.get_ad(ad_id, user_id=creator, services=studio).avatar.voice  # type: ignore[union-attr]
    assert voice["voice_id"] == "en-gb-scotland+m2" and voice["voices"] == {"espeak": "en-gb-scotland+m2"}
    from core.errors import ValidationError

    with pytest.raises(ValidationError, match="is not a eSpeak NG"):
        avatar.set_avatar_voice(ad_id, "Kore", user_id=creator, services=studio)  # not this provider's


def test_step_4_takes_a_script_typed_from_scratch(studio: Services) -> None:
    creator = ensure_user(studio.db, studio.settings.local_user_email, display_name="Creator")
    _user, ad_id = scripted_ad(studio, email=studio.settings.local_user_email)
    project_id = wizard.get_ad(ad_id, user_id=creator, services=studio).project_id
    fresh = wizard.open_wizard(project_id, user_id=creator, services=studio, fresh=True)
    wizard.save_step(fresh, "script", user_id=creator, services=studio)
    at = _open("pages/wizard.py", project_id=project_id)
    assert "4. Script" in _texts(at)
    long_line = " ".join(["really"] * 25)  # longer than 8 s can hold: split over two scenes
    at.text_area(key="ugc_typed_text").input(f"Okay so my skin was dull.\n{long_line}\nTap the link.")
    _submit(at, "Use this script")
    scenes = wizard.get_ad(fresh, user_id=creator, services=studio).scenes
    assert [s.script.scene_type.value for s in scenes] == ["hook", "testimonial", "testimonial", "cta"]
    assert scenes[0].script.dialogue == "Okay so my skin was dull."
    assert all(2 <= s.script.duration_s <= 8 for s in scenes)
    at.text_area(key="ugc_typed_text").input("   ")
    _submit(at, "Use this script")
    assert any("one line per scene" in e.value for e in at.error)


def _scene_one_failed(studio: Services, error: dict[str, str]) -> tuple[str, AppTest]:
    """An ad waiting on its first scene's failed voice line, opened in the wizard."""
    from sqlalchemy import select

    from core.adapters.db.models.ads import Ad, AdAsset, AdScene
    from core.domain.ads import AssetKind
    from core.services.ads import studio as ads_studio

    creator = ensure_user(studio.db, studio.settings.local_user_email, display_name="Creator")
    _user, ad_id = scripted_ad(studio, email=studio.settings.local_user_email)
    ads_studio.generate_all(ad_id, AssetKind.AUDIO, user_id=creator, services=studio)
    with studio.db.session() as session:
        first = session.scalar(select(AdScene.id).where(AdScene.ad_id == ad_id, AdScene.number == 1))
        asset = session.scalar(select(AdAsset).where(AdAsset.scene_id == first))
        asset.status, asset.error = "failed", error  # type: ignore[union-attr]
        ad = session.get(Ad, ad_id)
        ad.status, ad.wizard_step = "needs_attention", "generate"  # type: ignore[union-attr]
    project_id = wizard.get_ad(ad_id, user_id=creator, services=studio).project_id
    return str(first), _open("pages/wizard.py", project_id=project_id)


def test_a_scene_stopped_by_a_limit_says_so_and_offers_no_retry(studio: Services) -> None:
    message = "Today's spending limit of $1.00 is reached. It resets at midnight UTC (in 3.0 h)."
    first, at = _scene_one_failed(studio, {"code": "cost_ceiling", "message": message})
    assert any("resets at midnight UTC" in e.value for e in at.error)
    assert not [b for b in at.button if (b.key or "").startswith(f"retry_{first}")]


def test_a_scene_whose_paid_answer_was_lost_retries_only_with_consent(studio: Services) -> None:
    from sqlalchemy import func, select

    from core.adapters.db.models.accounts import AuditEvent
    from core.adapters.db.models.ads import AdAsset

    lost = "fal may have started this, but its answer never reached us."
    first, at = _scene_one_failed(studio, {"code": "provider_may_have_started", "message": lost})
    assert not [b for b in at.button if b.key == f"retry_{first}_audio"]  # no plain one-click retry
    _click(at, f"retry_paid_{first}_audio")
    with studio.db.session() as session:
        attempts = session.scalar(
            select(func.count()).select_from(AdAsset).where(AdAsset.scene_id == first, AdAsset.kind == "audio")
        )
        consents = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "paid_call.retry_consented")
        )
    assert attempts == 2 and consents == 1


def test_next_waits_for_a_complete_step_and_back_stays_in_the_wizard(studio: Services) -> None:
    creator = ensure_user(studio.db, studio.settings.local_user_email, display_name="Creator")
    project = create_project("Serum launch", owner_id=creator, services=studio)
    at = _open("pages/wizard.py", project_id=project.id)
    assert at.button(key="ugc_next").disabled
    assert "Give the product a name and save it." in _texts(at)
    assert at.query_params["step"] == "product"

    _click(at, "ugc_nav_avatar")
    assert "2. Avatar" in _texts(at) and at.query_params["step"] == "avatar"
    assert len([b for b in at.button if (b.key or "").startswith("ugc_use_actor_")]) >= 5, "faces in a grid"
    at.query_params["step"] = "product"  # what browser Back does to the URL
    at.run()
    assert "1. Product" in _texts(at), "Back returns to the previous step, not out of the wizard"


def test_the_project_can_be_changed_after_it_was_picked(studio: Services) -> None:
    creator = ensure_user(studio.db, studio.settings.local_user_email, display_name="Creator")
    first = create_project("First", owner_id=creator, services=studio)
    second = create_project("Second", owner_id=creator, services=studio)
    at = _open("pages/wizard.py", project_id=first.id)
    first_ad = at.session_state["ugc_ad_id"]
    (picker,) = [s for s in at.selectbox if s.label == "Project"]
    picker.set_value(second.id).run()
    assert not at.exception, at.exception
    assert at.query_params["project"] == second.id
    assert at.session_state["ugc_ad_id"] != first_ad
    assert wizard.get_ad(at.session_state["ugc_ad_id"], user_id=creator, services=studio).project_id == second.id


def test_a_viewer_sees_the_ads_read_only(studio: Services) -> None:
    from core.adapters.db.models.projects import ProjectMember

    owner = ensure_user(studio.db, "owner@example.com")
    creator = ensure_user(studio.db, studio.settings.local_user_email, display_name="Creator")
    project = create_project("Shared", owner_id=owner, services=studio)
    wizard.open_wizard(project.id, user_id=owner, services=studio)
    with studio.db.session() as session:
        session.add(ProjectMember(project_id=project.id, user_id=creator, role="viewer"))
    at = _open("pages/wizard.py", project_id=project.id)
    assert not at.exception, at.exception
    assert any("needs editor rights" in i.value for i in at.info)
    assert "Untitled ad" in _texts(at)
    assert not [b for b in at.button if b.key == "ugc_next"]


def test_the_best_scoring_frame_is_preselected() -> None:
    from components.ads.generate import best_frame_index
    from core.domain.ad_views import AssetView
    from core.domain.ads import AssetKind, AssetStatus

    def frame(i: int, score: float | None) -> AssetView:
        return AssetView(f"f{i}", AssetKind.FRAME, AssetStatus.READY, i, 1, None, None, score, None, None)

    class Scene:
        selected_frame_id = None

    frames = [frame(0, 0.41), frame(1, 0.87), frame(2, None), frame(3, 0.66)]
    assert best_frame_index(Scene(), frames) == 1  # type: ignore[arg-type]
    Scene.selected_frame_id = "f3"  # the creator's own pick wins
    assert best_frame_index(Scene(), frames) == 3  # type: ignore[arg-type]
