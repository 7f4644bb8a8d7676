"""Post-production, captions, mixdown and the quality check, with the real FFmpeg on short clips."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.adapters.media.captions import Rect, chunk_line, clean_text, filter_value, place, safe_area, wrap
from core.adapters.media.ffmpeg import FfmpegToolkit
from core.adapters.media.mixdown import RATE, VoicePlacement, integrated_loudness, mix
from core.adapters.media.music import synthesise, write_music_bed
from core.adapters.media.postprod import EditSpec, PostProducer, SceneCut, plan
from core.adapters.media.probe import decode_audio_mono
from core.adapters.media.quality import QcInputs, QcLimits, judge, scan_media
from core.domain.ads import Caption, Platform, RealismSettings, Transition
from tests.stubs.media import CountingToolkit, ffmpeg_exe, wav_bytes

NASTY = "Don't \"quote\" me: it's {50%} off [today]; 100% legit \\ ok, yes 🔥🎉"


def _clip(path: Path, seconds: float, source: str = "testsrc2", size: str = "270x480") -> Path:
    subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"{source}=size={size}:rate=12:duration={seconds}",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ],
        check=True,
    )
    return path


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ugc_media")
    _clip(root / "a.mp4", 2.6)
    _clip(root / "b.mp4", 2.6, "testsrc", "320x240")  # another size and aspect: scaled and cropped
    (root / "voice.wav").write_bytes(wav_bytes(1.4, 16000))
    write_music_bed(root / "music.wav", 6.0, seed=3)
    return root


def _spec(media_dir: Path, dialogue: str, **overrides: Any) -> EditSpec:
    scenes = (
        SceneCut(media_dir / "a.mp4", 2.6, media_dir / "voice.wav", 1.4, dialogue, duration_s=2.0),
        SceneCut(
            media_dir / "b.mp4", 2.6, media_dir / "voice.wav", 1.4, "Second line: [ok]", Transition.CROSSFADE, 2.0
        ),
    )
    values: dict[str, Any] = dict(width=270, height=480, fps=12, music=media_dir / "music.wav", preset="ultrafast")
    values.update(overrides)
    return EditSpec(scenes, **values)


def test_filter_values_are_escaped_at_both_levels() -> None:
    # ffmpeg-filters "Notes on filtergraph escaping": ' and : at the option level, then \ ' [ ] , ; for the graph
    assert filter_value("a:b") == "a\\\\:b"
    assert filter_value("it's") == "it\\\\\\'s"
    assert filter_value("x[1],y;z") == "x\\[1\\]\\,y\\;z"
    assert filter_value("between(t,1.000,2.000)") == "between(t\\,1.000\\,2.000)"


def test_caption_text_keeps_punctuation_and_drops_only_missing_glyphs() -> None:
    assert clean_text(NASTY) == "Don't \"quote\" me: it's {50%} off [today]; 100% legit \\ ok, yes"
    assert clean_text("line\nbreak\x00") == "line break"


def test_nasty_captions_render_in_one_pass_without_breaking_the_graph(media_dir: Path, tmp_path: Path) -> None:
    toolkit = CountingToolkit()
    result = PostProducer(toolkit).render(_spec(media_dir, NASTY), tmp_path / "out.mp4", tmp_path / "work")
    assert len(toolkit.runs) == 1  # one FFmpeg invocation made the file: one lossy video encode
    (args,) = toolkit.runs
    assert args.count("libx264") == 1 and args[-1].endswith(".part.mp4")
    graph = args[args.index("-filter_complex") + 1]
    assert "expansion=none" in graph and "textfile=" in graph
    assert "quote" not in graph and "{50%}" not in graph  # the creator's words never enter the graph
    texts = sorted((tmp_path / "work" / "postprod").glob("caption*.txt"))
    assert "{50%}" in "".join(t.read_text(encoding="utf-8") for t in texts)
    assert (result.video.width, result.video.height) == (270, 480)
    assert result.video.duration_s == pytest.approx(4.0, abs=0.1)
    assert result.encode_passes == 1 and len(result.captions) == 4


def test_transitions_keep_the_script_length(media_dir: Path) -> None:
    timeline = plan(_spec(media_dir, "Hello there."))
    assert timeline.total_s == pytest.approx(4.0)
    # Centred on the cut at 2.0 s; 0.8 s at 12 fps is 9.6 frames: the nearest even count, 10, starts on a frame.
    assert timeline.starts == (0.0, round(2.0 - 5 / 12, 3)) and timeline.fades == (0.0, round(10 / 12, 3))
    assert timeline.slots[0] == pytest.approx(2.0 + 5 / 12, abs=1e-3)


def test_other_aspects_and_no_realism_layer(media_dir: Path, tmp_path: Path) -> None:
    spec = _spec(media_dir, "Square now.", width=270, height=270, realism=RealismSettings(0, 0, 0, 1.0), captions=False)
    result = PostProducer(FfmpegToolkit()).render(spec, tmp_path / "sq.mp4", tmp_path / "work")
    assert (result.video.width, result.video.height) == (270, 270)
    graph = result.command[result.command.index("-filter_complex") + 1]
    assert "noise=" not in graph and "vignette" not in graph and "drawtext" not in graph


def test_the_mix_lands_on_the_loudness_target(media_dir: Path, tmp_path: Path) -> None:
    music = decode_audio_mono(media_dir / "music.wav", rate=RATE)
    voices = [VoicePlacement(media_dir / "voice.wav", 0.2), VoicePlacement(media_dir / "voice.wav", 2.5)]
    result = mix(voices, music, 5.0, tmp_path / "mix.wav", target_lufs=-14.0)
    assert integrated_loudness(decode_audio_mono(result.path, rate=RATE)) == pytest.approx(-14.0, abs=0.3)
    scan = scan_media(FfmpegToolkit(), result.path)  # FFmpeg's own EBU R128 meter agrees
    assert scan.integrated_lufs == pytest.approx(-14.0, abs=0.5)
    assert float(np.abs(decode_audio_mono(result.path, rate=RATE)).max()) <= 10 ** (-1.5 / 20) + 1e-3


def _defective(path: Path) -> Path:
    """2 s moving, 1 s black, 2.5 s frozen under film grain, 1.5 s moving; with a tone."""
    graph = (
        "[0:v]trim=0:2,setpts=PTS-STARTPTS[m1];[1:v]trim=0:1,setpts=PTS-STARTPTS[bk];"
        "[0:v]trim=2:2.05,setpts=PTS-STARTPTS,tpad=stop_mode=clone:stop_duration=2.5,trim=0:2.5,setpts=PTS-STARTPTS,"
        "noise=alls=4:allf=t+u[fz];[0:v]trim=5:6.5,setpts=PTS-STARTPTS[m2];"
        "[m1][bk][fz][m2]concat=n=4:v=1:a=0,format=yuv420p[v]"
    )
    subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=270x480:rate=12:duration=7",
            "-f",
            "lavfi",
            "-i",
            "color=black:size=270x480:rate=12:duration=1",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=330:duration=7",
            "-filter_complex",
            graph,
            "-map",
            "[v]",
            "-map",
            "2:a",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac",
            "-shortest",
            str(path),
        ],
        check=True,
    )
    return path


def test_the_quality_check_finds_a_black_and_a_frozen_stretch(tmp_path: Path) -> None:
    from core.adapters.media.postprod import Timeline

    scan = scan_media(FfmpegToolkit(), _defective(tmp_path / "bad.mp4"))
    assert (
        len(scan.black) == 1
        and scan.black[0][0] == pytest.approx(2.0, abs=0.2)
        and scan.black[0][1] == pytest.approx(3.0, abs=0.2)
    )
    assert len(scan.frozen) == 1 and scan.frozen[0][0] == pytest.approx(3.0, abs=0.3)
    assert scan.frozen[0][1] == pytest.approx(5.5, abs=0.3)
    timeline = Timeline((0.0, 2.0, 5.5), (2.0, 3.5, 1.5), (0.1, 2.1, 5.6), (0.0, 0.0, 0.0), 7.0)
    report = judge(QcInputs(scan, 7.0, timeline, [], safe_area(Platform.TIKTOK, 270, 480)), QcLimits())
    failed = {f.check: f.scene_numbers for f in report.findings if not f.passed}
    assert failed.keys() >= {"black", "frozen"} and failed["black"] == [2] and failed["frozen"] == [2]
    assert not report.passed


def test_captions_are_wrapped_inside_the_safe_area_and_a_stray_box_is_caught() -> None:
    captions = [Caption(0.0, 1.0, "Supercalifragilisticexpialidocious unbelievably long words here")]
    placed = place(captions, Platform.TIKTOK, 270, 480)
    safe = safe_area(Platform.TIKTOK, 270, 480)
    assert all(safe.contains(p.box) for p in placed) and len(placed[0].lines) >= 2
    assert all(len(line) > 0 for line in wrap("x" * 80, 15, 100))
    stray = placed[0].__class__(captions[0], ("x",), Rect(0, 470, 270, 40), 15, 3)
    scan = type(
        "Scan", (), {"duration_s": 1.0, "black": [], "frozen": [], "integrated_lufs": -14.0, "true_peak_db": -3.0}
    )()
    timeline = plan(EditSpec((SceneCut(Path("x"), 1.0),), 270, 480))
    report = judge(QcInputs(scan, 1.0, timeline, [stray], safe), QcLimits())  # type: ignore[arg-type]
    assert [f.check for f in report.findings if not f.passed] == ["captions_safe_area"]


def test_identity_is_not_checked_when_no_frame_was_scored() -> None:
    scan = type(
        "Scan", (), {"duration_s": 1.0, "black": [], "frozen": [], "integrated_lufs": -14.0, "true_peak_db": -3.0}
    )()
    timeline = plan(EditSpec((SceneCut(Path("x"), 1.0),), 270, 480))
    safe = safe_area(Platform.TIKTOK, 270, 480)
    for scores in ({}, {1: []}):
        report = judge(QcInputs(scan, 1.0, timeline, [], safe, scores), QcLimits())  # type: ignore[arg-type]
        identity = next(f for f in report.findings if f.check == "identity")
        assert not identity.checked and identity.detail.startswith("not checked")
    report = judge(QcInputs(scan, 1.0, timeline, [], safe, {1: [0.9]}), QcLimits())  # type: ignore[arg-type]
    assert all(f.checked for f in report.findings)


def test_captions_follow_the_voice_line() -> None:
    parts = chunk_line("One two three four five six seven", 1.0, 2.0)
    assert [p.text for p in parts] == ["One two three four five", "six seven"]
    assert parts[0].start_s == 1.0 and parts[-1].end_s == pytest.approx(3.0)


def test_the_music_bed_renders_every_length_from_1_to_90_s() -> None:
    """5.0 s used to fail: the last bar's arpeggio ran past the buffer (74 of 891 lengths)."""
    for tenths in range(10, 901):
        samples = synthesise(tenths / 10, seed=tenths % 7)
        assert len(samples) == round(tenths / 10 * 44_100)
        assert np.isfinite(samples).all() and 0 < float(np.abs(samples).max()) <= 0.5 + 1e-6


