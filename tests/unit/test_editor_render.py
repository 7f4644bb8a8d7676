"""The editor's renderer (issue 15, render side): the graph built with ffmpeg-python and refused
unless every input is a whitelisted local file, captions only in generated text files, the
word-by-word highlight, the sound-effects track mixed at its place, the frame at the playhead
(the same picture as the render), and the two-stage proxy that re-renders only changed clips.

Pure rendering tests (no database); the service tests below use the `db` fixture."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.adapters.media.edit_render import (
    EditRenderer,
    WordClock,
    build_command,
    frame_settings,
    frame_window,
    proxy_settings,
    word_times,
)
from core.adapters.media.ffmpeg import FfmpegToolkit
from core.adapters.media.probe import decode_audio_mono, probe_media
from core.domain import edit as ops
from core.errors import ValidationError
from core.ports_services import Services
from core.services.editor import edits, renders
from tests.editor_support import FFMPEG, World, ad_edit, add_member, finished_ad, make_clip, make_tone, owner_change

HOSTILE = "Hi'; drawtext=text=%{pts}: [x],ok\\ $(rm -rf /)"


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("edit_media")
    return {
        "a": make_clip(folder / "a.mp4", 3.0),
        "b": make_clip(folder / "b.mp4", 3.0, pattern="testsrc2"),
        "black": make_clip(folder / "black.mp4", 3.0, pattern="color"),
        "tone": make_tone(folder / "tone.wav", 1.0, 880),
        "voice": make_tone(folder / "voice.wav", 1.5, 300),
    }


def _doc(**changes: object) -> ops.EditDoc:
    clips = (
        ops.VideoClip("c1", "a", 3.0, 0.0, 3.0, "One"),
        ops.VideoClip("c2", "b", 3.0, 0.5, 3.0, "Two", transition="wipe left", transition_s=0.4),
        ops.VideoClip("c3", "a", 3.0, 1.0, 2.5, "Three"),
    )
    doc = ops.EditDoc(clips, captions=(ops.CaptionItem("k1", 0.2, 2.2, "Glow fixed my skin"),))
    return ops.validate(replace(doc, **changes))  # type: ignore[arg-type]


def _frame(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB")).astype(int)


def _video_frame(video: Path, index: int, dest: Path) -> np.ndarray:
    select = f"select=eq(n\\,{index})"
    subprocess.run([FFMPEG, "-loglevel", "error", "-y", "-i", str(video), "-vf", select, "-frames:v", "1", str(dest)])
    return _frame(dest)


def test_the_graph_is_ffmpeg_python_with_no_user_text(media: dict[str, Path], tmp_path: Path) -> None:
    doc = _doc(captions=(ops.CaptionItem("k1", 0.2, 2.2, ops.clean_caption_text(HOSTILE)),))
    doc = replace(doc, sfx=(ops.SfxItem("s1", "tone", 1.0, 1.0, 0.0, 1.0, HOSTILE),))
    for animation in ops.ANIMATIONS:
        styled = replace(doc, caption_style=ops.CaptionStyle(animation=animation))
        args = build_command(FfmpegToolkit(), styled, media, proxy_settings("9:16"), tmp_path, tmp_path / "o.mp4")
        graph = args[args.index("-filter_complex") + 1]
        assert "drawtext" in graph and "textfile=" in graph and "expansion=none" in graph
        assert "Hi" not in graph and "rm -rf" not in graph and "lavfi" not in args
        inputs = [args[i + 1] for i, a in enumerate(args) if a == "-i"]
        assert all(url.startswith("file:") for url in inputs)
    texts = " ".join(p.read_text() for p in tmp_path.glob("*.txt"))
    assert "rm -rf" in texts  # the words live in the generated files only


def test_word_times_share_the_span() -> None:
    cap = ops.CaptionItem("k", 1.0, 3.0, "a longer word")
    times = word_times(cap, cap.text.split())
    assert times[0] == 1.0 and times[-1] == 3.0 and times == sorted(times) and len(times) == 4
    assert times[2] - times[1] > times[1] - times[0]  # "longer" takes longer than "a"


def _late_voice(dest: Path) -> Path:
    """Two seconds: one of silence, then one of speech (a tone)."""
    graph = "sine=f=300:d=1,adelay=1000:all=1,apad=whole_dur=2"
    subprocess.run(
        [FFMPEG, "-loglevel", "error", "-y", "-f", "lavfi", "-i", graph, "-ar", "44100", str(dest)], check=True
    )
    return dest


def test_the_highlight_follows_the_voice(media: dict[str, Path], tmp_path: Path) -> None:
    sources = {**media, "late": _late_voice(tmp_path / "late.wav")}
    voice = ops.AudioTrack((ops.AudioItem("v", "late", 2.0, 0.2, 0.0, 2.0, "Line"),))  # speech from 1.2 s
    style = ops.CaptionStyle(animation="word highlight")
    doc = _doc(voice=voice, caption_style=style, clips=(ops.VideoClip("c1", "black", 3.0, 0.0, 3.0),))
    cap = doc.captions[0]
    times = WordClock(doc, sources).times(cap, cap.text.split())
    assert times[0] == pytest.approx(1.2, abs=0.05) and times[-1] == cap.end_s and times == sorted(times)
    assert all(1.15 <= t <= 2.2 for t in times)  # the words share the speech, not the silence before it
    renderer, settings = EditRenderer(FfmpegToolkit()), frame_settings("9:16")
    before = _frame(renderer.frame(doc, sources, 0.7, tmp_path / "before.jpg", settings))
    during = _frame(renderer.frame(doc, sources, 1.9, tmp_path / "during.jpg", settings))
    assert _highlight_x(during) > 0
    with pytest.raises(AssertionError, match="no highlighted word"):
        _highlight_x(before)  # the caption shows, no word lit yet: the voice has not started


def _highlight_x(frame: np.ndarray) -> float:
    """Mean column of the highlight colour (#FFD400) in the frame."""
    r, g, b = frame[..., 0], frame[..., 1], frame[..., 2]
    mask = (r > 220) & (g > 180) & (g < 235) & (b < 70)
    assert mask.sum() > 20, "no highlighted word"
    return float(np.nonzero(mask)[1].mean())


def test_word_highlight_follows_the_words(media: dict[str, Path], tmp_path: Path) -> None:
    style = ops.CaptionStyle(animation="word highlight", box=True)  # one line at this size
    doc = _doc(caption_style=style, clips=(ops.VideoClip("c1", "black", 3.0, 0.0, 3.0),))
    renderer, settings = EditRenderer(FfmpegToolkit()), frame_settings("9:16")
    times = word_times(doc.captions[0], doc.captions[0].text.split())
    spots = [
        _highlight_x(_frame(renderer.frame(doc, media, (a + b) / 2, tmp_path / f"w{i}.jpg", settings)))
        for i, (a, b) in enumerate(zip(times, times[1:], strict=False))
    ]
    assert spots == sorted(spots) and spots[-1] - spots[0] > 100  # the lit word moves left to right


def test_sound_effects_are_mixed_at_their_place(media: dict[str, Path], tmp_path: Path) -> None:
    doc = ops.add_sfx(_doc(), ops.SfxItem("s1", "tone", 1.0, 2.0, 0.0, 1.0, "Ding", volume=1.0, fade_out_s=0.2))
    video = EditRenderer(FfmpegToolkit()).render(doc, media, tmp_path / "sfx.mp4", proxy_settings("9:16"))
    samples = decode_audio_mono(video.path, rate=8000)

    def rms(start: float, end: float) -> float:
        return float(np.sqrt(np.mean(samples[int(start * 8000) : int(end * 8000)] ** 2)))

    assert rms(2.2, 2.7) > 0.05 and rms(0.2, 1.7) < 0.01 and rms(3.3, 4.5) < 0.01
    assert video.duration_s == pytest.approx(ops.total_s(doc), abs=0.1)


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        (lambda d: ops.add_sfx(d, ops.SfxItem("x", "tone", 1.0, -1.0, 0.0, 1.0)), "between 0 and"),
        (lambda d: ops.add_sfx(d, ops.SfxItem("x", "tone", 1.0, 99.0, 0.0, 1.0)), "between 0 and"),
        (lambda d: ops.add_sfx(d, ops.SfxItem("x", "tone", 1.0, 1.0, 0.0, 5.0)), "of the file"),
        (lambda d: ops.add_sfx(d, ops.SfxItem("x", "tone", 1.0, 1.0, 0.8, 0.3)), "must end after it starts"),
        (lambda d: ops.move_sfx(d, "s1", float("nan")), "must be a number"),
        (lambda d: ops.move_sfx(d, "gone", 1.0), "no longer in the edit"),
        (lambda d: ops.set_sfx(d, "s1", volume=3.0, fade_in_s=0.0, fade_out_s=0.0), "0 to 200"),
        (lambda d: ops.set_sfx(d, "s1", volume=1.0, fade_in_s=-1.0, fade_out_s=0.0), "fades"),
        (lambda d: ops.set_sfx(d, "s1", volume=1.0, fade_in_s=0.6, fade_out_s=0.6), "fades"),
    ],
)
def test_hostile_sound_effects_are_refused(operation, message: str) -> None:  # type: ignore[no-untyped-def]
    doc = ops.add_sfx(_doc(), ops.SfxItem("s1", "tone", 1.0, 1.0, 0.0, 1.0, "Ding"))
    with pytest.raises(ValidationError, match=message):
        operation(doc)


