"""The voice catalog: every catalog actor has a voice on every speech provider, of their gender,
the same in seeds/ and the domain; a wrong voice is refused in plain words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.domain import voices
from core.errors import ValidationError

SEEDS = json.loads((Path(__file__).resolve().parents[2] / "seeds" / "actors.json").read_text())
CLOUD = (voices.ELEVENLABS, voices.MINIMAX, voices.KOKORO, voices.GEMINI, voices.GCLOUD)


@pytest.mark.parametrize("actor", SEEDS, ids=[a["key"] for a in SEEDS])
def test_each_actor_has_a_fitting_voice_per_provider(actor: dict) -> None:
    bound = voices.voices_for_actor(actor["key"])
    assert actor["voice"]["by_provider"] == {voices.ESPEAK: actor["voice"]["voice_id"], **bound}
    for family in CLOUD:
        option = next(o for o in voices.options(family) if o.voice_id == bound[family])
        assert option.gender == actor["gender"], (family, option)
    assert voices.is_voice(voices.ESPEAK, actor["voice"]["voice_id"])


def test_the_provider_decides_the_family_and_wrong_voices_are_refused() -> None:
    assert voices.family_of("local") == voices.ESPEAK
    assert voices.family_of("fal", "fal-ai/elevenlabs/tts/multilingual-v2") == voices.ELEVENLABS
    assert voices.family_of("fal", "fal-ai/minimax/speech-02-hd") == voices.MINIMAX
    assert voices.family_of("google", "gemini-2.5-flash-preview-tts") == voices.GEMINI
    assert voices.family_of("gcloud", "cloud-tts") == voices.GCLOUD
    assert voices.resolve(voices.GEMINI, "en-us+f3", {"gemini": "Kore"}) == "Kore"
    assert voices.resolve(voices.GEMINI, "Puck", {}) == "Puck"
    with pytest.raises(ValidationError, match="“en-us\\+f3” is not a Gemini TTS voice"):
        voices.resolve(voices.GEMINI, "en-us+f3", {})
    assert voices.default_voice(voices.GEMINI, "male") == "Puck"
    assert voices.gender_hint("A man in his thirties with a short beard") == "male"
    assert voices.gender_hint("Warm, clear female voice") == "female"
