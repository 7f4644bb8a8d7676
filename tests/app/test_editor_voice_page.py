"""The editor's voice actions under AppTest: a voice line said again (the estimate first, bad
words refused with a plain error and nothing queued, the new version once the job is done,
undo back to the old line) and the captions rebuilt from the voice timing (undoable)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from core.adapters.db.models.jobs import Job
from core.adapters.providers.local.speech import LocalSpeechSynthesizer
from core.ports_services import ProviderChoice, Services
from core.services.editor import voice
from tests.editor_support import World, ad_edit, click, finished_ad


@pytest.fixture
def world(app_services: Services, creator: str, tmp_path: Path) -> World:
    app_services.providers.choices["speech"] = ProviderChoice(
        capability="speech", provider=LocalSpeechSynthesizer(), vendor="local", model="espeak", key_present=False
    )
    return finished_ad(app_services, tmp_path, email=app_services.settings.local_user_email)


@pytest.fixture
def editor(open_page: Callable[..., AppTest], world: World) -> AppTest:
    at = open_page("pages/editor.py", editor_open=("ad_output", world.output_id))
    assert not at.exception, at.exception
    return at


def _widget(at: AppTest, kind: str, name: str):  # type: ignore[no-untyped-def]
    found = [x for x in getattr(at, kind) if x.key and x.key.startswith(name + "_v")]
    found = found or [x for x in getattr(at, kind) if x.key and x.key.startswith(name + "_")]
    assert found, f"no {kind} {name!r}"
    return found[0]


def _text(at: AppTest, kind: str) -> str:
    return " ".join(str(e.value) for e in getattr(at, kind))


def _jobs(services: Services) -> int:
    with services.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Job).where(Job.kind == voice.VOICE_JOB)) or 0)


def test_a_voice_line_is_said_again_from_the_audio_tab(editor: AppTest, app_services: Services, world: World) -> None:
    before = ad_edit(app_services, world)
    assert _widget(editor, "text_area", "ed_line_text").value == "line 1"
    assert "Estimated cost: free" in _text(editor, "caption")
    for bad, message in (("x" * 10_000, "up to 600 characters"), ("Glow\x00 works", "control character")):
        _widget(editor, "text_area", "ed_line_text").set_value(bad)
        click(editor, "Say it again")
        assert message in _text(editor, "error")
    assert _jobs(app_services) == 0 and ad_edit(app_services, world).version == before.version
    _widget(editor, "text_area", "ed_line_text").set_value("Glow works in one week")
    click(editor, "Say it again")
    assert _jobs(app_services) == 1
    assert editor.get("progress")  # queued: shown until a worker says it
    app_services.queue.drain()  # type: ignore[attr-defined]
    editor.run()
    editor.run()  # the watcher saw the job end and redrew the page on the new version
    assert not editor.exception
    after = ad_edit(app_services, world)
    assert after.version == before.version + 1
    assert after.document.voice.items[0].text == "Glow works in one week"
    assert "New words for Line 1" in _text(editor, "caption")
    assert "Said again" in _text(editor, "caption")
    click(editor, "Undo")
    assert ad_edit(app_services, world).document == before.document


def test_captions_are_rebuilt_from_the_voice(editor: AppTest, app_services: Services, world: World) -> None:
    before = ad_edit(app_services, world)
    click(editor, "Regenerate all captions from the voice")
    after = ad_edit(app_services, world)
    assert [c.text for c in after.document.captions] == ["line 1", "line 2"]
    assert after.document.caption_style == before.document.caption_style
    assert "Saved: Captions from the voice timing" in editor.success[0].value
    click(editor, "Undo")
    assert ad_edit(app_services, world).document == before.document


def test_a_cloud_estimate_and_a_possibly_charged_line_are_shown(
    open_page: Callable[..., AppTest], app_services: Services, world: World
) -> None:
    view = ad_edit(app_services, world)
    with app_services.db.session() as session:  # a line whose answer was lost at the voice service
        session.add(
            Job(
                owner_id=world.owner,
                kind=voice.VOICE_JOB,
                subject_id=view.id,
                status="failed",
                payload={"item_id": view.document.voice.items[0].id, "text": "Lost words", "estimate_usd": 0.01},
                error={"code": voice.MAY_HAVE_STARTED, "message": "The voice service may have started it."},
            )
        )
    app_services.providers.choices["speech"] = ProviderChoice(  # a cloud voice, priced by the settings
        capability="speech", provider=LocalSpeechSynthesizer(), vendor="google", model="gemini-tts", key_present=True
    )
    app_services.settings.prices.google_tts_per_second = 0.015
    cost = voice.estimate_line("line 1", user_id=world.owner, services=app_services)
    assert cost > 0.001
    at = open_page("pages/editor.py", editor_open=("ad_output", world.output_id))
    assert f"Estimated cost: about ${cost:.3f}" in _text(at, "caption")
    warning = _text(at, "warning")
    assert "“Lost words”" in warning and "not sent again" in warning and "charged a second time" in warning
    assert ad_edit(app_services, world).version == view.version


def test_a_line_running_into_the_next_is_pointed_out(app_services: Services, world: World) -> None:
    from dataclasses import replace

    from components.editor.voice_panel import overlaps

    doc = ad_edit(app_services, world).document
    assert overlaps(doc) == []
    first, second = doc.voice.items
    longer = replace(first, source_s=3.2, out_s=3.2)  # 0.12 + 3.2 s ends 0.52 s after line 2 starts
    notes = overlaps(replace(doc, voice=replace(doc.voice, items=(longer, second))))
    assert notes == ["Line 1 runs 0.5 s into Line 2; shorter words fit better."]