def test_sound_effect_operations_and_round_trip() -> None:
    doc = ops.add_sfx(_doc(), ops.SfxItem("s1", "tone", 1.0, 6.2, 0.0, 1.0, "Ding"))
    assert doc.sfx[0].length_s == pytest.approx(ops.total_s(doc) - 6.2)  # cut at the edit's end
    doc = ops.move_sfx(doc, "s1", 1.0)
    doc = ops.set_sfx(doc, "s1", volume=0.5, fade_in_s=0.1, fade_out_s=0.1)
    assert (doc.sfx[0].start_s, doc.sfx[0].volume) == (1.0, 0.5)
    assert ops.EditDoc.from_dict(doc.to_dict()) == doc and "tone" in ops.source_keys(doc)
    assert ops.remove_sfx(doc, "s1").sfx == ()
    old = doc.to_dict()
    del old["sfx"], old["caption_style"]["highlight_colour"]  # a version saved before this change
    assert ops.EditDoc.from_dict(old).sfx == ()


@pytest.mark.parametrize("index", [10, 62, 70, 100])
def test_the_frame_at_the_playhead_is_the_renders_frame(media: dict[str, Path], tmp_path: Path, index: int) -> None:
    doc = _doc(caption_style=ops.CaptionStyle(animation="word highlight"))
    renderer, settings = EditRenderer(FfmpegToolkit()), frame_settings("9:16")
    full = renderer.render(doc, media, tmp_path / "full.mp4", settings)
    rendered = _video_frame(full.path, index, tmp_path / "full.png")
    still = _frame(renderer.frame(doc, media, index / settings.fps, tmp_path / "still.jpg", settings))
    assert still.shape == rendered.shape == (settings.height, settings.width, 3)
    neighbour = _video_frame(full.path, index + 1, tmp_path / "next.png")
    assert np.abs(still - rendered).mean() < min(4.0, np.abs(still - neighbour).mean())


