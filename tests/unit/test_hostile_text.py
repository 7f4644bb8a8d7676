"""Odd or hostile text through every field: normalized before any check, refused in plain words, nothing stored."""

from __future__ import annotations

import re

import pytest
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import func, select

from core.adapters.db.models.jobs import Job
from core.adapters.db.models.projects import Project
from core.adapters.db.models.talking import VideoAsset
from core.adapters.media import captions
from core.domain import text as text_rules
from core.domain.ads import BriefInput, Platform
from core.errors import ContentBlocked, ValidationError
from core.ports_services import Services
from core.services.ads import script as ads_script
from core.services.safety import content_guard
from core.services.talking import projects, variants, videos
from core.services.talking.videos import VideoRequest
from tests.fakes import add_actor
from tests.ugc_support import new_ad

INVISIBLE = "\u200b\ufeff\u00ad\u2060"


def test_clean_normalizes_drops_format_characters_and_refuses_controls() -> None:
    assert text_rules.clean("Cafe\u0301") == "Café"  # NFC: one code point
    assert text_rules.clean("\ufeffsun\u200bscreen\u00ad!") == "sunscreen!"
    assert text_rules.clean("a\r\nb") == "a\nb"
    assert text_rules.clean("a\tb\nc", multiline=False) == "a b c"
    assert text_rules.clean("می\u200cخواهم") == "می\u200cخواهم"  # Persian needs its zero-width non-joiner
    for bad, name in (("hi\x00there", "NUL"), ("bell\x07", "U+0007"), ("esc\x1b[31m", "U+001B")):
        with pytest.raises(ValidationError, match=re.escape(name)):
            text_rules.clean(bad, field="script")
    with pytest.raises(ValidationError, match="Write it"):
        text_rules.required(INVISIBLE, field="script", message="Write it")


def test_emoji_are_not_spoken_nor_counted() -> None:
    line = "Love it 😍🔥 so much ✨ 👍🏽 🇺🇸 👨‍👩‍👧"
    assert text_rules.speakable(line) == "Love it so much"
    assert text_rules.word_count(line) == 4
    assert videos.spoken_seconds(line, 150) == pytest.approx(4 * 60 / 150)
    assert captions.clean_text(line) == "Love it so much", "captions show what the voice says"


@pytest.mark.parametrize("disguised", ["nu\u200bde", "na\u00adked", "\ufeffgore", "self\u200b-\u200dharm", "ＮＵＤＥ"])
def test_the_content_guard_sees_through_invisible_characters(disguised: str, settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ContentBlocked):
        content_guard.check_texts(settings, script=f"look at this {disguised} scene")


def test_gorgeous_is_still_not_gore(settings) -> None:  # type: ignore[no-untyped-def]
    content_guard.check_texts(settings, script="gor\u200bgeous light")


def _count(services: Services, model: type) -> int:
    with services.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (INVISIBLE, "Write the script"),
        ("Hello\x00 world", "NUL"),  # PostgreSQL cannot store NUL: refused before it gets there
        ("😍🔥✨", "nothing the actor can say"),
    ],
)
def test_hostile_scripts_are_refused_and_nothing_is_stored(
    services: Services, owner: str, script: str, message: str
) -> None:
    project_id = projects.create_project("Launch", owner_id=owner, services=services).id
    actor_id = add_actor(services)
    with pytest.raises(ValidationError, match=message):
        videos.create_video(VideoRequest(project_id, actor_id, script=script), user_id=owner, services=services)
    assert _count(services, VideoAsset) == 0 and _count(services, Job) == 0
    assert services.queue.enqueued == []  # type: ignore[attr-defined]


def test_an_invisible_image_prompt_is_not_sent_to_a_provider(services: Services, owner: str) -> None:
    project_id = projects.create_project("Launch", owner_id=owner, services=services).id
    actor_id = add_actor(services)
    request = VideoRequest(project_id, actor_id, script="Hi there.", image_prompt=INVISIBLE)
    with pytest.raises(ValidationError, match="Describe the new setting"):
        videos.create_video(request, user_id=owner, services=services)
    with pytest.raises(ValidationError, match="Describe the new setting"):
        variants.clean_prompt("\u200b", 200)
    assert _count(services, VideoAsset) == 0


def test_titles_are_cleaned_and_refused_when_invisible(services: Services, owner: str) -> None:
    project = projects.create_project("\ufeffSummer\u200b launch\u00ad", owner_id=owner, services=services)
    assert project.title == "Summer launch"
    for bad in (INVISIBLE, "Title\x00"):
        with pytest.raises(ValidationError):
            projects.create_project(bad, owner_id=owner, services=services)
    assert _count(services, Project) == 1


def test_the_brief_is_cleaned_before_it_is_checked(services: Services) -> None:
    user, ad_id = new_ad(services)
    with pytest.raises(ValidationError, match="Describe the ad"):
        ads_script.save_brief(
            ad_id, BriefInput(Platform.REELS, "testimonial", "warm", 30, INVISIBLE), user_id=user, services=services
        )
    with pytest.raises(ContentBlocked):
        ads_script.save_brief(
            ad_id,
            BriefInput(Platform.REELS, "testimonial", "warm", 30, "a nu\u200bde ad"),
            user_id=user,
            services=services,
        )


def _render(font: ImageFont.FreeTypeFont, char: str) -> bytes:
    image = Image.new("L", (64, 64))
    ImageDraw.Draw(image).text((4, 4), char, font=font, fill=255)
    return image.tobytes()


def test_cjk_captions_use_a_font_that_has_the_glyphs() -> None:
    assert captions.font_for("Hello there") == captions.FONT
    path = captions.font_for("你好，世界")
    assert path != captions.FONT and path.is_file()
    assert captions.font_for("こんにちは") == path and captions.font_for("안녕하세요") == path
    dejavu = ImageFont.truetype(str(captions.FONT), 40)
    noto = ImageFont.truetype(str(path), 40)
    # With no glyph every character draws the same empty box; with glyphs they differ.
    assert _render(dejavu, "你") == _render(dejavu, "好"), "DejaVu has no CJK glyphs (the bug)"
    assert _render(noto, "你") != _render(noto, "好")
    assert _render(noto, "你") != _render(noto, " ")
    lines = captions.wrap("这是一个很长的中文字幕用于测试换行是否正确工作", 40, 300)
    assert len(lines) > 1 and all(noto.getlength(line) <= 300 for line in lines)


def test_a_typed_script_of_invisible_characters_is_refused_and_stores_nothing(tmp_path, db) -> None:  # type: ignore[no-untyped-def]
    from core.services.ads import wizard
    from tests.ugc_support import scripted_ad, ugc_services, ugc_settings

    services = ugc_services(ugc_settings(tmp_path / "data"), db)
    user, ad_id = scripted_ad(services)
    before = wizard.get_ad(ad_id, user_id=user, services=services).scenes
    with pytest.raises(ValidationError, match="one line per scene"):
        ads_script.save_typed_script(ad_id, "\u200b\ufeff\n\u00ad", user_id=user, services=services)
    assert wizard.get_ad(ad_id, user_id=user, services=services).scenes == before
