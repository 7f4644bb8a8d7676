"""The Copilot page under AppTest: a conversation from "hi" to a finished offline ad with the
storyboard approved in between, on the hand-driven queue and the real offline providers."""

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
from core.services.copilot import chats
from core.services.talking.projects import create_project
from seeds.loader import seed_actors
from tests.app.conftest import APP
from tests.copilot.support import copilot_services
from tests.ugc_support import product_png, ugc_settings


@pytest.fixture
def studio(tmp_path: Path, sqlite_db: Database) -> Iterator[Services]:
    services = copilot_services(ugc_settings(tmp_path / "data", ugc_storyboard_similarity_min=0.0), sqlite_db)
    seed_actors(services, with_previews=False)
    services._booted = True  # type: ignore[attr-defined]
    install_services(services)
    yield services
    install_services(None)


def _open(**session: object) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in session.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    at.switch_page("pages/copilot.py").run()
    assert not at.exception, at.exception
    return at


def _say(at: AppTest, text: str, *, photo: bytes | None = None) -> AppTest:
    box = at.chat_input(key="copilot_input")
    if photo is not None:
        box.upload("../../my serum.png", photo, "image/png")
    box.set_value(text)
    at.run()
    assert not at.exception, at.exception
    return at


def _bubbles(at: AppTest) -> list[str]:
    return [" ".join(m.value for m in bubble.markdown) for bubble in at.chat_message]


def _badges(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if "-badge[" in m.value]


def test_a_conversation_from_hi_to_a_finished_ad(studio: Services) -> None:
    creator = ensure_user(studio.db, studio.settings.local_user_email, display_name="Creator")
    project = create_project("Serum launch", owner_id=creator, services=studio)
    at = _open(project_id=project.id)
    assert at.title[0].value == "Copilot" and _badges(at) == [":gray-badge[Chat]"]

    _say(at, "hi")
    assert "offline copilot" in _bubbles(at)[-1]
    _say(at, "make me a 20 s TikTok for this serum with Ava, hook on dull skin")
    assert "still need a product photo" in _bubbles(at)[-1]
    assert _badges(at) == [":orange-badge[Add avatar / product]"]
    _say(at, "here it is", photo=product_png())
    assert "clear go" in _bubbles(at)[-1] and _badges(at) == [":green-badge[Ready to generate]"]
    assert len(at.chat_message[-2].image) == 1  # the photo shows in the creator's message

    _say(at, "make it")
    assert "Script written" in _bubbles(at)[-1]
    studio.queue.drain()  # type: ignore[attr-defined]
    at.run()
    assert not at.exception, at.exception
    assert "storyboard is ready" in _bubbles(at)[-1] and len(at.chat_message[-1].image) >= 3
    at.button(key="copilot_approve").click().run()
    assert not at.exception, at.exception
    studio.queue.drain()  # type: ignore[attr-defined]
    at.run()
    assert not at.exception, at.exception
    assert "Your ad is ready" in _bubbles(at)[-1]
    assert len(at.chat_message[-1].get("video")) == 1

    chat_id = at.session_state["copilot_chat_id"]
    ad_id = chats.get_chat(chat_id, user_id=creator, services=studio).ad_id
    ad = wizard.get_ad(ad_id or "", user_id=creator, services=studio)
    assert ad.status is AdStatus.COMPLETED and ad.outputs and ad.avatar and ad.avatar.name == "Ava"
    assert "my serum" not in ad.product_images[0].image_key  # the upload's name is never used

    fresh = _open(project_id=project.id)  # another browser: the same conversation from the database
    assert _bubbles(fresh) == _bubbles(at)

    open_button = next(b for b in at.button if b.label == "Open in the Mass generator")
    open_button.click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Mass generator" and at.session_state["ugc_ad_id"] == ad_id
    assert "6. Result" in [s.value for s in at.subheader]


def test_chats_are_listed_renamed_and_deleted_in_the_sidebar(studio: Services) -> None:
    creator = ensure_user(studio.db, studio.settings.local_user_email, display_name="Creator")
    project = create_project("Chats", owner_id=creator, services=studio)
    at = _open(project_id=project.id)
    _say(at, "what makes a good hook?")
    at.sidebar.button(key="copilot_new_chat").click().run()
    assert len(chats.list_chats(project.id, user_id=creator, services=studio)) == 2 and at.chat_message == []
    at.sidebar.text_input(key=f"copilot_name_{at.session_state['copilot_chat_id']}").input("Serum ideas")
    at.sidebar.button(key="copilot_rename").click().run()
    assert not at.exception, at.exception
    assert any(b.label.endswith("Serum ideas") for b in at.sidebar.button)
    at.sidebar.button(key="copilot_delete").click().run()
    assert [c.title for c in chats.list_chats(project.id, user_id=creator, services=studio)] == [
        "what makes a good hook?"
    ]
    assert "good hook" in " ".join(m.value for m in at.chat_message[0].markdown)


def test_a_broken_answer_shows_a_banner_with_a_retry(tmp_path: Path, sqlite_db: Database) -> None:
    import httpx

    from core.adapters.providers.google.common import make_genai_client
    from core.adapters.providers.google.copilot import GoogleCopilot
    from tests.stubs import GoogleStub

    with GoogleStub() as google:

        def fresh():  # type: ignore[no-untyped-def]
            http = httpx.Client(timeout=5.0)
            return make_genai_client("test-key", http=http, base_url=google.url, timeout_s=5.0), http

        client = make_genai_client("test-key", http=httpx.Client(timeout=5.0), base_url=google.url, timeout_s=5.0)
        copilot = GoogleCopilot(client, fresh_client=fresh, model="gemini-2.5-flash", price_per_call=0.002)
        services = copilot_services(ugc_settings(tmp_path / "data"), sqlite_db, copilot=copilot)
        seed_actors(services, with_previews=False)
        services._booted = True  # type: ignore[attr-defined]
        install_services(services)
        try:
            creator = ensure_user(services.db, services.settings.local_user_email, display_name="Creator")
            project = create_project("Hooks", owner_id=creator, services=services)
            google.json_answers.extend([{"label": "CHAT", "action": "none", "clear_go": False}] * 2)
            google.faults.add("stream", "cut")
            at = _open(project_id=project.id)
            _say(at, "what makes a good hook?")
            assert any("broke off" in w.value for w in at.warning)
            retry = at.button(key="copilot_retry_btn")
            retry.click().run()
            assert not at.exception, at.exception
            assert _bubbles(at)[-1] == google.stream_text
            assert google.count("stream") == 2 and google.count("generate") == 2
        finally:
            install_services(None)


def test_a_viewer_reads_a_shared_chat_but_cannot_write(studio: Services) -> None:
    from core.services.accounts import team

    owner = ensure_user(studio.db, "owner@example.com")
    me = ensure_user(studio.db, studio.settings.local_user_email, display_name="Creator")
    project = create_project("Shared", owner_id=owner, services=studio)
    team.invite_member(project.id, studio.settings.local_user_email, "viewer", user_id=owner, services=studio)
    chat = chats.create_chat(project.id, user_id=owner, services=studio)
    from core.services.copilot import turns

    "".join(turns.send(chat, "hi", user_id=owner, services=studio).reply or [])
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["project_id"] = project.id
    at.run()
    at.switch_page("pages/copilot.py")
    at.query_params["chat"] = chat
    at.run()
    assert not at.exception, at.exception
    assert me and len(at.chat_message) == 2 and not at.chat_input
    assert any("only editors" in c.value for c in at.caption)
