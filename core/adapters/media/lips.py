"""Do the lips move while the voice speaks? Mouth-region brightness against the voice envelope.

An open mouth shows a dark cavity, so the mouth box's mean brightness, taken relative to
the lower face around it, drops as the mouth opens. A camera move changes that signal
slowly (the box drifts across the face over seconds); speech moves it at syllable rate.
So the signal is high-passed (minus its own 0.3 s moving average) and its spread over
the frames where the voice is speaking is the lips' activity; its correlation with the
voice envelope (louder, more open, darker: negative) says it follows that voice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.adapters.media.probe import decode_audio_mono
from core.adapters.media.voice_timing import envelope_db, voiced

logger = logging.getLogger(__name__)

LIP_ACTIVITY_MIN = 0.8  # grey levels of high-passed mouth contrast (a still mouth under grain: about 0.2)
LIP_CORRELATION_MAX = -0.15  # the mouth darkens when the voice is loud
ENVELOPE_RATE = 24_000


@dataclass(frozen=True, slots=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    def scaled(self, sx: float, sy: float) -> Box:
        return Box(round(self.x * sx), round(self.y * sy), max(1, round(self.w * sx)), max(1, round(self.h * sy)))

    def grown(self, fx: float, fy: float) -> Box:
        dw, dh = round(self.w * fx / 2), round(self.h * fy / 2)
        return Box(self.x - dw, self.y - dh, self.w + 2 * dw, self.h + 2 * dh)

    def clipped(self, width: int, height: int) -> Box | None:
        x0, y0 = max(0, self.x), max(0, self.y)
        x1, y1 = min(width, self.x + self.w), min(height, self.y + self.h)
        return Box(x0, y0, x1 - x0, y1 - y0) if x1 - x0 >= 2 and y1 - y0 >= 2 else None


def mouth_contrast(gray: np.ndarray, mouth: Box, around: Box) -> float:
    """Mean brightness of the mouth box minus that of the lower face around it."""
    m = gray[mouth.y : mouth.y + mouth.h, mouth.x : mouth.x + mouth.w]
    a = gray[around.y : around.y + around.h, around.x : around.x + around.w]
    return float(m.mean()) - float(a.mean()) if m.size and a.size else 0.0


def voice_envelope(voice: Path, fps: int, n_frames: int, at_frame: int) -> np.ndarray:
    """The voice line's level per video frame (dB), placed at `at_frame`; -100 elsewhere."""
    samples = decode_audio_mono(voice, rate=ENVELOPE_RATE)
    db = envelope_db(samples, ENVELOPE_RATE, 1 / fps)
    out = np.full(n_frames, -100.0)
    lo, hi = max(0, at_frame), min(n_frames, at_frame + len(db))
    if hi > lo:
        out[lo:hi] = db[lo - at_frame : hi - at_frame]
    return out


def _high_pass(signal: np.ndarray, fps: int) -> np.ndarray:
    width = max(3, round(0.3 * fps) | 1)
    padded = np.pad(signal, width // 2, mode="edge")
    return signal - np.convolve(padded, np.ones(width) / width, mode="valid")


@dataclass(frozen=True, slots=True)
class LipReading:
    activity: float
    correlation: float
    voiced_frames: int

    @property
    def moving(self) -> bool:
        return self.activity >= LIP_ACTIVITY_MIN and self.correlation <= LIP_CORRELATION_MAX


def read_lips(contrast: np.ndarray, envelope_db_: np.ndarray, fps: int) -> LipReading:
    """Activity and envelope correlation of the mouth over the frames where the voice speaks."""
    speaking = voiced(envelope_db_) & (envelope_db_ > -90)
    if speaking.sum() < max(3, fps // 4) or len(contrast) != len(envelope_db_):
        return LipReading(0.0, 0.0, int(speaking.sum()))
    hp = _high_pass(contrast, fps)[speaking]
    level = np.clip(envelope_db_[speaking] - envelope_db_[speaking].max() + 40, 0, None)
    spread = float(hp.std())
    corr = float(np.corrcoef(hp, level)[0, 1]) if spread > 1e-6 and level.std() > 1e-6 else 0.0
    return LipReading(round(spread, 3), round(corr, 3), int(speaking.sum()))