def test_the_music_bed_is_exactly_as_long_as_asked(tmp_path: Path) -> None:
    path = write_music_bed(tmp_path / "m.wav", 3.25, seed=1)
    assert len(decode_audio_mono(path, rate=44_100)) == round(3.25 * 44_100)
    assert path.read_bytes() == write_music_bed(tmp_path / "n.wav", 3.25, seed=1).read_bytes()


def test_the_precomputed_vignette_looks_like_ffmpegs_vignette(tmp_path: Path) -> None:
    from PIL import Image

    from core.adapters.media.postprod import write_vignette_mask

    toolkit, angle = FfmpegToolkit(), 0.2
    mask = write_vignette_mask(270, 480, angle, tmp_path / "mask.png")
    source = ["-f", "lavfi", "-i", "color=c=0x9a8070:s=270x480:d=0.1,format=yuv420p"]
    toolkit.run(
        [*source, "-vf", f"vignette=angle={angle}:dither=0", "-frames:v", "1", str(tmp_path / "a.png")], what="a"
    )
    graph = "[1:v]format=yuva420p[m];[0:v][m]overlay=eof_action=repeat:format=yuv420"
    toolkit.run(
        [*source, "-i", str(mask), "-filter_complex", graph, "-frames:v", "1", str(tmp_path / "b.png")], what="b"
    )
    a, b = (np.asarray(Image.open(tmp_path / n).convert("RGB"), np.float32) for n in ("a.png", "b.png"))
    assert a[0, 0].mean() < a[240, 135].mean() - 5  # corners darker: there is a vignette
    assert float(np.abs(a - b).mean()) < 1.5 and float(np.abs(a - b).max()) < 8  # and the same one


