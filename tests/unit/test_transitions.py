"""The ad's crossfades, dissolves and dips to black made by one shared merge (issue 13: flat memory)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from core.adapters.media import postprod
from core.adapters.media.ffmpeg import FfmpegToolkit
from core.adapters.media.postprod import EditSpec, PostProducer, SceneCut, plan
from core.adapters.media.transitions import Span, frame_weights, frames_expression, merge_plan, write_dissolve_field
from core.domain.ads import RealismSettings, Transition
from tests.stubs.media import ffmpeg_exe, wav_bytes

KINDS = [Transition.CUT, Transition.CROSSFADE, Transition.DISSOLVE, Transition.DIP_TO_BLACK]


def _clip(path: Path, source: str, seconds: float = 2.6) -> Path:
    lavfi = f"{source}=size=270x480:rate=12:duration={seconds}"
    command = [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", lavfi, "-c:v", "libx264", "-preset", "ultrafast"]
    subprocess.run([*command, "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("transitions")
    (root / "voice.wav").write_bytes(wav_bytes(1.0, 16000))
    return _clip(root / "a.mp4", "testsrc2"), _clip(root / "b.mp4", "smptebars"), root / "voice.wav"


def _spec(clips: tuple[Path, Path, Path], kinds: list[Transition], **overrides: object) -> EditSpec:
    a, b, voice = clips
    scenes = tuple(
        SceneCut((a, b)[k % 2], 2.6, voice, 1.0, f"Line {k}.", kind, 2.0) for k, kind in enumerate(kinds)
    )  # fmt: skip
    values: dict[str, object] = dict(fps=12, preset="ultrafast", realism=RealismSettings(0, 0, 0, 1.0), captions=False)
    values.update(overrides)
    return EditSpec(scenes, 270, 480, **values)  # type: ignore[arg-type]


def test_each_transition_starts_all_outgoing_and_ends_nearly_all_incoming() -> None:
    fade, dissolve, dip = (frame_weights(kind, 12) for kind in KINDS[1:])
    assert [m for m, _ in fade] == [str(min(255, round(256 * (1 - i / 12)))) for i in range(12)]
    assert fade[0][0] == "255" and fade[-1][0] == "21"  # xfade's progress: 1 at the first frame, 1/12 at the last
    assert dissolve[0][0] == "255*gte(val,0)" and dissolve[-1][0] == "255*gte(val,235)"
    gains = [g for _, g in dip]
    assert gains[0] == 1.0 and min(gains) == 0.0 and all(g <= 1 for g in gains)
    assert int(dip[6][0]) < 255 and gains[6] == 0.0  # the middle: black and the incoming picture only
    assert all(g == 1.0 for _, g in fade + dissolve)


def test_the_plan_for_n_scenes_puts_every_transition_frame_once_where_the_timeline_has_it(
    clips: tuple[Path, Path, Path],
) -> None:
    for count in (3, 6, 12):
        spec = _spec(clips, [KINDS[k % 4] for k in range(count)])
        timeline = plan(spec)
        spans = [
            Span(s.transition, round(timeline.starts[k] * 12), round(timeline.fades[k] * 12))
            for k, s in enumerate(spec.scenes)
            if timeline.fades[k] > 0
        ]
        frames = [f.frame for f in merge_plan(spans)]
        assert len(spans) == count - 1 - (count - 1) // 4  # every scene but the cuts
        assert frames == sorted(set(frames)) and len(frames) == sum(s.frames for s in spans)
        assert all(0 < f < round(timeline.total_s * 12) for f in frames)


def test_frames_expression_joins_runs() -> None:
    assert frames_expression([5, 3, 4, 9, 10, 20]) == "between(n,3,5)+between(n,9,10)+between(n,20,20)"


def test_the_field_spreads_evenly_and_its_chroma_follows_the_luma(tmp_path: Path) -> None:
    raw = write_dissolve_field(64, 48, tmp_path / "f.yuv").read_bytes()
    assert len(raw) == 64 * 48 * 3 // 2
    luma = np.frombuffer(raw[: 64 * 48], np.uint8).reshape(48, 64)
    # A dissolve shows a share of the incoming picture equal to its progress: the values must spread evenly.
    assert abs(float(luma.mean()) - 127.5) < 6 and abs(float((luma < 64).mean()) - 0.25) < 0.03
    quarter = 32 * 24
    assert raw[64 * 48 : 64 * 48 + quarter] == luma[::2, ::2].tobytes() == raw[64 * 48 + quarter :]
    assert raw == write_dissolve_field(64, 48, tmp_path / "g.yuv").read_bytes()


def _luma(path: Path) -> np.ndarray:
    from core.adapters.media.probe import open_container, require_sniff

    with open_container(path, require_sniff(path)) as container:
        return np.stack([f.to_ndarray(format="gray") for f in container.decode(container.streams.video[0])])


def test_one_merge_makes_every_transition_whatever_the_scene_count(
    clips: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    graphs = {}
    for count in (4, 12):
        args, _, _ = PostProducer(FfmpegToolkit()).arguments(
            _spec(clips, [KINDS[k % 4] for k in range(count)]), tmp_path / "o.mp4", tmp_path / f"w{count}"
        )
        graphs[count] = args[args.index("-filter_complex") + 1]
    for graph in graphs.values():
        assert graph.count("maskedmerge") == 1 and "xfade" not in graph
    # One lut per distinct weight: the same kinds of transition need the same filters at 4 scenes as at 12.
    assert graphs[4].count("lut=") == graphs[12].count("lut=")


def test_the_merged_transitions_look_like_xfades(
    clips: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = _spec(clips, KINDS, crf=0)  # lossless: the frames as the graph made them
    merged = PostProducer(FfmpegToolkit()).render(spec, tmp_path / "merged.mp4", tmp_path / "w1")
    monkeypatch.setattr(postprod, "MERGED", frozenset())  # every transition an xfade of its own, as before
    # xfade works in 4:4:4; nearest-neighbour conversions make the round trip exact (fast_bilinear moves luma
    # by up to 14 levels at edges), so what differs below is the transitions alone.
    monkeypatch.setattr(postprod, "CONVERSION_FLAGS", "neighbor")
    xfaded = PostProducer(FfmpegToolkit()).render(spec, tmp_path / "xfade.mp4", tmp_path / "w2")
    assert "maskedmerge" not in xfaded.command[xfaded.command.index("-filter_complex") + 1]
    one, other = _luma(merged.video.path).astype(int), _luma(xfaded.video.path).astype(int)
    assert one.shape == other.shape == (96, 480, 270)
    diff = np.abs(one - other)
    timeline = merged.timeline
    for k, kind in enumerate(KINDS[1:], start=1):
        first, frames = round(timeline.starts[k] * 12), round(timeline.fades[k] * 12)
        span = diff[first : first + frames]
        if kind is Transition.DISSOLVE:  # the pattern in numpy's float32 sin: a few pixels land the other way
            assert (span > 2).mean() < 0.003
        else:  # 256ths rounded against xfade's float truncated
            assert span.max() <= 3 and span.mean() < 1
        middle = one[first + frames // 2]  # neither scene alone: there is a transition to compare
        assert np.abs(middle - one[first - 1]).mean() > 5 and np.abs(middle - one[first + frames]).mean() > 5
    outside = np.ones(len(diff), bool)
    for k in range(1, len(KINDS)):
        first = round(timeline.starts[k] * 12)
        outside[first : first + round(timeline.fades[k] * 12)] = False
    assert diff[outside].max() == 0  # everything else is the picture untouched


def test_a_whip_keeps_its_own_xfade_beside_the_merge(clips: tuple[Path, Path, Path], tmp_path: Path) -> None:
    kinds = [Transition.CUT, Transition.WHIP, Transition.CROSSFADE, Transition.ZOOM, Transition.DISSOLVE]
    result = PostProducer(FfmpegToolkit()).render(_spec(clips, kinds), tmp_path / "mixed.mp4", tmp_path / "w")
    graph = result.command[result.command.index("-filter_complex") + 1]
    assert graph.count("xfade=") == 2 and graph.count("maskedmerge") == 1
    assert len(_luma(result.video.path)) == round(result.timeline.total_s * 12) == 120
