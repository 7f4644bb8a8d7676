"""The voice catalog: each speech provider's voices, and every catalog actor's voice on each.

An actor keeps one voice per provider, fixed across projects, chosen for their gender and
age. A provider is named by its voice *family*: what its voice ids look like. Before, the
eSpeak id (`en-us+f3`) was sent to every provider, and Gemini answered 400.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import ValidationError

ESPEAK, ELEVENLABS, MINIMAX, KOKORO, GEMINI, GCLOUD = "espeak", "elevenlabs", "minimax", "kokoro", "gemini", "gcloud"
FAMILY_LABELS = {
    ESPEAK: "eSpeak NG (offline)",
    ELEVENLABS: "ElevenLabs (fal)",
    MINIMAX: "MiniMax (fal)",
    KOKORO: "Kokoro (fal)",
    GEMINI: "Gemini TTS",
    GCLOUD: "Google Cloud TTS",
}


@dataclass(frozen=True, slots=True)
class VoiceOption:
    voice_id: str
    gender: str  # female | male
    note: str = ""

    @property
    def label(self) -> str:
        return f"{self.voice_id} ({self.gender}{', ' + self.note if self.note else ''})"


def _options(gender: str, ids: str) -> list[VoiceOption]:
    return [VoiceOption(v, gender) for v in ids.split()]


# Checked against the vendors' published input schemas (2026-12-04): fal's ElevenLabs `voice` enum
# (Aria, Roger, Sarah, Laura, Charlie, George, Callum, River, Liam, Charlotte, Alice, Matilda, Will,
# Jessica, Eric, Chris, Brian, Daniel, Lily, Bill; default Rachel), MiniMax's 17 built-in English
# `voice_id`s, Kokoro's American-English packs (af_* / am_*), and Google Cloud TTS's Neural2 voices
# with their SSML genders. MiniMax gives no gender for Friendly_Person; it is offered as female here.
VOICES: dict[str, list[VoiceOption]] = {
    ELEVENLABS: _options("female", "Rachel Aria Sarah Laura Charlotte Alice Matilda Jessica Lily")
    + _options("male", "Roger Charlie George Callum Liam Will Eric Chris Brian Daniel Bill"),
    MINIMAX: _options("female", "Wise_Woman Friendly_Person Inspirational_girl Calm_Woman Lively_Girl Lovely_Girl "
                                "Abbess Sweet_Girl_2 Exuberant_Girl")
    + _options("male", "Deep_Voice_Man Casual_Guy Patient_Man Young_Knight Determined_Man Decent_Boy "
                       "Imposing_Manner Elegant_Man"),
    KOKORO: _options("female", "af_heart af_bella af_nicole af_sarah af_sky")
    + _options("male", "am_adam am_michael am_fenrir am_puck"),
    # Gemini's 30 prebuilt voices.
    GEMINI: _options("female", "Zephyr Kore Leda Aoede Callirrhoe Autonoe Despina Erinome Laomedeia Achernar "
                               "Gacrux Pulcherrima Vindemiatrix Sulafat")
    + _options("male", "Puck Charon Fenrir Orus Enceladus Iapetus Umbriel Algieba Algenib Rasalgethi Alnilam "
                       "Schedar Achird Zubenelgenubi Sadachbia Sadaltager"),
    GCLOUD: _options("female", "en-US-Neural2-C en-US-Neural2-E en-US-Neural2-F en-US-Neural2-G en-US-Neural2-H "
                               "en-GB-Neural2-A en-GB-Neural2-C en-GB-Neural2-F")
    + _options("male", "en-US-Neural2-A en-US-Neural2-D en-US-Neural2-I en-US-Neural2-J en-GB-Neural2-B "
                       "en-GB-Neural2-D"),
    ESPEAK: _options("female", "en-us+f3 en-us+f4 en-029+f2 en-gb-x-rp+f1 en+f5")
    + _options("male", "en-us+m3 en-us+m1 en-gb-x-rp+m7 en-gb-scotland+m2 en+m4"),
}  # fmt: skip

# Catalog actor key -> family -> voice id (by gender and age; seeds/actors.json carries the same).
ACTOR_VOICES: dict[str, dict[str, str]] = {
    "ava_base_01": {ELEVENLABS: "Sarah", MINIMAX: "Friendly_Person", KOKORO: "af_heart", GEMINI: "Kore",
                    GCLOUD: "en-US-Neural2-F"},
    "maya_base_02": {ELEVENLABS: "Jessica", MINIMAX: "Lively_Girl", KOKORO: "af_bella", GEMINI: "Leda",
                     GCLOUD: "en-US-Neural2-H"},
    "zara_base_03": {ELEVENLABS: "Aria", MINIMAX: "Inspirational_girl", KOKORO: "af_nicole", GEMINI: "Aoede",
                     GCLOUD: "en-US-Neural2-E"},
    "elena_base_04": {ELEVENLABS: "Charlotte", MINIMAX: "Calm_Woman", KOKORO: "af_sky", GEMINI: "Despina",
                      GCLOUD: "en-GB-Neural2-C"},
    "grace_base_05": {ELEVENLABS: "Lily", MINIMAX: "Wise_Woman", KOKORO: "af_sarah", GEMINI: "Gacrux",
                      GCLOUD: "en-GB-Neural2-F"},
    "liam_base_06": {ELEVENLABS: "Liam", MINIMAX: "Casual_Guy", KOKORO: "am_adam", GEMINI: "Puck",
                     GCLOUD: "en-US-Neural2-I"},
    "marcus_base_07": {ELEVENLABS: "Chris", MINIMAX: "Determined_Man", KOKORO: "am_michael", GEMINI: "Charon",
                       GCLOUD: "en-US-Neural2-D"},
    "kenji_base_08": {ELEVENLABS: "Callum", MINIMAX: "Decent_Boy", KOKORO: "am_puck", GEMINI: "Fenrir",
                      GCLOUD: "en-GB-Neural2-B"},
    "omar_base_09": {ELEVENLABS: "George", MINIMAX: "Elegant_Man", KOKORO: "am_fenrir", GEMINI: "Orus",
                     GCLOUD: "en-GB-Neural2-D"},
    "walter_base_10": {ELEVENLABS: "Bill", MINIMAX: "Patient_Man", KOKORO: "am_michael", GEMINI: "Algenib",
                       GCLOUD: "en-US-Neural2-J"},
}  # fmt: skip

_ESPEAK_ID = re.compile(r"^[a-z]{2,3}(-[a-z0-9]+)*(\+[a-z0-9]+)?$")


def family_of(vendor: str, model: str = "") -> str:
    """The voice family of a speech provider (vendor and model as the registry names them)."""
    if vendor == "local":
        return ESPEAK
    if vendor == "gcloud":
        return GCLOUD
    if vendor == "google":
        return GEMINI
    for family in (ELEVENLABS, MINIMAX, KOKORO):
        if f"/{family}/" in f"/{model}/" or model.startswith(f"fal-ai/{family}"):
            return family
    return ELEVENLABS if vendor == "fal" else ESPEAK


def options(family: str) -> list[VoiceOption]:
    return list(VOICES.get(family, []))


def is_voice(family: str, voice_id: str) -> bool:
    if family == ESPEAK:
        return bool(_ESPEAK_ID.match(voice_id or ""))
    return any(o.voice_id == voice_id for o in VOICES.get(family, []))


def default_voice(family: str, gender: str) -> str:
    """The first voice of that gender (female when unknown)."""
    wanted = "male" if gender == "male" else "female"
    return next(o.voice_id for o in VOICES[family] if o.gender == wanted)


def voices_for_actor(actor_key: str) -> dict[str, str]:
    return dict(ACTOR_VOICES.get(actor_key, {}))


def resolve(family: str, voice_id: str, voices: dict[str, str] | None) -> str:
    """The id to send to a provider of `family`: the voice bound for it, else `voice_id` if it is
    one of that family's; anything else fails here, before any paid call, in plain words."""
    chosen = (voices or {}).get(family) or voice_id
    if not is_voice(family, chosen):
        label = FAMILY_LABELS.get(family, family)
        raise ValidationError(
            f"“{chosen}” is not a {label} voice, so nothing was sent. Pick one of its voices for this actor.",
            details={"family": family, "voice": chosen},
        )
    return chosen


def gender_hint(text: str) -> str:
    """female | male | "" from a character description (the DNA's face or voice line)."""
    words = set(re.findall(r"[a-z]+", (text or "").lower()))
    if words & {"man", "male", "masculine", "he", "his", "beard", "boy", "gentleman"}:
        return "male"
    if words & {"woman", "female", "feminine", "she", "her", "girl", "lady"}:
        return "female"
    return ""
