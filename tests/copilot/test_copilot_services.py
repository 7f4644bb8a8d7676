"""Copilot services on SQLite and PostgreSQL: chats and rights, a conversation from "hi" to a
finished offline ad with an approval in between, refinement remaking only the changed
scene, the content guard, attachments checked like wizard uploads, the spend backstop and
the ledger, stopped and broken answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from core.adapters.db.database import Database
from core.adapters.db.models.copilot import CopilotMessage
from core.adapters.db.models.jobs import CostRecord
from core.adapters.providers.google.common import make_genai_client
from core.adapters.providers.google.copilot import GoogleCopilot
from core.domain.copilot import MessageKind, Mode
from core.errors import ContentBlocked, NotFound, PermissionDenied, ValidationError
from core.ports import Intent
from core.ports_services import Services
from core.services.accounts import team
from core.services.accounts.identity import ensure_user
from core.services.ads import wizard
from core.services.copilot import chats, facts, pipeline, turns
from core.services.talking.projects import create_project
from core.services.usage.spend import CostCeilingReached
from seeds.loader import seed_actors
from tests.copilot.support import copilot_services, drain_to
from tests.stubs import GoogleStub
from tests.ugc_support import product_png, ugc_settings

ENDS = {"review", "completed", "failed", "needs_attention"}


@pytest.fixture
def studio(tmp_path: Path, db: Database) -> Iterator[Services]:
    services = copilot_services(ugc_settings(tmp_path / "data", ugc_storyboard_similarity_min=0.0), db)
    seed_actors(services, with_previews=False)
    yield services


@pytest.fixture
def owner(studio: Services) -> str:
    return ensure_user(studio.db, "owner@example.com")


@pytest.fixture
def project(studio: Services, owner: str) -> str:
    return create_project("Launch", owner_id=owner, services=studio).id


def _say(studio: Services, chat: str, user: str, text: str, **kw: object) -> turns.Turn:
    turn = turns.send(chat, text, user_id=user, services=studio, **kw)  # type: ignore[arg-type]
    if turn.reply is not None:
        "".join(turn.reply)
    return turn


def _messages(studio: Services, chat: str, user: str) -> list[tuple[str, str, str]]:
    return [(m.role, m.kind.value, m.text) for m in chats.get_chat(chat, user_id=user, services=studio).messages]


def test_chats_are_made_renamed_listed_and_deleted_with_project_rights(
    studio: Services, owner: str, project: str
) -> None:
    viewer, editor = (ensure_user(studio.db, f"{n}@example.com") for n in ("viewer", "editor"))
    stranger = ensure_user(studio.db, "stranger@example.com")
    team.invite_member(project, "viewer@example.com", "viewer", user_id=owner, services=studio)
    team.invite_member(project, "editor@example.com", "editor", user_id=owner, services=studio)
    chat = chats.create_chat(project, user_id=owner, services=studio)
    _say(studio, chat, owner, "what makes a good hook for a serum ad?")
    assert chats.get_chat(chat, user_id=owner, services=studio).title == "what makes a good hook for a serum ad?"
    chats.rename_chat(chat, "  Serum   ideas ", user_id=owner, services=studio)
    assert [c.title for c in chats.list_chats(project, user_id=owner, services=studio)] == ["Serum ideas"]

    seen = chats.get_chat(chat, user_id=viewer, services=studio)
    assert len(seen.messages) == 2 and not seen.can_edit
    with pytest.raises(PermissionDenied):
        turns.send(chat, "hi", user_id=viewer, services=studio)
    with pytest.raises(PermissionDenied):
        chats.rename_chat(chat, "mine", user_id=viewer, services=studio)
    with pytest.raises(PermissionDenied):
        chats.create_chat(project, user_id=viewer, services=studio)
    assert chats.get_chat(chat, user_id=editor, services=studio).can_edit
    _say(studio, chat, editor, "hello")
    for attempt in (
        lambda: chats.get_chat(chat, user_id=stranger, services=studio),
        lambda: turns.send(chat, "hi", user_id=stranger, services=studio),
        lambda: chats.delete_chat(chat, user_id=stranger, services=studio),
        lambda: chats.list_chats(project, user_id=stranger, services=studio),
    ):
        with pytest.raises(NotFound):
            attempt()
    assert len(_messages(studio, chat, owner)) == 4
    with pytest.raises(ValidationError):
        chats.rename_chat(chat, "   ", user_id=owner, services=studio)
    chats.delete_chat(chat, user_id=editor, services=studio)
    assert chats.list_chats(project, user_id=owner, services=studio) == []
    with studio.db.session() as session:
        assert session.scalars(select(CopilotMessage).where(CopilotMessage.chat_id == chat)).all() == []


def test_from_hi_to_a_finished_ad_with_an_approval_in_between(studio: Services, owner: str, project: str) -> None:
    chat = chats.create_chat(project, user_id=owner, services=studio)
    assert _say(studio, chat, owner, "hi").intent is Intent.CHAT
    turn = _say(studio, chat, owner, "make me a 20 s TikTok for this serum with Ava, hook on dull skin")
    assert turn.intent is Intent.VIDEO_NEEDS_INPUT
    assert (
        turn.reply is not None and turn.reply.text == "To make the ad I still need " + facts.ASK["product photo"] + "."
    )
    with studio.db.session() as session:
        known = facts.facts_of(session, session.get(chats.CopilotChat, chat))
        assert facts.mode_of(known, {"video": True}) is Mode.NEEDS_INPUT
    turn = _say(studio, chat, owner, "", files=[product_png()])
    assert turn.reply is not None and turn.reply.text.endswith(facts.ASK["go"] + ".")
    with studio.db.session() as session:
        assert facts.mode_of(facts.facts_of(session, session.get(chats.CopilotChat, chat)), {}) is Mode.READY
    assert _say(studio, chat, owner, "make it").intent is Intent.VIDEO_READY

    ad_id = chats.get_chat(chat, user_id=owner, services=studio).ad_id
    assert ad_id and wizard.open_wizard(project, user_id=owner, services=studio) == ad_id  # the wizard resumes it
    ad = wizard.get_ad(ad_id, user_id=owner, services=studio)
    assert ad.product_name == "Serum" and ad.avatar and ad.avatar.name == "Ava" and ad.product_dna
    assert ad.options["brief"]["platform"] == "tiktok" and ad.options["brief"]["duration_s"] == 20
    assert "dull skin" in ad.options["brief"]["prompt"]
    assert drain_to(studio, ENDS, ad_id, user_id=owner) == "review"
    assert pipeline.sync_progress(chat, user_id=owner, services=studio)
    assert not pipeline.sync_progress(chat, user_id=owner, services=studio)  # announced once
    assert _say(studio, chat, owner, "looks good").posted == ["approved"]
    assert drain_to(studio, ENDS, ad_id, user_id=owner) == "completed"
    pipeline.sync_progress(chat, user_id=owner, services=studio)
    kinds = [k for role, k, _ in _messages(studio, chat, owner) if role == "assistant"]
    assert kinds == ["text", "text", "text", "progress", "storyboard", "progress", "video"]
    assert wizard.get_ad(ad_id, user_id=owner, services=studio).outputs[0].video_key
    with studio.db.session() as session:
        ledger = session.scalars(select(CostRecord).where(CostRecord.capability == "copilot")).all()
    assert len(ledger) == 6 and {r.provider for r in ledger} == {"local:copilot"}  # 5 intents, 1 answer (to "hi")
    assert sum(r.amount_usd for r in ledger) == 0


def test_a_refinement_after_the_ad_is_done_remakes_only_the_changed_scene(
    studio: Services, owner: str, project: str
) -> None:
    chat = chats.create_chat(project, user_id=owner, services=studio)
    _say(studio, chat, owner, "a 15 s reel for my serum with Maya", files=[product_png()])
    _say(studio, chat, owner, "go ahead")
    ad_id = chats.get_chat(chat, user_id=owner, services=studio).ad_id
    assert ad_id and drain_to(studio, ENDS, ad_id, user_id=owner) == "review"
    _say(studio, chat, owner, "approve")
    assert drain_to(studio, ENDS, ad_id, user_id=owner) == "completed"
    clips, voices = studio.providers.image_to_video, studio.providers.speech
    before = (clips.submits, voices.submits, studio.providers.image_gen.submits)  # type: ignore[attr-defined]
    dialogue = {s.number: s.script.dialogue for s in wizard.get_ad(ad_id, user_id=owner, services=studio).scenes}
    turn = _say(studio, chat, owner, "make scene 2 punchier")
    assert "Making scene(s) 2 again" in turn.posted[0]
    status = drain_to(studio, ENDS, ad_id, user_id=owner)
    ad = wizard.get_ad(ad_id, user_id=owner, services=studio)
    assert status == "completed", ad.error
    after = {s.number: s.script.dialogue for s in ad.scenes}
    assert after[2] != dialogue[2] and after[2].endswith("!")
    assert {n: d for n, d in after.items() if n != 2} == {n: d for n, d in dialogue.items() if n != 2}
    assert voices.submits - before[1] == 1  # one new voice line: scene 2's  # type: ignore[attr-defined]
    assert studio.providers.image_gen.submits == before[2]  # no storyboard redrawn  # type: ignore[attr-defined]


def test_a_refused_message_or_a_bad_photo_changes_nothing(studio: Services, owner: str, project: str) -> None:
    chat = chats.create_chat(project, user_id=owner, services=studio)
    with pytest.raises(ContentBlocked):
        turns.send(chat, "make a video about gore", user_id=owner, services=studio)
    with pytest.raises(ValidationError):
        turns.send(chat, "here is my product", files=[b"<html>not an image</html>"], user_id=owner, services=studio)
    with pytest.raises(ValidationError):
        turns.send(chat, "   ", user_id=owner, services=studio)
    assert _messages(studio, chat, owner) == []
    with studio.db.session() as session:
        assert session.scalars(select(CostRecord)).all() == []


def test_avatar_photos_from_the_chat_become_the_ads_avatar(studio: Services, owner: str, project: str) -> None:
    chat = chats.create_chat(project, user_id=owner, services=studio)
    turn = _say(studio, chat, owner, "this is me", files=[product_png(colour=(200, 150, 120))], as_avatar=True)
    [message] = [m for m in chats.get_chat(chat, user_id=owner, services=studio).messages if m.role == "user"]
    ad = wizard.get_ad(chats.get_chat(chat, user_id=owner, services=studio).ad_id or "", user_id=owner, services=studio)
    assert ad.avatar is not None and message.attachments == ad.avatar.reference_keys
    assert turn.intent is Intent.VIDEO_NEEDS_INPUT and "product photo" in (turn.reply.text if turn.reply else "")


@pytest.fixture
def google() -> Iterator[GoogleStub]:
    with GoogleStub() as stub:
        yield stub


def _gemini(google: GoogleStub) -> GoogleCopilot:
    def fresh():  # type: ignore[no-untyped-def]
        http = httpx.Client(timeout=5.0)
        return make_genai_client("test-key", http=http, base_url=google.url, timeout_s=5.0), http

    client = make_genai_client("test-key", http=httpx.Client(timeout=5.0), base_url=google.url, timeout_s=5.0)
    return GoogleCopilot(client, fresh_client=fresh, model="gemini-2.5-flash", price_per_call=0.25)


def test_paid_copilot_calls_are_ledgered_and_stop_at_the_ceiling(
    tmp_path: Path, db: Database, google: GoogleStub
) -> None:
    settings = ugc_settings(tmp_path / "data", daily_cost_ceiling_usd=0.6, gemini_api_key=SecretStr("test-key"))
    studio = copilot_services(settings, db, copilot=_gemini(google))
    owner = ensure_user(studio.db, "payer@example.com")
    chat = chats.create_chat(create_project("P", owner_id=owner, services=studio).id, user_id=owner, services=studio)
    google.json_answers.append({"label": "CHAT", "action": "none", "clear_go": False})
    turn = _say(studio, chat, owner, "what makes a good hook?")
    assert turn.reply is not None and turn.reply.text == google.stream_text
    with studio.db.session() as session:
        assert [r.amount_usd for r in session.scalars(select(CostRecord))] == [0.25, 0.25]  # intent, answer
    google.json_answers.append({"label": "CHAT", "action": "none", "clear_go": False})
    turn = turns.send(chat, "and the CTA?", user_id=owner, services=studio)  # intent: 0.75 committed now
    assert turn.reply is not None
    with pytest.raises(CostCeilingReached):
        "".join(turn.reply)  # the answer would be a paid call past the ceiling: never sent
    assert google.count("stream") == 1 and google.count("generate") == 2


def test_a_stopped_answer_is_saved_as_stopped_and_a_cut_one_as_an_error_with_a_retry(
    tmp_path: Path, db: Database, google: GoogleStub
) -> None:
    studio = copilot_services(ugc_settings(tmp_path / "data"), db, copilot=_gemini(google))
    owner = ensure_user(studio.db, "talker@example.com")
    chat = chats.create_chat(create_project("P", owner_id=owner, services=studio).id, user_id=owner, services=studio)
    google.json_answers.extend([{"label": "CHAT", "action": "none", "clear_go": False}] * 3)
    turn = turns.send(chat, "tell me about hooks", user_id=owner, services=studio)
    assert turn.reply is not None
    stream = turn.reply.chunks()
    first = next(stream)
    turn.reply.stop()
    assert list(stream) == []  # stops at the next chunk
    last = chats.get_chat(chat, user_id=owner, services=studio).messages[-1]
    assert last.stopped and last.text == first + " … (stopped)"

    google.faults.add("stream", "cut")
    turn = turns.send(chat, "and CTAs?", user_id=owner, services=studio)
    with pytest.raises(Exception) as broken:
        "".join(turn.reply or [])
    assert "dropped" in str(broken.value)
    last = chats.get_chat(chat, user_id=owner, services=studio).messages[-1]
    assert last.kind is MessageKind.ERROR and "broke off" in last.text
    again = turns.retry(chat, user_id=owner, services=studio)
    assert again.reply is not None and "".join(again.reply) == google.stream_text
    users = [m for m in chats.get_chat(chat, user_id=owner, services=studio).messages if m.role == "user"]
    assert len(users) == 2  # the retry did not post the question twice


def test_a_models_video_ready_cannot_start_an_ad_that_lacks_a_product(
    tmp_path: Path, db: Database, google: GoogleStub
) -> None:
    studio = copilot_services(ugc_settings(tmp_path / "data"), db, copilot=_gemini(google))
    seed_actors(studio, with_previews=False)
    owner = ensure_user(studio.db, "eager@example.com")
    chat = chats.create_chat(create_project("P", owner_id=owner, services=studio).id, user_id=owner, services=studio)
    google.json_answers.append(
        {
            "label": "VIDEO_READY",
            "action": "none",
            "clear_go": True,
            "actor": "ava",
            "platform": "shorts",
            "product_name": "Glow Serum",
            "duration_s": 95,
        }
    )
    turn = _say(studio, chat, owner, "make a Shorts ad for Glow Serum with Ava now")
    assert turn.intent is Intent.VIDEO_NEEDS_INPUT and turn.reply is not None
    assert turn.reply.text == "To make the ad I still need " + facts.ASK["product photo"] + "."
    ad = wizard.get_ad(chats.get_chat(chat, user_id=owner, services=studio).ad_id or "", user_id=owner, services=studio)
    assert ad.job is None and ad.product_name == "Glow Serum" and ad.avatar and ad.avatar.name == "Ava"
    assert chats.get_chat(chat, user_id=owner, services=studio).state["duration_s"] == 60  # clamped to what ads allow
    assert google.count("stream") == 0  # a reply we wrote ourselves: no paid answer


def test_hostile_text_in_a_message_or_a_chat_name_is_cleaned_or_refused(
    studio: Services, owner: str, project: str
) -> None:
    chat = chats.create_chat(project, user_id=owner, services=studio)
    with pytest.raises(ValidationError, match="Type a message"):
        turns.send(chat, "\u200b\ufeff\u00ad", user_id=owner, services=studio)  # invisible only
    with pytest.raises(ValidationError, match="NUL"):
        turns.send(chat, "hi\x00there", user_id=owner, services=studio)
    with pytest.raises(ContentBlocked):
        turns.send(chat, "make it n\u200bude", user_id=owner, services=studio)  # a split blocked word
    with pytest.raises(ValidationError, match="name"):
        chats.rename_chat(chat, "\u200b", user_id=owner, services=studio)
    assert _messages(studio, chat, owner) == []  # nothing was stored
