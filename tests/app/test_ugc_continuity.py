"""Storyboard controls of issue 18 under AppTest, offline: "redraw all" (asks first when it costs
money), "reset all edits" of the script, the scene-chaining switch shown unavailable with its reason,
a scene longer than one generation (its length, and each call in the estimate), and the question a
chained scene whose first frame changed waits on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.adapters.db.database import Database
from core.adapters.db.models.ads import AdAsset, AdScene
from core.bootstrap import install_services
from core.domain.ads import AdStatus
from core.ports_services import Services
from core.services.accounts.identity import ensure_user
from core.services.ads import generation, scenes, wizard
from seeds.loader import seed_actors
from tests.app.test_wizard import _click, _open, _texts
from tests.ugc_support import scripted_ad, ugc_services, ugc_settings
from tests.unit.test_ugc_rechain import chained_studio, generated_chained_ad


@pytest.fixture
def studio(tmp_path: Path, sqlite_db: Database) -> Iterator[Services]:
    services = ugc_services(ugc_settings(tmp_path / "data", ugc_storyboard_similarity_min=0.0), sqlite_db)
    seed_actors(services, with_previews=False)
    services._booted = True  # type: ignore[attr-defined]
    install_services(services)
    yield services
    install_services(None)


def _frames(services: Services, ad_id: str) -> int:
    with services.db.session() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(AdAsset).where(AdAsset.ad_id == ad_id, AdAsset.kind == "frame")
            )
            or 0
        )


def _at_the_gate(studio: Services) -> tuple[str, str, str]:
    creator = ensure_user(studio.db, studio.settings.local_user_email, display_name="Creator")
    _user, ad_id = scripted_ad(studio, email=studio.settings.local_user_email)
    wizard.save_step(ad_id, "generate", user_id=creator, services=studio)
    generation.start_generation(ad_id, user_id=creator, services=studio)
    studio.queue.drain()  # type: ignore[attr-defined]
    ad = wizard.get_ad(ad_id, user_id=creator, services=studio)
    assert ad.status is AdStatus.REVIEW
    return creator, ad_id, ad.project_id


def test_redraw_all_asks_first_when_it_costs_money_then_redraws_every_scene(studio: Services) -> None:
    creator, ad_id, project_id = _at_the_gate(studio)
    before = _frames(studio, ad_id)
    studio.settings.prices.local_per_unit = 0.05  # the frames now cost money
    at = _open("pages/wizard.py", project_id=project_id)
    _click(at, "ugc_redraw_all")
    (question,) = [w.value for w in at.warning]
    assert "Redraw every scene" in question and "about $" in question
    assert _frames(studio, ad_id) == before  # nothing happens before "yes"
    _click(at, "ugc_redraw_all_no")
    assert not at.warning
    _click(at, "ugc_redraw_all")
    _click(at, "ugc_redraw_all_yes")
    studio.queue.drain()  # type: ignore[attr-defined]
    at.run()
    assert _frames(studio, ad_id) == 2 * before  # every frame drawn again, not only missing ones
    with studio.db.session() as session:
        assert set(session.scalars(select(AdScene.redo_frame).where(AdScene.ad_id == ad_id))) == {1}
    assert any("storyboard is ready" in i.value for i in at.info)


def test_redraw_all_needs_no_question_when_free(studio: Services) -> None:
    _creator, ad_id, project_id = _at_the_gate(studio)
    before = _frames(studio, ad_id)
    at = _open("pages/wizard.py", project_id=project_id)
    _click(at, "ugc_redraw_all")
    assert not at.warning
    studio.queue.drain()  # type: ignore[attr-defined]
    assert _frames(studio, ad_id) == 2 * before


def test_reset_all_edits_puts_every_edited_scene_back_after_a_yes(studio: Services) -> None:
    creator = ensure_user(studio.db, studio.settings.local_user_email, display_name="Creator")
    _user, ad_id = scripted_ad(studio, email=studio.settings.local_user_email)
    ad = wizard.get_ad(ad_id, user_id=creator, services=studio)
    for scene in ad.scenes[:2]:
        scenes.edit_scene(scene.id, {"action": "She laughs and holds up the bottle."}, user_id=creator, services=studio)
    wizard.save_step(ad_id, "script", user_id=creator, services=studio)
    at = _open("pages/wizard.py", project_id=ad.project_id)
    _click(at, "ugc_reset_all")
    (question,) = [w.value for w in at.warning]
    assert "scene 1, 2" in question
    _click(at, "ugc_reset_all_yes")
    ad = wizard.get_ad(ad_id, user_id=creator, services=studio)
    assert not any(s.edited for s in ad.scenes)
    assert not [b for b in at.button if b.key == "ugc_reset_all"]  # nothing left to reset


def test_chaining_is_shown_unavailable_offline_with_the_reason(studio: Services) -> None:
    creator = ensure_user(studio.db, studio.settings.local_user_email, display_name="Creator")
    _user, ad_id = scripted_ad(studio, email=studio.settings.local_user_email)
    wizard.save_step(ad_id, "generate", user_id=creator, services=studio)
    at = _open("pages/wizard.py", project_id=wizard.get_ad(ad_id, user_id=creator, services=studio).project_id)
    switch = at.toggle(key="ugc_chain")
    assert switch.disabled and not switch.value
    assert "Scene chaining is not available: the offline animator" in _texts(at)


# --------------------------------------------------------------------------- long scenes, chained scenes


def test_a_scene_may_ask_for_more_than_one_generation_and_the_estimate_shows_each_call(studio: Services) -> None:
    creator = ensure_user(studio.db, studio.settings.local_user_email, display_name="Creator")
    _user, ad_id = scripted_ad(studio, email=studio.settings.local_user_email)
    ad = wizard.get_ad(ad_id, user_id=creator, services=studio)
    wizard.save_step(ad_id, "script", user_id=creator, services=studio)
    at = _open("pages/wizard.py", project_id=ad.project_id)
    first = ad.scenes[0].id
    seconds = at.number_input(key=f"dur_{first}")
    assert seconds.max > 20  # the offline animator makes 20 s, then extends: longer scenes may be asked for
    seconds.set_value(24.0)
    next(b for b in at.button if b.label == "Save scene").click().run()
    assert not at.exception, at.exception
    assert wizard.get_ad(ad_id, user_id=creator, services=studio).scenes[0].script.duration_s == 24.0

    wizard.save_step(ad_id, "generate", user_id=creator, services=studio)
    at = _open("pages/wizard.py", project_id=ad.project_id)
    assert "Scene 1 runs 24.8 s: one 20 s generation and 1 extension (4.8 s), 2 calls, free" in _texts(at)


def test_a_stale_chained_scene_is_made_again_only_after_a_yes_with_its_price(
    tmp_path: Path, sqlite_db: Database
) -> None:
    settings = ugc_settings(tmp_path / "data", ugc_storyboard_similarity_min=0.0, ugc_cross_scene_std_max=1.0)
    services, animator = chained_studio(settings, sqlite_db)
    seed_actors(services, with_previews=False)
    services._booted = True  # type: ignore[attr-defined]
    install_services(services)
    try:
        creator = ensure_user(services.db, settings.local_user_email, display_name="Creator")
        _user, ad_id = generated_chained_ad(services, email=settings.local_user_email)
        ad = wizard.get_ad(ad_id, user_id=creator, services=services)
        assert ad.status is AdStatus.COMPLETED, ad.error
        settings.prices.local_per_unit = 0.05  # clips now cost money
        generation.redo_scene(ad.scenes[0].id, user_id=creator, services=services)
        services.queue.drain()  # type: ignore[attr-defined]
        made = animator.submits

        at = _open("pages/wizard.py", project_id=ad.project_id)
        assert "starts on scene 1's last frame, which changed" in _texts(at)
        key = f"rechain_{ad.scenes[1].id}"
        _click(at, key)
        (question,) = [w.value for w in at.warning if "Make scene 2 again" in w.value]
        assert "paid call: about $" in question
        assert animator.submits == made  # nothing happens before "yes"
        _click(at, f"{key}_no")
        _click(at, key)
        _click(at, f"{key}_yes")
        services.queue.drain()  # type: ignore[attr-defined]
        assert animator.submits == made + 1

        at.run()
        _click(at, f"rechain_keep_{ad.scenes[2].id}")  # scene 3, chained to the new scene 2: kept as it is
        services.queue.drain()  # type: ignore[attr-defined]
        assert animator.submits == made + 1
        assert wizard.get_ad(ad_id, user_id=creator, services=services).status is AdStatus.COMPLETED
    finally:
        install_services(None)
