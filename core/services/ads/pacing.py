"""How many words a scene's line may hold: the pacing rules at the speed of the voice that will say it.

The spec's rules (150 words a minute, 20 words in an 8 s scene) describe a presenter speaking
at 150 words a minute. The offline voice, eSpeak NG, speaks faster than its rate setting
says: at its default 165 it says about 187 words a minute of speech, 1.13 times the setting
(measured over the 183 lines the offline writer makes for the 30-brief table of
`tests/unit/test_offline_writer.py`; `bench/bench_espeak_rate.py` measures it again, and
`tests/unit/test_pacing.py` checks the factor against eSpeak itself). Budgeted at 150, the
offline 30 s ad ran 2 s short with every breath at its bound. So when eSpeak speaks the
lines, both rules scale to the voice's measured rate; a cloud voice keeps the spec's rules.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from core.config import Settings
from core.vendor_choice import choose_vendor

logger = logging.getLogger(__name__)

ESPEAK_WORDS_PER_RATE = 1.13  # eSpeak NG's spoken words a minute per unit of its rate setting (measured)
DEFAULT_RATE_WPM = 165


@dataclass(frozen=True, slots=True)
class Pace:
    words_per_minute: int
    max_words_per_8s: int


def spoken_wpm(rate_wpm: int) -> int:
    """Words a minute eSpeak NG really speaks (speech only) at its rate setting `rate_wpm`."""
    return round(rate_wpm * ESPEAK_WORDS_PER_RATE)


def pace(settings: Settings, voice: dict[str, Any] | None) -> Pace:
    """The pacing rules for lines that `voice` (an avatar's voice settings) will speak."""
    rule = Pace(settings.words_per_minute, settings.ugc_scene_max_words_per_8s)
    if choose_vendor(settings, "speech")[0] != "local":
        return rule
    wpm = spoken_wpm(int((voice or {}).get("rate_wpm") or DEFAULT_RATE_WPM))
    return Pace(wpm, max(1, round(rule.max_words_per_8s * wpm / rule.words_per_minute)))
