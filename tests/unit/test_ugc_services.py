"""The wizard's services, step by step, on SQLite and PostgreSQL, with the offline writers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from core.adapters.db.database import Database
from core.adapters.db.models.ads import AdProductImage, AdScene
from core.adapters.db.models.projects import ProjectMember
from core.domain.ads import AssetKind, BriefInput, Platform
from core.errors import MediaRejected, NotFound, PermissionDenied, ValidationError
from core.ports import PollResult, PredictionState, ScriptAnswer, Submission
from core.ports_services import Services
from core.services.accounts.identity import ensure_user
from core.services.ads import assets, media, product, script, studio, wizard
from core.services.ads import avatar as ads_avatar
from core.services.ads import scenes as ads_scenes
from tests.ugc_support import actor_id, new_ad, product_png, scripted_ad, ugc_services, ugc_settings


def _edited(services: Services, ad_id: str, user: str) -> list[int]:
    """The numbers of the scenes the creator changed, as the wizard's view shows them."""
    return [s.number for s in wizard.get_ad(ad_id, user_id=user, services=services).scenes if s.edited]


@pytest.fixture
def services(tmp_path: Path, db: Database) -> Services:
    return ugc_services(ugc_settings(tmp_path / "data"), db)


class Writer:
    """A script writer that answers whatever the test says (a model gone wrong)."""

    name = "broken"

    def __init__(self, text: str) -> None:
        self.text, self.submits = text, 0

    def submit(self, request: Any) -> Submission:
        self.submits += 1
        return Submission("broken-1")

    def poll(self, request_id: str) -> PollResult:
        return PollResult(PredictionState.DONE)

    def collect(self, request: Any, result: PollResult, dest_dir: Path) -> ScriptAnswer:
        return ScriptAnswer(self.text, "broken")

    def cost_usd(self, request: Any, output: Any) -> float:
        return 0.0


def _scene_rows(services: Services, ad_id: str) -> list[dict[str, Any]]:
    with services.db.session() as session:
        return [
            dict(s.spec)
            for s in session.scalars(select(AdScene).where(AdScene.ad_id == ad_id).order_by(AdScene.number))
        ]


def test_the_wizard_resumes_the_latest_ad_at_its_step(services: Services) -> None:
    user, ad_id = new_ad(services)
    wizard.save_step(ad_id, "brief", user_id=user, services=services)
    project_id = wizard.get_ad(ad_id, user_id=user, services=services).project_id
    assert wizard.open_wizard(project_id, user_id=user, services=services) == ad_id  # a refresh or another browser
    assert wizard.get_ad(ad_id, user_id=user, services=services).wizard_step == "brief"
    fresh = wizard.open_wizard(project_id, user_id=user, services=services, fresh=True)
    assert fresh != ad_id and wizard.open_wizard(project_id, user_id=user, services=services) == fresh
    with pytest.raises(ValidationError):
        wizard.save_step(ad_id, "nowhere", user_id=user, services=services)


def test_other_people_cannot_see_an_ad_and_viewers_cannot_change_it(services: Services) -> None:
    user, ad_id = new_ad(services)
    stranger, viewer = ensure_user(services.db, "x@example.com"), ensure_user(services.db, "v@example.com")
    with pytest.raises(NotFound):
        wizard.get_ad(ad_id, user_id=stranger, services=services)
    project_id = wizard.get_ad(ad_id, user_id=user, services=services).project_id
    with services.db.session() as session:
        session.add(ProjectMember(project_id=project_id, user_id=viewer, role="viewer"))
    assert wizard.get_ad(ad_id, user_id=viewer, services=services).id == ad_id
    with pytest.raises(PermissionDenied):
        product.save_product_info(ad_id, name="Mine now", brand="", user_id=viewer, services=services)


def test_uploads_of_someone_without_the_right_store_nothing(services: Services) -> None:
    user, ad_id = new_ad(services)
    stranger, viewer = ensure_user(services.db, "x@example.com"), ensure_user(services.db, "v@example.com")
    project_id = wizard.get_ad(ad_id, user_id=user, services=services).project_id
    with services.db.session() as session:
        session.add(ProjectMember(project_id=project_id, user_id=viewer, role="viewer"))
    for who, refusal in ((stranger, NotFound), (viewer, PermissionDenied)):
        with pytest.raises(refusal):
            ads_avatar.create_avatar_from_photos(ad_id, "Me", [product_png()], user_id=who, services=services)
        with pytest.raises(refusal):
            product.add_product_images(ad_id, [product_png()], user_id=who, services=services)
    assert not list(services.settings.media_dir.rglob("*.png"))


