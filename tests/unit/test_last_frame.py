"""The exact last frame of a clip (issue 18): pixel for pixel what the clip ends on."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

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


def _long_clip(toolkit: FfmpegToolkit, path: Path, *, video_s: float, audio_s: float = 0.0, gop: int = 12) -> Path:
    args = ["-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate=25:duration={video_s}"]
    if audio_s:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={audio_s}", "-c:a", "aac"]
    args += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-bf", "2", "-g", str(gop), str(path)]
    toolkit.run(args, what="test clip")
    return path


def test_only_the_tail_is_decoded_and_the_pixels_are_the_same(tmp_path: Path) -> None:
    """A 6 s clip with B-frames and a keyframe every 12 frames: the tail seek lands on a keyframe
    and decodes on, and the PNG is still the final frame pixel for pixel."""
    toolkit = CountingArgs()
    clip = _long_clip(toolkit, tmp_path / "long.mp4", video_s=6.0)
    frame = extract_last_frame(toolkit, clip, tmp_path / "out" / "last")
    frames = _decoded_frames(toolkit, clip)
    assert len(frames) == 150
    assert Image.open(frame.path).convert("RGB").tobytes() == frames[-1]
    assert any("-sseof" in args for args in toolkit.calls)  # the tail path was taken


def test_a_video_track_ending_before_the_file_falls_back_to_a_full_decode(tmp_path: Path) -> None:
    toolkit = CountingArgs()
    clip = _long_clip(toolkit, tmp_path / "short-video.mp4", video_s=1.0, audio_s=6.0)
    frame = extract_last_frame(toolkit, clip, tmp_path / "out" / "last")
    frames = _decoded_frames(toolkit, clip)
    assert Image.open(frame.path).convert("RGB").tobytes() == frames[-1]
    assert [("-sseof" in args) for args in toolkit.calls[-2:]] == [True, False]  # the tail held no video


class CountingArgs(FfmpegToolkit):
    """The real toolkit, keeping each command's arguments."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[str]] = []

    def run(self, args: Any, *, what: str, timeout_s: float | None = None) -> None:
        self.calls.append(list(args))
        super().run(args, what=what, timeout_s=timeout_s)
