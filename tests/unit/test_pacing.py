"""Lines are budgeted at the speed of the voice that says them: eSpeak's measured rate offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.adapters.media.ffmpeg import FfmpegToolkit
from core.adapters.media.voice_timing import speech_of
from core.adapters.providers.local.llm import LocalScriptWriter
from core.adapters.providers.local.speech import LocalSpeechSynthesizer
from core.domain.types import Voice
from core.ports import ScriptRequest, ScriptTask
from core.services.ads import pacing
from tests.conftest import make_settings

BRIEF = {
    "platform": "tiktok",
    "style": "testimonial",
    "tone": "warm",
    "duration_s": 30,
    "prompt": (  # the brief of bench/bench_offline_ad.py
        "A vitamin C serum for busy mornings; tired of dull, tired-looking skin; light texture, fresh citrus scent"
    ),
}


def _script(rules: pacing.Pace) -> dict:  # type: ignore[type-arg]
    context = {
        "brief": BRIEF,
        "product": {"product_name": "Glow Serum", "product_type": "skincare serum"},
        "words_per_minute": rules.words_per_minute,
        "max_words_per_8s": rules.max_words_per_8s,
    }
    writer = LocalScriptWriter()
    creative = ScriptRequest(ScriptTask.CREATIVE_BRIEF, "", "", context=context)
    context["creative_brief"] = json.loads(writer.collect(creative, None, Path(".")).text)  # type: ignore[arg-type]
    request = ScriptRequest(ScriptTask.SCRIPT, "", "", context=context)
    return json.loads(writer.collect(request, None, Path(".")).text)  # type: ignore[arg-type, no-any-return]


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[float]]:
    """The offline 30 s ad's lines at the offline pace, and their speech lengths from eSpeak."""
    root = tmp_path_factory.mktemp("pace")
    rules = pacing.pace(make_settings(root), None)
    lines = [s["dialogue"] for s in _script(rules)["scenes"]]
    tts = LocalSpeechSynthesizer(FfmpegToolkit())
    lengths: list[float] = []
    for line in lines:
        clip = tts.collect(_speech(line), None, root)  # type: ignore[arg-type]
        lengths.append(speech_of(clip.path).length_s)
    return lines, lengths


def _speech(line: str):  # type: ignore[no-untyped-def]
    from core.ports import SpeechRequest

    return SpeechRequest(line, Voice("en-us", rate_wpm=pacing.DEFAULT_RATE_WPM))


def test_offline_the_rules_scale_to_espeaks_measured_rate(tmp_path: Path) -> None:
    offline = pacing.pace(make_settings(tmp_path), {"rate_wpm": 165})
    assert offline == pacing.Pace(186, 25)  # 165 x 1.13; 20 words per 8 s at 150 becomes 25 at 186
    assert pacing.pace(make_settings(tmp_path), {"rate_wpm": 140}).words_per_minute == 158


def test_a_cloud_voice_keeps_the_spec_rules(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, speech_provider="google", gemini_api_key="test-key")
    assert pacing.pace(settings, {"rate_wpm": 165}) == pacing.Pace(150, 20)


def test_espeak_speaks_at_the_measured_rate(spoken: tuple[list[str], list[float]]) -> None:
    lines, lengths = spoken
    words = sum(len(line.split()) for line in lines)
    measured = words * 60 / sum(lengths)
    assert measured == pytest.approx(pacing.spoken_wpm(165), rel=0.1), measured