def test_product_photos_are_checked_by_content_capped_and_stored_all_or_nothing(services: Services) -> None:
    user, ad_id = new_ad(services)
    with pytest.raises(MediaRejected):
        product.add_product_images(ad_id, [product_png(), b"<html>not a photo</html>"], user_id=user, services=services)
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(AdProductImage)) == 0
    assert product.add_product_images(ad_id, [product_png()] * 4, user_id=user, services=services) == 4
    with pytest.raises(ValidationError, match="6 photos"):
        product.add_product_images(ad_id, [product_png()] * 3, user_id=user, services=services)
    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    assert all(i.image_key.startswith(f"images/ugc/{ad_id}/product-") for i in ad.product_images)
    assert services.storage.read_bytes(ad.product_images[0].image_key)[:8] == b"\x89PNG\r\n\x1a\n"


def test_product_dna_comes_from_the_photos_and_edits_are_validated(services: Services) -> None:
    user, ad_id = new_ad(services)
    product.save_product_info(ad_id, name="Glow Serum", brand="Lumi", user_id=user, services=services)
    product.add_product_images(ad_id, [product_png()], user_id=user, services=services)
    dna = product.extract_product_dna(ad_id, user_id=user, services=services)
    primary = dna.colors["primary"]
    assert primary.startswith("#") and int(primary[1:3], 16) > 200 and int(primary[5:7], 16) < 80  # the orange body
    assert dna.product_type.startswith("skincare") and "tall" in dna.shape and dna.source.startswith("offline")
    dna.colors["primary"] = "orange"
    with pytest.raises(ValidationError, match="#RRGGBB"):
        product.save_product_dna(ad_id, dna, user_id=user, services=services)
    assert wizard.get_ad(ad_id, user_id=user, services=services).product_dna.colors["primary"] == primary  # type: ignore[union-attr]


def test_an_avatar_from_the_catalog_or_from_photos_gets_character_dna(services: Services) -> None:
    user, ad_id = new_ad(services)
    ads_avatar.choose_catalog_actor(ad_id, actor_id(services), user_id=user, services=services)
    avatar = wizard.get_ad(ad_id, user_id=user, services=services).avatar
    assert avatar is not None and avatar.name == "Ava" and avatar.voice["voice_id"] == "en-us+f3"
    assert avatar.dna is not None and "#" in avatar.dna.skin and avatar.dna.hair
    with pytest.raises(ValidationError, match="between 1 and 10"):
        ads_avatar.create_avatar_from_photos(ad_id, "Me", [product_png()] * 11, user_id=user, services=services)
    portrait = (Path(__file__).resolve().parents[2] / "seeds" / "actors" / "kenji_base_08.png").read_bytes()
    ads_avatar.create_avatar_from_photos(ad_id, "Kenji lookalike", [portrait], user_id=user, services=services)
    avatar = wizard.get_ad(ad_id, user_id=user, services=services).avatar
    assert (
        avatar is not None and avatar.name == "Kenji lookalike" and avatar.actor_id is None and avatar.dna is not None
    )


def test_the_brief_is_checked_then_expanded(services: Services) -> None:
    user, ad_id = new_ad(services)
    with pytest.raises(ValidationError):
        script.save_brief(
            ad_id, BriefInput(Platform.REELS, "testimonial", "warm", 30, "  "), user_id=user, services=services
        )
    with pytest.raises(ValidationError):
        script.save_brief(
            ad_id, BriefInput(Platform.REELS, "testimonial", "warm", 90, "Long ad"), user_id=user, services=services
        )
    brief = BriefInput(
        Platform.REELS, "problem-solution", "energetic", 30, "Earbuds that last all day, tired of dead batteries"
    )
    script.save_brief(ad_id, brief, user_id=user, services=services)
    creative = script.expand_brief(ad_id, user_id=user, services=services)
    assert creative.pain_point == "dead batteries" and creative.selling_points and creative.call_to_action


def test_the_script_follows_150_words_a_minute(services: Services) -> None:
    user, ad_id = scripted_ad(services, duration_s=30)
    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    assert len(ad.scenes) == 6 and sum(s.script.duration_s for s in ad.scenes) == 30
    for scene in ad.scenes:
        assert 0 < scene.script.word_count <= scene.max_words <= 20
    assert ad.scenes[0].script.scene_type.value == "hook" and ad.scenes[-1].script.scene_type.value == "cta"
    assert sum(s.script.product_visibility.value != "none" for s in ad.scenes) / 6 >= 0.8


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        ("{not json", "not valid JSON, so nothing was saved"),
        ('{"title": "x", "scenes": []}', "has no scenes, so nothing was saved"),
        (
            '{"title": "x", "scenes": [{"scene_type": "hook", "duration_seconds": 5, "action": "a", "dialogue": "'
            + " ".join(["word"] * 40)
            + '"}]}',
            "40 words; even 8 s holds at most",  # at the offline voice's measured pace (core.services.ads.pacing)
        ),
        (
            '{"title": "x", "scenes": [{"scene_type": "hook", "duration_seconds": 5, "action": "a", "dialogue": "hi"},'
            ' {"scene_type": "dance", "duration_seconds": 5, "action": "a"}]}',
            "Scene 2's type must be one of",
        ),
    ],
    ids=["not-json", "no-scenes", "too-many-words", "bad-second-scene"],
)
def test_a_malformed_script_answer_stores_nothing(tmp_path: Path, db: Database, answer: str, says: str) -> None:
    services = ugc_services(ugc_settings(tmp_path / "data"), db)
    user, ad_id = scripted_ad(services)
    before = _scene_rows(services, ad_id)
    broken = Writer(answer)
    services.providers.choices["llm"] = services.providers.choices["llm"].__class__(
        "llm", broken, "broken", "broken", key_present=False
    )
    with pytest.raises(ValidationError, match=re.escape(says)):
        script.generate_script(ad_id, user_id=user, services=services)
    assert broken.submits == 1
    assert _scene_rows(services, ad_id) == before  # the old script, untouched: not even scene 1 of the new one


