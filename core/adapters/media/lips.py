"""Do the lips move while the voice speaks? Mouth-region texture against the voice envelope.

An open mouth shows a dark cavity, lips and teeth where a closed one shows lips on skin,
so the spread of grey levels (their standard deviation) in a box around the mouth rises
as it opens, whatever the colours (a mean brightness would not: white teeth brighten it
while the cavity darkens it). The box is generous, so a nod or sway of a few pixels keeps
the mouth inside it. A camera move changes the signal slowly (the box drifts over the
face over seconds); speech moves it at syllable rate. So both the signal and the voice
envelope are high-passed alike (minus their own 0.3 s moving average): the signal's
spread over the frames where the voice speaks is the lips' activity, and its correlation
with the envelope (louder, more open: positive) says it follows that voice. High-passing
only one side would correlate a syllable-rate signal with a slow one and lose most of it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.adapters.media.probe import decode_audio_mono
from core.adapters.media.voice_timing import envelope_db, voiced

logger = logging.getLogger(__name__)

LIP_ACTIVITY_MIN = 0.8  # grey levels of high-passed mouth texture (a still mouth under grain: about 0.2)
LIP_CORRELATION_MIN = 0.15  # the mouth opens when the voice is loud (talking clips measure 0.35-0.8)
WATCH_WIDTH = 270  # mouths are measured on a picture about this wide, whatever the output size
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


def watch_shrink(width: int) -> int:
    """How much to shrink a picture for the mouth watch: to about WATCH_WIDTH wide, never up."""
    return max(1, width // WATCH_WIDTH)


def mouth_box(mouth: Box) -> Box:
    """The box watched around a mouth: wide and tall enough for the lips, an open jaw and a nod."""
    return mouth.grown(0.4, 1.2)


def mouth_texture(gray: np.ndarray, box: Box) -> float:
    """The spread (standard deviation) of grey levels in the box around the mouth."""
    m = gray[box.y : box.y + box.h, box.x : box.x + box.w]
    return float(m.std()) if m.size else 0.0


def voice_envelope(voice: Path, fps: int, n_frames: int, at_s: float) -> np.ndarray:
    """The voice line's level per video frame (dB) when it starts `at_s` seconds after the first
    frame (negative: before it); -100 where it is silent. Placed to the sample, not to the frame:
    the talking head's mouth follows the voice to the sample, and at 12 fps half a frame of
    misplacement costs most of the correlation."""
    samples = decode_audio_mono(voice, rate=ENVELOPE_RATE)
    shift = round(at_s * ENVELOPE_RATE)
    samples = np.concatenate([np.zeros(shift, np.float32), samples]) if shift >= 0 else samples[-shift:]
    window = ENVELOPE_RATE // fps
    db = envelope_db(samples, ENVELOPE_RATE, window / ENVELOPE_RATE)[:n_frames] if len(samples) >= window else None
    out = np.full(n_frames, -100.0)
    if db is not None:
        out[: len(db)] = np.maximum(db, -100.0)
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
        return self.activity >= LIP_ACTIVITY_MIN and self.correlation >= LIP_CORRELATION_MIN


def read_lips(texture: np.ndarray, envelope_db_: np.ndarray, fps: int) -> LipReading:
    """Activity and envelope correlation of the mouth over the frames where the voice speaks."""
    speaking = voiced(envelope_db_) & (envelope_db_ > -90)
    if speaking.sum() < max(3, fps // 4) or len(texture) != len(envelope_db_):
        return LipReading(0.0, 0.0, int(speaking.sum()))
    hp = _high_pass(texture, fps)[speaking]
    loud = float(envelope_db_[speaking].max())
    level = _high_pass(np.clip(envelope_db_ - loud + 40, 0, None), fps)[speaking]
    spread = float(hp.std())
    corr = float(np.corrcoef(hp, level)[0, 1]) if spread > 1e-6 and level.std() > 1e-6 else 0.0
    return LipReading(round(spread, 3), round(corr, 3), int(speaking.sum()))
