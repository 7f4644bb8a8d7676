"""The exact last frame of a clip (issue 18): pixel for pixel what the clip ends on."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image

from core.adapters.media.ffmpeg import FfmpegToolkit
from core.adapters.media.last_frame import extract_last_frame
from core.errors import MediaRejected

WIDTH, HEIGHT = 64, 48


def _clip(toolkit: FfmpegToolkit, path: Path) -> Path:
    """1.2 s of a moving test pattern (every frame differs), H.264 in yuv420p as providers send."""
    toolkit.run(
        [
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size={WIDTH}x{HEIGHT}:rate=25:duration=1.2",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-g",
            "10",
            str(path),
        ],
        what="test clip",
    )
    return path


def _decoded_frames(toolkit: FfmpegToolkit, clip: Path) -> list[bytes]:
    raw = subprocess.run(
        toolkit.command("-i", str(clip), "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"),
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    size = WIDTH * HEIGHT * 3
    return [raw[i : i + size] for i in range(0, len(raw), size)]


def test_the_last_frame_is_the_clips_final_frame_pixel_for_pixel(tmp_path: Path) -> None:
    toolkit = FfmpegToolkit()
    clip = _clip(toolkit, tmp_path / "scene1.mp4")

    frame = extract_last_frame(toolkit, clip, tmp_path / "out" / "scene1-last")

    frames = _decoded_frames(toolkit, clip)
    assert len(frames) == 30
    assert (frame.width, frame.height, frame.content_type) == (WIDTH, HEIGHT, "image/png")
    pixels = Image.open(frame.path).convert("RGB").tobytes()
    assert pixels == frames[-1]
    assert pixels != frames[-2] and pixels != frames[0]  # the last one, not a neighbour


def test_a_file_without_video_is_refused(tmp_path: Path) -> None:
    toolkit = FfmpegToolkit()
    audio = tmp_path / "voice.wav"
    toolkit.run(["-f", "lavfi", "-i", "sine=frequency=440:duration=0.5", str(audio)], what="test audio")
    with pytest.raises(MediaRejected):
        extract_last_frame(toolkit, audio, tmp_path / "last")