def test_the_frame_window_reads_only_what_shows() -> None:
    doc = _doc()
    window, local = frame_window(doc, 1.0, 24)
    assert len(window.clips) == 1 and window.clips[0].in_s == pytest.approx(1.0, abs=0.001) and local == 0.0
    window, local = frame_window(doc, 2.7, 24)  # inside the wipe from 2.6 s
    assert [c.id for c in window.clips] == ["c1", "c2"] and 0 < local < 0.4
    assert 0.4 < window.clips[0].length_s <= 0.4 + 1 / 24 and not window.voice.items  # from the frame before
    assert window.captions == ()  # the caption ended at 2.2 s
    window, _ = frame_window(doc, 1.0, 24)
    assert window.captions[0].start_s == pytest.approx(0.2 - 1.0)  # moved to the window's time


def test_the_proxy_rerenders_only_changed_clips(media: dict[str, Path], tmp_path: Path) -> None:
    renderer, settings, segments = EditRenderer(FfmpegToolkit()), proxy_settings("9:16"), tmp_path / "segments"
    doc = _doc(voice=ops.AudioTrack((ops.AudioItem("v", "voice", 1.5, 0.3, 0.0, 1.5, "Line"),)))
    first = renderer.render_proxy(doc, media, tmp_path / "p1.mp4", settings, segments)
    made = {p.name: p.read_bytes() for p in segments.iterdir()}
    assert len(made) == 3  # one per clip
    recaptioned = ops.edit_caption(doc, "k1", "New words here", 0.2, 2.0)
    renderer.render_proxy(recaptioned, media, tmp_path / "p2.mp4", settings, segments)
    assert {p.name for p in segments.iterdir()} == set(made)  # no clip decoded again
    trimmed = ops.trim_clip(recaptioned, "c3", 1.2, 2.5)
    third = renderer.render_proxy(trimmed, media, tmp_path / "p3.mp4", settings, segments)
    after = {p.name: p.read_bytes() for p in segments.iterdir()}
    assert len(after) == 4 and all(after[name] == data for name, data in made.items())  # one new segment
    one_pass = renderer.render(trimmed, media, tmp_path / "one.mp4", settings)
    info, reference = probe_media(third.path), probe_media(one_pass.path)
    assert (info.width, info.height) == (reference.width, reference.height) == (360, 640)
    assert info.duration_s == pytest.approx(reference.duration_s, abs=0.05) and info.has_audio
    assert first.duration_s == pytest.approx(ops.total_s(doc), abs=0.1)