def test_scene_edits_are_checked_tracked_and_reset(services: Services) -> None:
    user, ad_id = scripted_ad(services)
    first, second = (s.id for s in wizard.get_ad(ad_id, user_id=user, services=services).scenes[:2])
    before = _scene_rows(services, ad_id)
    with pytest.raises(ValidationError, match="words"):
        ads_scenes.edit_scene(first, {"dialogue": " ".join(["very"] * 40)}, user_id=user, services=services)
    with pytest.raises(ValidationError, match="cannot be edited"):
        ads_scenes.edit_scene(first, {"seed": 3}, user_id=user, services=services)
    assert _scene_rows(services, ad_id) == before
    assert ads_scenes.edit_scene(second, {"dialogue": "It just works, every time."}, user_id=user, services=services)
    assert not ads_scenes.edit_scene(
        second, {"dialogue": "It just works, every time."}, user_id=user, services=services
    )
    assert _edited(services, ad_id, user) == [2]
    ads_scenes.reset_scene(second, user_id=user, services=services)
    assert _edited(services, ad_id, user) == []
    assert _scene_rows(services, ad_id) == before


def test_an_edit_changes_only_that_scenes_fingerprints(services: Services) -> None:
    user, ad_id = scripted_ad(services)

    def fingerprints() -> list[tuple[str, str]]:
        from core.adapters.db.models.ads import Ad

        with services.db.session() as session:
            ad = session.get(Ad, ad_id)
            ctx = assets.load_context(session, ad, services.settings)  # type: ignore[arg-type]
            return [
                (
                    assets.fingerprint(AssetKind.FRAME, assets.frame_inputs(ctx, s)),
                    assets.fingerprint(AssetKind.AUDIO, assets.audio_inputs(ctx, s) or {}),
                )
                for s in wizard.scenes_of(session, ad_id)
            ]

    before = fingerprints()
    third = wizard.get_ad(ad_id, user_id=user, services=services).scenes[2].id
    ads_scenes.edit_scene(third, {"dialogue": "Okay, go get it."}, user_id=user, services=services)
    after = fingerprints()
    assert after[:2] == before[:2]
    assert after[2][0] == before[2][0] and after[2][1] != before[2][1]  # a new line: new voice, same storyboard


def test_batch_generation_carries_on_past_a_scene_that_cannot_be_done(services: Services) -> None:
    user, ad_id = scripted_ad(services)
    scenes = wizard.get_ad(ad_id, user_id=user, services=services).scenes
    ads_scenes.edit_scene(scenes[1].id, {"dialogue": ""}, user_id=user, services=services)
    outcomes = studio.generate_all(ad_id, AssetKind.AUDIO, user_id=user, services=services)
    assert [(o.scene_number, o.state) for o in outcomes] == [(1, "queued"), (2, "skipped"), (3, "queued")]
    assert "no line" in outcomes[1].message
    services.queue.drain()
    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    assert [s.audio is not None and s.audio.status.value for s in ad.scenes] == ["ready", False, "ready"]
    clips = studio.generate_all(ad_id, AssetKind.CLIP, user_id=user, services=services)
    assert {o.state for o in clips} == {"skipped"}  # no storyboard yet: each scene says so, none crashes
    assert "storyboard frame" in clips[0].message


def test_media_of_an_ad_is_served_only_to_people_who_may_see_it(services: Services) -> None:
    user, ad_id = new_ad(services)
    product.add_product_images(ad_id, [product_png()], user_id=user, services=services)
    key = wizard.get_ad(ad_id, user_id=user, services=services).product_images[0].image_key
    assert media.media_bytes(key, user_id=user, services=services)[:4] == b"\x89PNG"
    with pytest.raises(NotFound):
        media.media_bytes(key, user_id=ensure_user(services.db, "nosy@example.com"), services=services)
