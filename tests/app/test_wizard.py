"""The mass generator as a creator uses it: all six wizard steps to a finished video, offline,
and the scene studio; under AppTest with the hand-driven queue and the real offline providers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.adapters.db.database import Database
from core.bootstrap import Services, install_services
from core.domain.ugc import AdStatus
from core.services import ugc_ads
from core.services.identity import ensure_user
from core.services.projects import create_project
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
    _click(at, "ugc_use_actor")
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
    ad = ugc_ads.get_ad(ad_id, user_id=creator, services=studio)
    assert ad.status is AdStatus.COMPLETED and ad.product_images and ad.outputs[0].qc.passed  # type: ignore[union-attr]
    assert "serum" not in ad.product_images[0].image_key  # the upload's name is never used
    checked = {f.check for f in ad.outputs[0].qc.findings if f.checked}  # type: ignore[union-attr]
    assert checked >= {"lips", "silence", "product", "captions_clear", "captions_match_voice"}


def test_a_refresh_resumes_the_saved_step(studio: Services) -> None:
    creator = ensure_user(studio.db, studio.settings.local_user_email, display_name="Creator")
    project = create_project("Resume", owner_id=creator, services=studio)
    ad_id = ugc_ads.open_wizard(project.id, user_id=creator, services=studio)
    ugc_ads.save_step(ad_id, "brief", user_id=creator, services=studio)
    at = _open("pages/wizard.py", project_id=project.id)  # a new session: nothing in session state
    assert at.session_state["ugc_ad_id"] == ad_id and "3. Brief" in _texts(at)


def test_the_scene_studio_shows_each_scene_and_generates_in_batch(studio: Services) -> None:
    creator = ensure_user(studio.db, studio.settings.local_user_email, display_name="Creator")
    _user, ad_id = scripted_ad(studio, email=studio.settings.local_user_email)
    project_id = ugc_ads.get_ad(ad_id, user_id=creator, services=studio).project_id
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