def _gray_frames(path: Path) -> np.ndarray:
    from core.adapters.media.probe import open_container, require_sniff

    with open_container(path, require_sniff(path)) as container:
        return np.stack([f.to_ndarray(format="gray") for f in container.decode(container.streams.video[0])])


def test_clips_of_one_size_are_read_through_one_joined_input_with_the_same_frames(
    media_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.adapters.media import postprod

    _clip(tmp_path / "c.mp4", 1.5, "smptebars")  # shorter than its scene: held on its last frame
    a, c, voice = media_dir / "a.mp4", tmp_path / "c.mp4", media_dir / "voice.wav"
    scenes = (
        SceneCut(a, 2.6, voice, 1.4, "One.", duration_s=2.0),
        SceneCut(c, 1.5, voice, 1.4, "Two.", Transition.CROSSFADE, 2.0),
        SceneCut(a, 2.6, voice, 1.4, "Three.", Transition.CUT, 2.0),
        SceneCut(c, 1.5, voice, 1.4, "Four.", Transition.DIP_TO_BLACK, 2.0),
    )
    # No grain: its random pattern is drawn per graph; everything else must match frame for frame.
    spec = EditSpec(
        scenes, 270, 480, fps=12, music=media_dir / "music.wav", preset="ultrafast", realism=RealismSettings(0, 0.25)
    )
    joined = PostProducer(FfmpegToolkit()).render(spec, tmp_path / "joined.mp4", tmp_path / "w1")
    graph = joined.command[joined.command.index("-filter_complex") + 1]
    # clips, heads, the dissolve pattern (the shared merge's), vignette, sound
    assert joined.command.count("concat") == 2 and joined.command.count("-i") == 5
    assert "maskedmerge" in graph and "xfade" not in graph and "textfile=" in graph
    monkeypatch.setattr(postprod.ClipFeed, "joinable", lambda self: False)
    separate = PostProducer(FfmpegToolkit()).render(spec, tmp_path / "separate.mp4", tmp_path / "w2")
    assert separate.command.count("-i") == 7  # one input per clip
    one, other = _gray_frames(joined.video.path), _gray_frames(separate.video.path)
    assert one.shape == other.shape == (96, 480, 270)
    assert np.abs(one.astype(int) - other.astype(int)).mean(axis=(1, 2)).max() < 0.05
    assert joined.timeline == separate.timeline and joined.video.duration_s == pytest.approx(8.0, abs=0.1)
