"""Timing that follows the voice: where speech starts and ends in a line, and the breaths between lines.

A scene lasts its line plus short breaths. The breath between two lines is at most
`MAX_BREATH_S` of silence (speech to speech, measured on the lines themselves, so a
synthesiser's own leading and trailing silence counts); the one deliberate exception is
the pause before the call to action. The ad reaches the brief's duration by lengthening
breaths, that pause and the hold on the last scene within their bounds, never with
music alone; whatever is left shows as a duration finding in the quality check.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.adapters.media.probe import decode_audio_mono

logger = logging.getLogger(__name__)

ENVELOPE_RATE = 16_000
FRAME_S = 0.01
SPEECH_FLOOR_DB = -38.0  # below the line's loud parts: silence
MIN_BREATH_S, MAX_BREATH_S = 0.2, 0.6
MIN_PAUSE_S, MAX_PAUSE_S = 0.6, 1.4  # before the call to action
FIRST_LEAD_S = 0.15
MIN_HOLD_S, MAX_HOLD_S = 0.3, 1.5  # after the last line, on the last scene
CUT_AFTER_S = 0.1  # a scene ends this long after its line (the rest of the breath opens the next)


@dataclass(frozen=True, slots=True)
class Speech:
    """Where the speech is inside one voice file (seconds), and the file's length."""

    start_s: float
    end_s: float
    file_s: float

    @property
    def length_s(self) -> float:
        return max(0.0, self.end_s - self.start_s)


def envelope_db(samples: np.ndarray, rate: int, frame_s: float = FRAME_S) -> np.ndarray:
    """RMS level per frame in dB (full scale 0)."""
    window = max(1, round(rate * frame_s))
    count = max(1, len(samples) // window)
    framed = np.zeros(count * window, np.float32)
    framed[: min(len(samples), len(framed))] = samples[: len(framed)]
    rms = np.sqrt(np.mean(framed.reshape(count, window) ** 2, axis=1))
    return 20 * np.log10(rms + 1e-7)


def voiced(db: np.ndarray) -> np.ndarray:
    """Frames that are speech: within 38 dB of the line's loud parts (90th percentile)."""
    if db.size == 0 or db.max() < -70:
        return np.zeros(db.shape, bool)
    return db > float(np.percentile(db, 90)) + SPEECH_FLOOR_DB


def speech_of(path: Path) -> Speech:
    samples = decode_audio_mono(path, rate=ENVELOPE_RATE)
    file_s = len(samples) / ENVELOPE_RATE
    on = np.flatnonzero(voiced(envelope_db(samples, ENVELOPE_RATE)))
    if on.size == 0:
        return Speech(0.0, 0.0, file_s)
    return Speech(round(float(on[0]) * FRAME_S, 3), round(min(file_s, float(on[-1] + 1) * FRAME_S), 3), file_s)


@dataclass(frozen=True, slots=True)
class Breaths:
    lead_s: tuple[float, ...]  # silence before each scene's speech, from the scene's own start
    hold_s: float  # after the last line


def fit_breaths(speech_s: list[float], pause_before_last: bool, target_s: float | None) -> Breaths:
    """Leads (breaths between lines, the pause before the call to action) and the last hold,
    grown from their minimums toward `target_s`, each within its bounds."""
    n = len(speech_s)
    gaps = [MIN_BREATH_S] * max(0, n - 1)
    pause = pause_before_last and n > 1
    if pause:
        gaps[-1] = MIN_PAUSE_S
    hold = MIN_HOLD_S
    fixed = FIRST_LEAD_S + sum(speech_s)
    slack = (target_s - fixed - sum(gaps) - hold) if target_s is not None else 0.0
    # Stages: breaths to 0.45 s, the pause to 1.0 s, the hold to 1.0 s, then each to its maximum.
    stages = [("breath", 0.45), ("pause", 1.0), ("hold", 1.0), ("breath", MAX_BREATH_S)]
    stages += [("pause", MAX_PAUSE_S), ("hold", MAX_HOLD_S)]
    for what, cap in stages:
        if slack <= 1e-6:
            break
        if what == "hold":
            grow = min(slack, max(0.0, cap - hold))
            hold, slack = hold + grow, slack - grow
            continue
        indexes = [len(gaps) - 1] if what == "pause" else range(len(gaps) - (1 if pause else 0))
        indexes = [i for i in indexes if pause or what == "breath"] if gaps else []
        room = sum(max(0.0, cap - gaps[i]) for i in indexes)
        if room <= 0:
            continue
        share = min(1.0, slack / room)
        for i in indexes:
            step = max(0.0, cap - gaps[i]) * share
            gaps[i] += step
            slack -= step
    leads = [FIRST_LEAD_S] + [g - CUT_AFTER_S for g in gaps]
    return Breaths(tuple(round(x, 3) for x in leads), round(hold, 3))
