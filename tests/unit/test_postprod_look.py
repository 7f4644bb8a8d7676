"""The look layer's additions (colour fringes, lens distortion, LUT grade, whip and zoom transitions):
in the graph only when switched on, all inside the one encode, with the real FFmpeg on short clips."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from core.adapters.media.lut import parse_cube
from core.adapters.media.postprod import EditSpec, PostProducer, SceneCut, lens_margin, shake_margin
from core.domain.ads import RealismSettings, Transition
from tests.stubs.media import CountingToolkit, ffmpeg_exe, wav_bytes
from tests.unit.test_lut import cube

LOOK_FILTERS = ("chromashift", "lenscorrection", "lut3d", "gblur", "slideleft", "zoomin")


def _clip(path: Path, seconds: float) -> Path:
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size=270x480:rate=12:duration={seconds}",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("look")
    _clip(root / "a.mp4", 2.6)
    (root / "voice.wav").write_bytes(wav_bytes(1.0, 16000))
    parse_cube(cube(3, invert=True)).write_cube(root / "grade.cube")
    return root


def _spec(media: Path, transitions: tuple[Transition, ...] = (Transition.CROSSFADE,), **realism: Any) -> EditSpec:
    first = SceneCut(media / "a.mp4", 2.6, media / "voice.wav", 1.0, "One line.", duration_s=2.0)
    rest = tuple(SceneCut(media / "a.mp4", 2.6, None, 0.0, "", t, 2.0) for t in transitions)
    look = RealismSettings(**realism)
    return EditSpec((first, *rest), 270, 480, fps=12, realism=look, preset="ultrafast", captions=False)


def _graph(spec: EditSpec, tmp_path: Path) -> str:
    (tmp_path / "w").mkdir(exist_ok=True)
    args, _, _ = PostProducer(CountingToolkit()).arguments(spec, tmp_path / "o.mp4", tmp_path / "w")
    return args[args.index("-filter_complex") + 1]


def test_the_default_look_adds_none_of_the_new_filters(media: Path, tmp_path: Path) -> None:
    graph = _graph(_spec(media), tmp_path)
    assert not [f for f in LOOK_FILTERS if f in graph]
    assert "c0_mode=grainmerge" in graph and "eq=" in graph  # the default look itself is on
    assert "noise=" not in graph  # grain from the seeded tile, not fresh noise on every frame


def test_each_new_filter_is_in_the_graph_only_when_switched_on(media: Path, tmp_path: Path) -> None:
    assert "chromashift=cbh=-1:crh=1" in _graph(_spec(media, chromatic_aberration=2.0), tmp_path).replace("'", "")
    assert "lenscorrection=" in _graph(_spec(media, lens_distortion=0.1), tmp_path)
    graded = _graph(_spec(media, lut=str(media / "grade.cube")), tmp_path)
    assert "lut3d=" in graded and "grade.cube" in graded and "format=gbrp" in graded
    whip = _graph(_spec(media, (Transition.WHIP,)), tmp_path)
    assert "transition=slideleft" in whip and "gblur=" in whip and "enable=" in whip
    assert "transition=zoomin" in _graph(_spec(media, (Transition.ZOOM,)), tmp_path)
    off = _graph(_spec(media, chromatic_aberration=0.0, lens_distortion=0.0, lut=None), tmp_path)
    assert not [f for f in LOOK_FILTERS if f in off]


def test_the_lens_gets_room_to_pull_its_edges_in(media: Path) -> None:
    spec = _spec(media, lens_distortion=0.1)
    assert lens_margin(spec) == 26 and shake_margin(spec) == 28  # 0.1 * 480 / 2 + 2, the shake 1 + 1, even
    assert lens_margin(_spec(media)) == 0


def test_everything_on_is_still_one_encode_of_the_planned_length(media: Path, tmp_path: Path) -> None:
    spec = _spec(
        media,
        (Transition.WHIP, Transition.ZOOM),
        chromatic_aberration=3.0,
        lens_distortion=0.12,
        lut=str(media / "grade.cube"),
    )
    toolkit = CountingToolkit()
    result = PostProducer(toolkit).render(spec, tmp_path / "all.mp4", tmp_path / "work")
    assert len(toolkit.runs) == 1 and toolkit.runs[0].count("libx264") == 1
    assert (result.video.width, result.video.height) == (270, 480)
    assert result.video.duration_s == pytest.approx(6.0, abs=0.1)
    plain = PostProducer(CountingToolkit()).render(
        replace(spec, realism=RealismSettings()), tmp_path / "p.mp4", tmp_path / "w2"
    )
    assert plain.video.duration_s == pytest.approx(result.video.duration_s, abs=0.01)


def test_the_transitions_keep_their_planned_lengths(media: Path) -> None:
    from core.adapters.media.postprod import plan

    timeline = plan(_spec(media, (Transition.WHIP, Transition.ZOOM)))
    assert timeline.total_s == pytest.approx(6.0)
    assert timeline.fades[1] == pytest.approx(4 / 12, abs=1e-3) and timeline.fades[2] == pytest.approx(4 / 12, abs=1e-3)


def test_a_clip_at_the_output_size_is_not_resampled_and_others_are_cropped_before_scaling(
    media: Path, tmp_path: Path
) -> None:
    exact = _spec(media, ())
    exact = replace(exact, scenes=(replace(exact.scenes[0], clip_size=(270, 480)),))
    graph = _graph(exact, tmp_path)
    assert "fillborders=" in graph and "pad=" in graph and "scale=" not in graph.split("sws_flags=")[1].split(";", 1)[1]
    wide = replace(exact, scenes=(replace(exact.scenes[0], clip_size=(640, 360)),))
    graph = _graph(wide, tmp_path)  # 16:9 into 9:16 (with 2 px of shake room on each side): crop, then scale
    assert "crop=204:360" in graph and graph.index("crop=204:360") < graph.index("scale=274:484")
    lens = replace(exact, realism=RealismSettings(lens_distortion=0.1))
    assert "fillborders=" not in _graph(lens, tmp_path)  # the lens needs real pixels beyond the edge


def test_a_wide_clip_renders_at_the_output_size(media: Path, tmp_path: Path) -> None:
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=12:duration=2.6",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(tmp_path / "wide.mp4")],
        check=True,
    )  # fmt: skip
    spec = _spec(media, ())
    spec = replace(spec, scenes=(replace(spec.scenes[0], clip=tmp_path / "wide.mp4", clip_size=(320, 180)),))
    result = PostProducer(CountingToolkit()).render(spec, tmp_path / "w.mp4", tmp_path / "work")
    assert (result.video.width, result.video.height) == (270, 480)


def test_the_strongest_lens_shows_no_border_in_the_corners(tmp_path: Path) -> None:
    import av
    import numpy as np

    clip = tmp_path / "grey.mp4"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=0xc8c8c8:s=270x480:r=12:d=2.6",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(clip)],
        check=True,
    )  # fmt: skip
    look = RealismSettings(grain=0, vignette=0, shake_px=1.5, saturation=1.0, lens_distortion=0.3)
    scene = SceneCut(clip, 2.6, None, 0.0, "", duration_s=2.0, clip_size=(270, 480))
    spec = EditSpec((scene,), 270, 480, fps=12, realism=look, preset="ultrafast", captions=False)
    PostProducer(CountingToolkit()).render(spec, tmp_path / "lens.mp4", tmp_path / "work")
    with av.open(str(tmp_path / "lens.mp4")) as container:
        luma = next(container.decode(video=0)).to_ndarray(format="gray")
    corners = [luma[:4, :4], luma[:4, -4:], luma[-4:, :4], luma[-4:, -4:]]
    assert min(float(np.mean(c)) for c in corners) > 150  # grey everywhere: no black from outside the frame


def _grey_clip(path: Path) -> Path:
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=0x808080:s=270x480:r=12:d=2.6",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )  # fmt: skip
    return path


def _planes(path: Path) -> list[Any]:
    import av
    import numpy as np

    with av.open(str(path)) as container:
        frames = [f.to_ndarray() for f in container.decode(video=0)]  # yuv420p: Y rows, then U and V rows
    return [np.asarray(f, np.float32) for f in frames]


def test_grain_is_on_the_luma_seeded_and_changes_every_second_frame(tmp_path: Path) -> None:
    import numpy as np

    from core.adapters.media.postprod import GRAIN_HOLD

    clip = _grey_clip(tmp_path / "grey.mp4")
    look = RealismSettings(grain=8.0, vignette=0, shake_px=0, saturation=1.0)
    scene = SceneCut(clip, 2.6, None, 0.0, "", duration_s=2.0, clip_size=(270, 480))
    spec = EditSpec((scene,), 270, 480, fps=12, realism=look, preset="ultrafast", captions=False)
    frames = _planes(PostProducer(CountingToolkit()).render(spec, tmp_path / "g.mp4", tmp_path / "w1").video.path)
    luma, chroma = [f[:480] for f in frames], [f[480:] for f in frames]
    assert len(frames) == 24 and GRAIN_HOLD == 2
    # A flat grey clip: all of this is grain, after an ultrafast encode (at the product's veryfast CRF 21 on
    # real footage a grain this fine is mostly smoothed away: see docs/benchmarks.md, issue 19).
    assert min(float(y.std()) for y in luma) > 1.0
    assert max(float(np.abs(c - 128).mean()) for c in chroma) < 0.5  # no colour noise
    held = [float(np.abs(luma[k + 1] - luma[k]).mean()) for k in range(0, 24, 2)]
    fresh = [float(np.abs(luma[k + 1] - luma[k]).mean()) for k in range(1, 23, 2)]
    assert max(held) < 0.3 * min(fresh)  # the same pattern for two frames, then a new one
    again = _planes(PostProducer(CountingToolkit()).render(spec, tmp_path / "h.mp4", tmp_path / "w2").video.path)
    assert all(np.array_equal(a, b) for a, b in zip(frames, again, strict=True))  # seeded: the same every render
