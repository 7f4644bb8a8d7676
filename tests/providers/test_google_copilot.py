"""The Gemini copilot against the Google stub: intent as JSON with an exact label, the 5 s
fallback (short here), streamed answers, a stream cut mid-way, a stop that closes the
connection, structured edits; and the cloud builder wired from settings."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.adapters.media.ffmpeg import FfmpegToolkit
from core.adapters.providers.google.common import make_genai_client
from core.adapters.providers.google.copilot import INTENT_SCHEMA, GoogleCopilot, parse_intent
from core.errors import TransientError
from core.ports import ChatTurn, CopilotRequest, EditRequest, Intent
from tests.conftest import make_settings
from tests.stubs import GoogleStub

MODEL = "gemini-2.5-flash"


@pytest.fixture
def google() -> Iterator[GoogleStub]:
    with GoogleStub() as stub:
        yield stub


KEPT: list[httpx.Client] = []  # held like a pool would be, so only an explicit close ends a connection


def _copilot(google: GoogleStub, *, intent_timeout_s: float = 5.0) -> GoogleCopilot:
    def fresh() -> tuple[object, httpx.Client]:
        http = httpx.Client(timeout=httpx.Timeout(5.0))
        KEPT.append(http)
        return make_genai_client("test-key", http=http, base_url=google.url, timeout_s=5.0), http

    client = make_genai_client("test-key", http=httpx.Client(timeout=5.0), base_url=google.url, timeout_s=5.0)
    return GoogleCopilot(
        client, fresh_client=fresh, model=MODEL, price_per_call=0.002, intent_timeout_s=intent_timeout_s
    )


def _ask(text: str = "make me a TikTok for this serum with Ava") -> CopilotRequest:
    return CopilotRequest(text, (ChatTurn("user", "hi"), ChatTurn("assistant", "Hello!")), {"avatar": ""})


def _sent(google: GoogleStub, label: str) -> dict:  # type: ignore[type-arg]
    return next(r for lbl, r in reversed(google.requests) if lbl == label).json()


def test_intent_is_asked_at_temperature_zero_with_an_enum_label_and_parsed_exactly(google: GoogleStub) -> None:
    google.json_answers.append(
        {"label": "VIDEO_READY", "action": "none", "clear_go": True, "platform": "tiktok", "actor": "Ava"}
    )
    answer = _copilot(google).detect_intent(_ask())
    assert answer.intent is Intent.VIDEO_READY and answer.said_go and not answer.fell_back
    assert answer.slots == {"platform": "tiktok", "actor": "Ava"}
    body = _sent(google, "generate")
    config = body.get("generationConfig") or body.get("generation_config")
    assert config["temperature"] == 0
    schema = config.get("responseJsonSchema") or config.get("response_json_schema")
    assert schema["properties"]["label"]["enum"] == ["CHAT", "VIDEO_NEEDS_INPUT", "VIDEO_READY"]
    assert [c["role"] for c in body["contents"]] == ["user", "model", "user"]  # the history goes along


@pytest.mark.parametrize(
    "label",
    ["video_ready", "VIDEO_READY.", "I think VIDEO_READY", "VIDEO_READY_NOW", " VIDEO_READY", "", None, 3],
)
def test_a_label_that_is_not_exactly_one_of_the_three_means_chat(label: object) -> None:
    answer = parse_intent(json.dumps({"label": label, "action": "none", "clear_go": True}), MODEL)
    assert answer.intent is Intent.CHAT and answer.fell_back


def test_an_answer_that_is_not_json_means_chat() -> None:
    assert parse_intent("VIDEO_READY", MODEL).intent is Intent.CHAT


def test_a_slow_intent_call_falls_back_to_chat_at_the_timeout(google: GoogleStub) -> None:
    google.faults.add("generate", "slow", delay_s=3.0)
    started = time.monotonic()
    answer = _copilot(google, intent_timeout_s=0.5).detect_intent(_ask())
    took = time.monotonic() - started
    assert answer.intent is Intent.CHAT and answer.fell_back
    assert took < 2.0, took  # the fallback came at the timeout, not when the stub finally answered


def test_an_intent_call_that_is_refused_is_an_error_not_a_silent_chat(google: GoogleStub) -> None:
    google.faults.add("generate", "server_error")
    with pytest.raises(TransientError):
        _copilot(google).detect_intent(_ask())


def test_the_answer_streams_over_sse_word_by_word(google: GoogleStub) -> None:
    chunks = list(_copilot(google).stream_answer(_ask("what makes a good hook?")))
    assert len(chunks) == len(google.stream_text.split(" ")) and "".join(chunks) == google.stream_text
    request = next(r for lbl, r in google.requests if lbl == "stream")
    assert request.arg("alt") == "sse" and google.streams_aborted == 0


def test_a_stream_cut_in_the_middle_raises_after_the_chunks_that_came(google: GoogleStub) -> None:
    google.faults.add("stream", "cut")
    google.cut_after_chunks = 3
    got: list[str] = []
    with pytest.raises(TransientError):
        for chunk in _copilot(google).stream_answer(_ask("hi")):
            got.append(chunk)
    assert len(got) == 3


def test_closing_the_stream_closes_the_connection_so_the_model_stops(google: GoogleStub) -> None:
    google.stream_text = " ".join(f"word{i}" for i in range(200))
    google.stream_delay_s = 0.02
    stream = _copilot(google).stream_answer(_ask("hi"))
    assert next(stream) and next(stream)
    stream.close()
    deadline = time.monotonic() + 3.0
    while google.streams_aborted == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert google.streams_aborted == 1
    assert google.stream_chunks_sent < 60  # far from the 200 it would have sent


def test_structured_edits_come_back_as_scene_changes(google: GoogleStub) -> None:
    google.json_answers.append(
        {
            "edits": [{"number": 2, "dialogue": "Dull skin? Not anymore!", "shot_type": "close_up"}, {"number": "x"}],
            "redo": [3],
            "summary": "Scene 2 is punchier.",
        }
    )
    scenes = ({"number": 2, "dialogue": "My skin was dull and tired every morning."},)
    answer = _copilot(google).propose_edits(EditRequest("make scene 2 punchier", scenes, {"words_per_minute": 150}))
    assert [(e.number, e.changes) for e in answer.edits] == [
        (2, {"dialogue": "Dull skin? Not anymore!", "camera": {"shot_type": "close_up"}})
    ]
    assert answer.redo == (3,) and answer.summary == "Scene 2 is punchier."
    config = _sent(google, "generate").get("generationConfig") or {}
    assert (config.get("responseJsonSchema") or config.get("response_json_schema"))["required"] == [
        "edits",
        "redo",
        "summary",
    ]


def test_the_registry_builds_the_gemini_copilot_from_settings(google: GoogleStub, tmp_path: Path) -> None:
    from pydantic import SecretStr

    from core.adapters.providers.registry import build_providers

    settings = make_settings(
        tmp_path, gemini_api_key=SecretStr("test-key"), google_base_url=google.url, copilot_intent_timeout_s=0.5
    )
    choice = build_providers(settings, media=FfmpegToolkit(), storage=None).choices["copilot"]
    assert choice.vendor == "google" and choice.model == settings.google_copilot_model
    assert choice.provider.cost_usd("intent") == settings.prices.google_copilot_per_call
    google.faults.add("generate", "slow", delay_s=2.0)
    assert choice.provider.detect_intent(_ask()).fell_back  # the timeout setting reached the adapter
    assert "".join(choice.provider.stream_answer(_ask())) == google.stream_text
    assert INTENT_SCHEMA["required"] == ["label", "action", "clear_go"]