# --------------------------------------------------------------------------- the services (SQLite and PostgreSQL)


@pytest.fixture
def world(services: Services, tmp_path: Path) -> World:
    return finished_ad(services, tmp_path)


def test_sound_effect_uploads_are_probed_and_capped(services: Services, world: World, tmp_path: Path) -> None:
    view = ad_edit(services, world)
    playlist = b"#EXTM3U\n#EXT-X-VERSION:3\n#EXTINF:10,\nhttp://127.0.0.1/evil.ts\n#EXT-X-ENDLIST\n"
    video = make_clip(tmp_path / "picture.mp4", 1.0).read_bytes()
    for data in (playlist, video, b"RIFF\x00\x00\x00\x00WAVEjunk", b"not audio at all " * 50):
        with pytest.raises(ValidationError, match="cannot be used"):
            renders.sfx_upload(view.id, data, at_s=1.0, user_id=world.owner, services=services)
    with pytest.raises(ValidationError, match="limit"):
        long = make_tone(tmp_path / "long.wav", renders.SFX_MAX_S + 2)
        renders.sfx_upload(view.id, long.read_bytes(), at_s=1.0, user_id=world.owner, services=services)
    assert edits.get_edit(view.id, user_id=world.owner, services=services).document == view.document
    item = renders.sfx_upload(
        view.id, make_tone(tmp_path / "ding.wav", 0.5).read_bytes(), at_s=1.0, user_id=world.owner, services=services
    )
    changed = owner_change(services, world, view, "sfx", lambda d: ops.add_sfx(d, item))
    assert changed.document.sfx[0].start_s == 1.0 and changed.document.sfx[0].source_key == item.source_key
    path = renders.proxy(view.id, user_id=world.owner, services=services)
    assert probe_media(path).has_audio


def test_the_frame_service_follows_the_playhead(services: Services, world: World) -> None:
    view = ad_edit(services, world)
    early = renders.frame_at(view.id, 0.5, user_id=world.owner, services=services)
    late = renders.frame_at(view.id, 4.0, user_id=world.owner, services=services)
    assert early != late and early.read_bytes()[:2] == b"\xff\xd8"  # JPEG
    assert renders.frame_at(view.id, 0.5, user_id=world.owner, services=services) == early  # cached
    for bad in (-1.0, 99.0, float("nan")):
        with pytest.raises(ValidationError, match="playhead"):
            renders.frame_at(view.id, bad, user_id=world.owner, services=services)


