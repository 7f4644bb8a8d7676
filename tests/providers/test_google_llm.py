"""Gemini script writing and image analysis with a JSON response schema, against the Google stub."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.adapters.providers.google_common import make_genai_client
from core.adapters.providers.google_llm import GoogleScriptWriter, GoogleVisionAnalyzer
from core.errors import ProviderError, TransientError
from core.ports import ScriptRequest, ScriptTask, VisionRequest, VisionTask
from tests.stubs import GoogleStub

SCHEMA = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "scenes": {
            "type": "array",
            "minItems": 2,
            "items": {
                "type": "object",
                "properties": {"type": {"enum": ["hook", "demo", "cta"]}, "duration_s": {"type": "number"}},
            },
        },
    },
    "required": ["title", "scenes"],
}


@pytest.fixture
def google() -> Iterator[GoogleStub]:
    with GoogleStub() as stub:
        yield stub


def _client(google: GoogleStub, http: httpx.Client, key: str = "test-key"):  # type: ignore[no-untyped-def]
    return make_genai_client(key, http=http, base_url=google.url, timeout_s=2.0)


def _request() -> ScriptRequest:
    return ScriptRequest(
        task=ScriptTask.SCRIPT,
        instructions="Write a UGC ad script.",
        prompt="Serum, 15 s, TikTok",
        schema=SCHEMA,
        seed=3,
    )


def _run(provider, request, tmp_path: Path):  # type: ignore[no-untyped-def]
    submission = provider.submit(request)
    return provider.collect(request, provider.poll(submission.request_id), tmp_path)


def test_the_script_comes_back_as_json_shaped_by_the_schema(
    google: GoogleStub, http: httpx.Client, tmp_path: Path
) -> None:
    writer = GoogleScriptWriter(_client(google, http), model="gemini-2.5-flash", price_per_call=0.002)
    answer = _run(writer, _request(), tmp_path)
    data = json.loads(answer.text)
    assert data["scenes"][0]["type"] == "hook" and len(data["scenes"]) == 2
    assert google.last_schema == SCHEMA  # the schema reached the model as sent
    assert google.created_count() == 1 and writer.cost_usd(_request(), answer) == 0.002


def test_vision_sends_the_images_and_returns_json(
    google: GoogleStub, http: httpx.Client, tmp_path: Path, image_path: Path
) -> None:
    analyzer = GoogleVisionAnalyzer(_client(google, http), model="gemini-2.5-flash", price_per_call=0.002)
    request = VisionRequest(
        task=VisionTask.PRODUCT_DNA,
        images=(image_path,),
        hint="Glow serum",
        schema={"type": "object", "properties": {"colours": {"type": "array", "items": {"type": "string"}}}},
    )
    answer = _run(analyzer, request, tmp_path)
    assert json.loads(answer.text) == {"colours": ["text"]}
    _, sent = google.requests[-1]
    parts = sent.json()["contents"][0]["parts"]
    assert any("inlineData" in p or "inline_data" in p for p in parts)


def test_refusals_and_rate_limits_are_translated(google: GoogleStub, http: httpx.Client, tmp_path: Path) -> None:
    writer = GoogleScriptWriter(_client(google, http), model="gemini-2.5-flash", price_per_call=0.002)
    google.faults.add("generate", "fail")
    with pytest.raises(ProviderError, match="refused"):
        _run(writer, _request(), tmp_path)
    google.faults.add("generate", "rate_limit", retry_after_s=2)
    with pytest.raises(TransientError):
        _run(writer, _request(), tmp_path)
    wrong_key = GoogleScriptWriter(_client(google, http, key="wrong"), model="gemini-2.5-flash", price_per_call=0.002)
    with pytest.raises(ProviderError) as refused:
        _run(wrong_key, _request(), tmp_path)
    assert not isinstance(refused.value, TransientError)
