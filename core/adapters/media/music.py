"""A royalty-free music bed, synthesised here: soft pads over a I-V-vi-IV progression, a plucked
arpeggio and a gentle kick, at 100 BPM. Written as a 16-bit mono WAV of exactly the length
asked for. Deterministic for a given seed (the seed picks the key and the arpeggio pattern).
"""

from __future__ import annotations

import functools
import logging
import random
import wave
from pathlib import Path

import numpy as np

from core.adapters.media.files import atomic_output

logger = logging.getLogger(__name__)

RATE = 44_100
BPM = 100
PROGRESSION = ((0, 4, 7), (7, 11, 14), (9, 12, 16), (5, 9, 12))  # I V vi IV, semitones above the root
KEYS = (48, 50, 53, 55, 57)  # MIDI roots: C3, D3, F3, G3, A3
MAX_SECONDS = 600.0


def _freq(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def _frozen(samples: np.ndarray) -> np.ndarray:
    """Cached sounds are shared between calls, so nobody may write into them."""
    out = samples.astype(np.float32)
    out.flags.writeable = False
    return out


@functools.lru_cache(maxsize=64)
def _pad(chord: tuple[int, ...], root: int, n: int, rate: int) -> np.ndarray:
    t = np.arange(n) / rate
    tone = sum(
        np.sin(2 * np.pi * _freq(root + 12 + step) * t) + 0.3 * np.sin(4 * np.pi * _freq(root + 12 + step) * t)
        for step in chord
    )
    attack = np.minimum(1.0, t / 0.4)
    release = np.minimum(1.0, (n / rate - t) / 0.4)
    return _frozen(0.08 * tone * attack * release)


@functools.lru_cache(maxsize=64)
def _pluck(midi: int, n: int, rate: int) -> np.ndarray:
    t = np.arange(n) / rate
    return _frozen(0.12 * np.sin(2 * np.pi * _freq(midi) * t) * np.exp(-t * 6.0))


@functools.lru_cache(maxsize=64)
def _kick(n: int, rate: int) -> np.ndarray:
    t = np.arange(n) / rate
    sweep = 2 * np.pi * (50 * t + 60 * (1 - np.exp(-t * 30)) / 30)
    return _frozen(0.35 * np.sin(sweep) * np.exp(-t * 9.0))


def synthesise(duration_s: float, seed: int = 0, rate: int = RATE) -> np.ndarray:
    """Float samples in [-1, 1] at `rate`."""
    rng = random.Random(seed)
    root = rng.choice(KEYS)
    pattern = rng.choice(((0, 1, 2, 1), (0, 2, 1, 2), (2, 1, 0, 1)))
    total = int(round(duration_s * rate))
    beat = int(rate * 60 / BPM)
    bar = beat * 4
    out = np.zeros(total + 2 * bar, np.float32)  # the last bar's arpeggio rings past its end
    # Every bar repeats the same few sounds; they are cached, so a bar is only additions.
    kick = _kick(beat, rate)
    for bar_index, start in enumerate(range(0, total, bar)):
        chord = PROGRESSION[bar_index % len(PROGRESSION)]
        out[start : start + bar] += _pad(chord, root, bar, rate)
        for i in range(8):  # eighth-note arpeggio
            note = root + 24 + chord[pattern[i % 4]]
            at = start + i * beat // 2
            out[at : at + beat] += _pluck(note, beat, rate)
        for i in range(4):
            at = start + i * beat
            out[at : at + beat] += kick
    samples = out[:total]
    peak = float(np.abs(samples).max()) or 1.0
    fade = min(total, rate)  # one second in and out
    samples[:fade] *= np.linspace(0, 1, fade)
    samples[total - fade :] *= np.linspace(1, 0, fade)
    return samples * (0.5 / peak)


def write_music_bed(path: Path, duration_s: float, *, seed: int = 0, rate: int = RATE) -> Path:
    if not 0 < duration_s <= MAX_SECONDS:
        raise ValueError(f"music bed length must be in (0, {MAX_SECONDS}] seconds")
    pcm = (synthesise(duration_s, seed, rate) * 32767).astype("<i2").tobytes()
    with atomic_output(Path(path)) as tmp, wave.open(str(tmp), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)
    return Path(path)
