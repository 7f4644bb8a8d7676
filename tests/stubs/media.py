"""Small real media for stubs and tests: PNG (Pillow), WAV/PCM (wave), MP3 and MP4 (FFmpeg)."""

from __future__ import annotations

import io
import math
import struct
import subprocess
import tempfile
import wave
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image

from core.adapters.media.ffmpeg import FfmpegToolkit


class CountingToolkit(FfmpegToolkit):
    """The real toolkit, recording every FFmpeg invocation it makes."""

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[list[str]] = []

    def run(self, args: Any, *, what: str, timeout_s: float | None = None) -> None:
        self.runs.append(list(args))
        super().run(args, what=what, timeout_s=timeout_s)


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


@lru_cache(maxsize=64)
def png_bytes(width: int = 64, height: int = 96, color: tuple[int, int, int] = (40, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


@lru_cache(maxsize=64)
def pcm_bytes(duration_s: float = 1.0, rate: int = 24000) -> bytes:
    """16-bit mono little-endian sine, no header (what Gemini TTS sends)."""
    count = int(duration_s * rate)
    return b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(count))


@lru_cache(maxsize=64)
def wav_bytes(duration_s: float = 1.0, rate: int = 16000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm_bytes(duration_s, rate))
    return buffer.getvalue()


def wav_duration(data: bytes) -> float | None:
    try:
        with wave.open(io.BytesIO(data)) as wav:
            return wav.getnframes() / float(wav.getframerate())
    except (wave.Error, EOFError):
        return None


def _ffmpeg_to_bytes(args: list[str], suffix: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"out{suffix}"
        subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args, str(out)],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return out.read_bytes()


@lru_cache(maxsize=64)
def mp3_bytes(duration_s: float = 1.0) -> bytes:
    return _ffmpeg_to_bytes(
        ["-f", "lavfi", "-i", f"sine=frequency=440:duration={duration_s:.3f}", "-c:a", "libmp3lame", "-b:a", "64k"],
        ".mp3",
    )


@lru_cache(maxsize=64)
def mp4_bytes(duration_s: float = 1.0, width: int = 96, height: int = 160, audio: bool = True) -> bytes:
    """H.264 (+ AAC) test pattern, 25 fps."""
    args = ["-f", "lavfi", "-i", f"testsrc=size={width}x{height}:rate=25:duration={duration_s:.3f}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={duration_s:.3f}", "-c:a", "aac", "-shortest"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-movflags", "+faststart"]
    return _ffmpeg_to_bytes(args, ".mp4")


NOT_MEDIA = b"<!doctype html><html><body>Sign in to continue</body></html>"
