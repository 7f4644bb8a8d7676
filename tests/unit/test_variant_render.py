"""The variant renderer: partial re-encode joins cleanly (no decode errors, every frame at the
source's time, sound as long as the picture), the tail is the source's own frames, the hook
text never reaches the filter graph, and unsafe sources fall back to one full encode."""

from __future__ import annotations

import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from core.adapters.media.ffmpeg import FfmpegToolkit
from core.adapters.media.library_video import stream_facts
from core.adapters.media.mixdown import integrated_loudness
from core.adapters.media.probe import decode_audio_mono
from core.adapters.media.variants import HookStyle, VariantRenderer, VariantSpec, cut_point
from core.services.variant_factory.naming import check_pattern, file_names, render_name
from tests.stubs.media import CountingToolkit, ffmpeg_exe
from tests.unit.test_variant_factory import make_clip, make_tone

NASTY = "50% off: {today} [now]; it's \\ 'here', %{pts} `rm -rf` $(id) ,drawtext=text=x"


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("render")
    return {
        "video": make_clip(root / "src.mp4", seconds=5.0, size="270x480"),  # x264 defaults: B-frames, GOP 30
        "tone": make_tone(root / "tone.mp3", seconds=1.7),
        "vfr": _vfr(root / "vfr.mp4"),
    }


def _vfr(path: Path) -> Path:
    subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=180x320:rate=30",
            "-t",
            "3",
            "-vf",
            "setpts='if(lt(N,30),PTS,PTS*1.5)'",
            "-fps_mode",
            "vfr",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-g",
            "30",
            str(path),
        ],
        check=True,
    )
    return path


def _decode_errors(path: Path) -> str:
    proc = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "null", "-"], capture_output=True)
    return proc.stderr.decode()


def _frame(path: Path, index: int) -> np.ndarray:
    with av.open(str(path)) as container:
        for n, frame in enumerate(container.decode(video=0)):
            if n == index:
                return frame.to_ndarray(format="gray").astype(np.int16)
    raise AssertionError("frame not found")


def _audio_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        return sum(f.samples for f in container.decode(audio=0)) / container.streams.audio[0].rate


def test_partial_re_encode_joins_cleanly_with_exact_timing_and_sync(sources: dict[str, Path], tmp_path: Path) -> None:
    spec = VariantSpec(sources["video"], sources["tone"], NASTY, HookStyle(position="bottom", duration_s=1.5))
    result = VariantRenderer(FfmpegToolkit()).render(spec, tmp_path / "out.mp4", tmp_path / "work")
    assert result.mode == "partial"
    assert _decode_errors(result.video.path) == ""
    src, out = stream_facts(sources["video"]), stream_facts(result.video.path)
    assert out.frames == src.frames
    assert np.allclose(out.frame_times, src.frame_times, atol=1e-3)  # every frame where it was: no drift
    assert _audio_seconds(result.video.path) == pytest.approx(src.frames / src.fps, abs=0.03)  # A/V sync
    assert abs(_frame(result.video.path, 10) - _frame(sources["video"], 10)).max() > 100  # the hook is on
    late = src.frames - 5
    assert abs(_frame(result.video.path, late) - _frame(sources["video"], late)).max() == 0  # copied, untouched
    samples = decode_audio_mono(result.video.path, rate=48000)
    assert integrated_loudness(samples) == pytest.approx(-14.0, abs=1.5)
    assert np.abs(samples[-200:]).max() < 0.05  # faded out at the end (the 1.7 s tone was looped)


def test_full_re_encode_matches_the_same_timing(sources: dict[str, Path], tmp_path: Path) -> None:
    spec = VariantSpec(sources["video"], None, "Hello", HookStyle(position="centre", size="large", box=False))
    result = VariantRenderer(FfmpegToolkit()).render(spec, tmp_path / "full.mp4", tmp_path / "w", force_full=True)
    assert result.mode == "full" and _decode_errors(result.video.path) == ""
    assert stream_facts(result.video.path).frames == stream_facts(sources["video"]).frames
    assert _audio_seconds(result.video.path) == pytest.approx(5.0, abs=0.05)  # the original sound kept


def test_audio_only_variants_stream_copy_the_picture(sources: dict[str, Path], tmp_path: Path) -> None:
    result = VariantRenderer(FfmpegToolkit()).render(
        VariantSpec(sources["video"], sources["tone"]), tmp_path / "copy.mp4", tmp_path / "w"
    )
    assert result.mode == "copy"
    assert abs(_frame(result.video.path, 40) - _frame(sources["video"], 40)).max() == 0


def test_unsafe_sources_fall_back_with_a_reason(sources: dict[str, Path], tmp_path: Path) -> None:
    facts = stream_facts(sources["vfr"])
    assert cut_point(facts, 1.0) == (None, "source has a variable frame rate")
    assert cut_point(stream_facts(sources["video"]), 4.99)[1] == "no keyframe after the hook ends"
    result = VariantRenderer(FfmpegToolkit()).render(
        VariantSpec(sources["vfr"], None, "Hook"), tmp_path / "v.mp4", tmp_path / "w"
    )
    assert result.mode == "full" and "variable" in result.reason and _decode_errors(result.video.path) == ""


def test_the_hook_text_goes_through_a_file_never_the_graph(sources: dict[str, Path], tmp_path: Path) -> None:
    toolkit = CountingToolkit()
    VariantRenderer(toolkit).render(VariantSpec(sources["video"], None, NASTY), tmp_path / "n.mp4", tmp_path / "w")
    joined = " ".join(" ".join(c) for c in toolkit.runs)
    assert "rm -rf" not in joined and "today" not in joined and "expansion=none" in joined
    assert "rm -rf" in (tmp_path / "w" / "hook.txt").read_text()


def test_naming_patterns_cannot_escape_the_zip() -> None:
    assert render_name("../../{product}/x", {"product": "../etc/passwd"}) == "etc_passwd_x"
    names = file_names(
        check_pattern("{product}_{hook_category}"),
        "A/B\\C:..",
        [{"hook_category": "../../evil"}, {"hook_category": "../../evil"}],
    )
    assert names == ["A_B_C_evil_1.mp4", "A_B_C_evil_2.mp4"]
    assert all("/" not in n and "\\" not in n and not n.startswith(".") for n in names)
    with pytest.raises(Exception, match="placeholder"):
        check_pattern("{product.__init__.__globals__}")
