"""Gemini script writing and image analysis with a JSON response schema, against the Google stub."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.adapters.providers.google.common import make_genai_client
from core.adapters.providers.google.llm import GoogleScriptWriter, GoogleVisionAnalyzer
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


def test_the_wizards_vision_and_script_schemas_give_answers_the_parsers_take(
    google: GoogleStub, http: httpx.Client, tmp_path: Path, image_path: Path
) -> None:
    """Without a schema, Gemini's free-form JSON failed the parsers and identity was never scored."""
    from core.services.ads import parse
    from core.services.ads.schemas import CHARACTER_DNA_SCHEMA, PRODUCT_DNA_SCHEMA, identity_schema
    from core.services.ads.script import SCRIPT_SCHEMA

    analyzer = GoogleVisionAnalyzer(_client(google, http), model="gemini-2.5-flash", price_per_call=0.002)
    ask = lambda task, schema, **kw: json.loads(  # noqa: E731
        _run(analyzer, VisionRequest(task, (image_path,), schema=schema, **kw), tmp_path).text
    )
    product = parse.product_dna({"product_name": "Glow", **ask(VisionTask.PRODUCT_DNA, PRODUCT_DNA_SCHEMA)})
    assert product.colors["primary"].startswith("#")
    assert parse.character_dna(ask(VisionTask.CHARACTER_DNA, CHARACTER_DNA_SCHEMA)).face
    scores = ask(VisionTask.IDENTITY, identity_schema(1), references=(image_path,))["scores"]
    assert len(scores) == 1 and 0 <= scores[0] <= 1
    writer = GoogleScriptWriter(_client(google, http), model="gemini-2.5-flash", price_per_call=0.002)
    request = ScriptRequest(ScriptTask.SCRIPT, "Write.", "Serum", schema=SCRIPT_SCHEMA)
    draft = parse.script(_run(writer, request, tmp_path).text)
    assert 2.0 <= draft.scenes[0].duration_s <= 8.0


@pytest.mark.parametrize(("given", "kept"), [(8.5, 8.0), (9.4, 8.0), (1.2, 2.0), (4.26, 4.5)])
def test_scene_lengths_just_outside_the_bounds_are_clamped(given: float, kept: float) -> None:
    from core.services.ads import parse

    scene = {"scene_type": "hook", "duration_seconds": given, "dialogue": "Okay so", "action": "holds it up"}
    assert parse.scene(scene, 1).duration_s == kept


def test_far_misses_and_lines_too_long_for_any_scene_are_refused() -> None:
    from core.errors import ValidationError
    from core.services.ads import parse

    with pytest.raises(ValidationError, match="scenes last 2-8 s"):
        parse.scene({"scene_type": "hook", "duration_seconds": 12, "action": "x"}, 1)
    long_line = " ".join(["word"] * 21)
    with pytest.raises(ValidationError, match="21 words"):
        parse.scene({"scene_type": "hook", "duration_seconds": 8, "dialogue": long_line, "action": "x"}, 1)
    grown = parse.scene({"scene_type": "hook", "duration_seconds": 4, "dialogue": " ".join(["w"] * 12),
                             "action": "x"}, 1)  # fmt: skip
    assert grown.duration_s == 5.0  # 12 words need 4.8 s at 150 words a minute: the scene grows to fit
