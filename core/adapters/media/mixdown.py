"""The ad's sound, mixed in numpy before the one FFmpeg pass: voice lines at their scene times,
the music bed ducked under the voice by volume automation, then a static gain to the
loudness target (ITU-R BS.1770 / EBU R128 integrated loudness, measured here) and a
gentle peak limiter.

Why not FFmpeg's `loudnorm`: in its one-pass (dynamic) mode it lands about 2 LU under
target on short ads with pauses between lines; the exact two-pass use needs a second
FFmpeg run. Measuring our own mix is exact and free, and the quality check measures the
encoded file again with FFmpeg's `ebur128`, so a mistake here cannot go unnoticed.
"""

from __future__ import annotations

import logging
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.adapters.media.files import atomic_output
from core.adapters.media.probe import decode_audio_mono

logger = logging.getLogger(__name__)

RATE = 48_000
# BS.1770 K-weighting at 48 kHz: a high shelf, then a high-pass (ITU-R BS.1770-4, table 1 and 2).
_SHELF = ((1.53512485958697, -2.69169618940638, 1.19839281085285), (1.0, -1.69065929318241, 0.73248077421585))
_HIGHPASS = ((1.0, -2.0, 1.0), (1.0, -1.99004745483398, 0.99007225036621))
BLOCK = int(0.4 * RATE)  # 400 ms gating blocks, 75 % overlap
DUCK_BLOCK = int(0.01 * RATE)
PEAK_LIMIT = 10 ** (-1.5 / 20)


@dataclass(frozen=True, slots=True)
class VoicePlacement:
    path: Path
    at_s: float


@dataclass(frozen=True, slots=True)
class MixResult:
    path: Path
    measured_lufs: float | None  # before the gain
    gain_db: float
    duration_s: float


def _response(b: tuple[float, ...], a: tuple[float, ...], freqs: np.ndarray) -> np.ndarray:
    z = np.exp(-1j * 2 * np.pi * freqs / RATE)
    return (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)


def k_weighted(samples: np.ndarray) -> np.ndarray:
    """K-weighting applied by its magnitude in the frequency domain (loudness needs power, not phase)."""
    spectrum = np.fft.rfft(samples)
    freqs = np.fft.rfftfreq(len(samples), 1 / RATE)
    gain = np.abs(_response(*_SHELF, freqs) * _response(*_HIGHPASS, freqs))
    return np.fft.irfft(spectrum * gain, n=len(samples))


def integrated_loudness(samples: np.ndarray) -> float | None:
    """Gated integrated loudness in LUFS of a mono signal at RATE; None for (near) silence."""
    if len(samples) < BLOCK:
        samples = np.pad(samples, (0, BLOCK - len(samples)))
    weighted = k_weighted(samples.astype(np.float64))
    step = BLOCK // 4
    power = np.array([np.mean(weighted[i : i + BLOCK] ** 2) for i in range(0, len(weighted) - BLOCK + 1, step)])
    loud = -0.691 + 10 * np.log10(np.maximum(power, 1e-12))
    kept = power[loud > -70.0]
    if kept.size == 0:
        return None
    relative = -0.691 + 10 * np.log10(kept.mean()) - 10.0
    gated = power[(loud > -70.0) & (loud > relative)]
    return float(-0.691 + 10 * np.log10(gated.mean())) if gated.size else None


def _smooth(target: np.ndarray, attack: float, release: float) -> np.ndarray:
    out, level = np.empty_like(target), 0.0
    for i, value in enumerate(target):
        level += (value - level) * (attack if value > level else release)
        out[i] = level
    return out


def duck_gain(voice: np.ndarray, depth: float = 0.75, threshold: float = 0.01) -> np.ndarray:
    """Per-sample music gain: 1 - depth while someone speaks, 30 ms in and 350 ms out."""
    blocks = len(voice) // DUCK_BLOCK + 1
    padded = np.pad(voice, (0, blocks * DUCK_BLOCK - len(voice)))
    rms = np.sqrt(np.mean(padded.reshape(blocks, DUCK_BLOCK) ** 2, axis=1))
    speaking = (rms > threshold).astype(np.float64)
    level = _smooth(speaking, attack=1 - np.exp(-1 / 3), release=1 - np.exp(-1 / 35))
    centres = (np.arange(blocks) + 0.5) * DUCK_BLOCK
    return 1.0 - depth * np.interp(np.arange(len(voice)), centres, level)


def limit_peaks(samples: np.ndarray, ceiling: float = PEAK_LIMIT, block: int = 240) -> np.ndarray:
    """Gain riding on 5 ms blocks so no sample passes the ceiling; smooth between blocks."""
    blocks = len(samples) // block + 1
    padded = np.pad(np.abs(samples), (0, blocks * block - len(samples)))
    need = np.minimum(1.0, ceiling / np.maximum(padded.reshape(blocks, block).max(axis=1), 1e-9))
    need = np.minimum(need, np.minimum(np.roll(need, 1), np.roll(need, -1)))  # start early, end late
    gain = np.interp(np.arange(len(samples)), (np.arange(blocks) + 0.5) * block, need)
    return np.clip(samples * gain, -ceiling, ceiling)


def _to_target(samples: np.ndarray, measured: float | None, target_lufs: float) -> tuple[np.ndarray, float]:
    """Gain to the target, then limit; the limiter costs loudness on peaky speech, so measure
    again and make up the difference (a few rounds land within 0.2 LU)."""
    if measured is None:
        return samples, 0.0
    gain_db, level, out = 0.0, measured, samples
    for _ in range(6):
        gain_db = float(np.clip(gain_db + 1.3 * (target_lufs - level), -30, 30))
        out = limit_peaks(samples * 10 ** (gain_db / 20))
        level = integrated_loudness(out) or target_lufs
        if abs(level - target_lufs) < 0.2:
            break
    return out, gain_db


def mix(
    voices: list[VoicePlacement],
    music: np.ndarray | None,
    duration_s: float,
    dest: Path,
    *,
    music_volume: float = 0.35,
    target_lufs: float = -14.0,
) -> MixResult:
    total = int(round(duration_s * RATE))
    voice = np.zeros(total, np.float64)
    for line in voices:
        samples = decode_audio_mono(line.path, rate=RATE).astype(np.float64)
        start = int(round(line.at_s * RATE))
        end = min(total, start + len(samples))
        voice[start:end] += samples[: end - start]
    out = voice.copy()
    if music is not None:
        bed = np.resize(music.astype(np.float64), total) * music_volume
        out += bed * (duck_gain(voice) if voices else 1.0)
    measured = integrated_loudness(out)
    out, gain_db = _to_target(out, measured, target_lufs)
    pcm = (out * 32767).astype("<i2").tobytes()
    with atomic_output(Path(dest)) as tmp, wave.open(str(tmp), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(pcm)
    logger.info("mixdown: measured %s LUFS, gain %+.1f dB", measured, gain_db)
    return MixResult(Path(dest), measured, gain_db, total / RATE)