def test_overlapping_sound_effects_go_on_separate_otio_tracks() -> None:
    from core.adapters.media.edit_otio import timeline_of

    doc = _doc()
    for sfx_id, start in (("s1", 1.0), ("s2", 1.5), ("s3", 3.0)):
        doc = ops.add_sfx(doc, ops.SfxItem(sfx_id, "tone", 1.0, start, 0.0, 1.0, sfx_id))
    media = {key: f"media/{key}.mp4" for key in ops.source_keys(doc)}
    timeline = timeline_of(doc, media, "Edit")  # kept alive: its tracks belong to it
    tracks = {t.name: t for t in timeline.tracks}
    assert [c.name for c in tracks["Sound effects 1"].find_clips()] == ["s1", "s3"]
    assert [c.name for c in tracks["Sound effects 2"].find_clips()] == ["s2"]
    lane = tracks["Sound effects 1"]
    placed = lane.range_of_child(list(lane.find_clips())[1]).start_time.to_seconds()  # after its gap
    assert placed == pytest.approx(3.0, abs=1 / 30)


def test_an_export_mixes_the_sound_effects(services: Services, world: World, tmp_path: Path) -> None:
    view = ad_edit(services, world)
    viewer = add_member(services, world.project_id, "viewer@example.com", "viewer")
    ding = make_tone(tmp_path / "ding.wav", 0.5, 1200).read_bytes()
    with pytest.raises(ValidationError, match="viewer"):
        renders.sfx_upload(view.id, ding, at_s=1.0, user_id=viewer, services=services)
    item = renders.sfx_upload(view.id, ding, at_s=4.6, user_id=world.owner, services=services)
    view = owner_change(services, world, view, "sfx", lambda d: ops.add_sfx(d, item))
    export_id = renders.start_export(
        view.id, resolution="720p", container="mp4", quality="draft", user_id=world.owner, services=services
    )
    services.queue.drain()  # type: ignore[attr-defined]
    data, _ = renders.export_file(export_id, user_id=world.owner, services=services)
    out = tmp_path / "export.mp4"
    out.write_bytes(data)
    samples = decode_audio_mono(out, rate=8000)
    spectrum = np.abs(np.fft.rfft(samples[int(4.7 * 8000) : int(5.0 * 8000)]))
    frequencies = np.fft.rfftfreq(int(0.3 * 8000), 1 / 8000)
    assert abs(frequencies[int(np.argmax(spectrum))] - 1200) < 30  # the effect's tone, at its place


def test_a_long_word_by_word_edit_renders_and_its_frame_too(media: dict[str, Path], tmp_path: Path) -> None:
    """Forty captions of eight words, highlighted word by word: some 700 drawtext filters, a graph
    longer than Linux lets one argument be (128 KiB), so FFmpeg reads it from a file."""
    words = "glow fixed my skin in one short week"
    captions = tuple(ops.CaptionItem(f"k{i}", round(0.1 + i * 0.05, 3), 2.9, words) for i in range(40))
    style = ops.CaptionStyle(animation="word highlight")
    doc = _doc(captions=captions, caption_style=style, clips=(ops.VideoClip("c1", "black", 3.0, 0.0, 3.0),))
    settings = proxy_settings("9:16")
    args = build_command(FfmpegToolkit(), doc, media, settings, tmp_path, tmp_path / "o.mp4")
    assert len(args[args.index("-filter_complex") + 1].encode()) > 128 * 1024
    renderer = EditRenderer(FfmpegToolkit())
    video = renderer.render(doc, media, tmp_path / "long.mp4", settings)
    assert video.duration_s == pytest.approx(3.0, abs=0.1)
    still = renderer.frame(doc, media, 2.5, tmp_path / "long.jpg", frame_settings("9:16"))
    assert _highlight_x(_frame(still)) > 0
