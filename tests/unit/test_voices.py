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


def _names(text: str) -> list[str]:
    return text.split()


# The vendors' published lists (see the note above VOICES): a voice the vendor does not have is a 400
# at the first paid call, so every offered voice must be one of these, with the vendor's gender.
VENDOR_VOICES = {
    voices.ELEVENLABS: set(
        _names(
            "Rachel Aria Roger Sarah Laura Charlie George Callum River Liam Charlotte Alice Matilda Will "
            "Jessica Eric Chris Brian Daniel Lily Bill"
        )
    ),
    voices.MINIMAX: set(
        _names(
            "Wise_Woman Friendly_Person Inspirational_girl Deep_Voice_Man Calm_Woman Casual_Guy Lively_Girl "
            "Patient_Man Young_Knight Determined_Man Lovely_Girl Decent_Boy Imposing_Manner Elegant_Man Abbess "
            "Sweet_Girl_2 Exuberant_Girl"
        )
    ),
    voices.KOKORO: set(
        _names(
            "af_heart af_alloy af_aoede af_bella af_jessica af_kore af_nicole af_nova af_river af_sarah af_sky "
            "am_adam am_echo am_eric am_fenrir am_liam am_michael am_onyx am_puck am_santa"
        )
    ),
}
GCLOUD_GENDERS = {
    **dict.fromkeys(_names("en-US-Neural2-A en-US-Neural2-D en-US-Neural2-I en-US-Neural2-J"), "male"),
    **dict.fromkeys(_names("en-GB-Neural2-B en-GB-Neural2-D"), "male"),
    **dict.fromkeys(_names("en-US-Neural2-C en-US-Neural2-E en-US-Neural2-F en-US-Neural2-G"), "female"),
    **dict.fromkeys(_names("en-US-Neural2-H en-GB-Neural2-A en-GB-Neural2-C en-GB-Neural2-F"), "female"),
}


@pytest.mark.parametrize("family", sorted(VENDOR_VOICES))
def test_every_offered_voice_is_one_the_vendor_publishes(family: str) -> None:
    offered = {o.voice_id for o in voices.options(family)}
    assert offered <= VENDOR_VOICES[family], offered - VENDOR_VOICES[family]


def test_cloud_tts_voices_carry_googles_gender() -> None:
    assert {o.voice_id: o.gender for o in voices.options(voices.GCLOUD)} == GCLOUD_GENDERS


def test_kokoro_voice_prefix_matches_its_gender() -> None:
    for option in voices.options(voices.KOKORO):
        assert option.voice_id.startswith("af_" if option.gender == "female" else "am_"), option
