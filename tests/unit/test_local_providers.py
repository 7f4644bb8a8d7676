"""Offline providers (eSpeak speech, Pillow image edit, lip-sync) and the seed actor catalog."""

from __future__ import annotations

import hashlib
import json
import math
import struct
import wave
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from core.adapters.media.ffmpeg import FfmpegToolkit
from core.adapters.media.probe import decode_audio_mono
from core.adapters.providers.local import espeak
from core.adapters.providers.local.image_edit import LocalImageEditor
from core.adapters.providers.local.lipsync import LocalLipSyncer, mouth_levels
from core.adapters.providers.local.portrait import FaceLayout, read_layout
from core.adapters.providers.local.scenes import parse_prompt
from core.adapters.providers.local.speech import LocalSpeechSynthesizer
from core.adapters.providers.local.talking_head import MOUTH_LEVELS
from core.domain.types import AGE_RANGES, SCENE_TAGS, Voice
from core.errors import ValidationError
from core.ports import ImageEditRequest, LipSyncRequest, PredictionState, Provider, SpeechRequest

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
ACTOR = SEEDS / "actors" / "ava_base_01.png"


@pytest.fixture(scope="module")
def toolkit() -> FfmpegToolkit:
    return FfmpegToolkit()


def run(provider: Provider, request: object, dest: Path) -> object:  # type: ignore[type-arg]
    submission = provider.submit(request)
    result = provider.poll(submission.request_id)
    assert result.state is PredictionState.DONE
    output = provider.collect(request, result, dest)
    assert provider.cost_usd(request, output) == 0.0
    return output


def speechlike_wav(path: Path, silent_s: float = 1.0, loud_s: float = 1.0, rate: int = 16000) -> Path:
    """Silence, then a 'syllable'-modulated buzz: loud enough to open the mouth."""
    samples = [0] * int(silent_s * rate)
    for i in range(int(loud_s * rate)):
        t = i / rate
        envelope = 0.55 + 0.45 * math.sin(2 * math.pi * 4 * t)
        samples.append(int(14000 * envelope * math.sin(2 * math.pi * 180 * t)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return path


def decoded_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


# ---------------------------------------------------------------------------- speech


def test_local_adapters_satisfy_the_provider_protocol() -> None:
    for adapter in (LocalSpeechSynthesizer(), LocalImageEditor(), LocalLipSyncer()):
        assert isinstance(adapter, Provider)
        assert adapter.name == "local"
        assert adapter.poll("anything").state is PredictionState.DONE


def test_speech_request_id_is_deterministic() -> None:
    tts = LocalSpeechSynthesizer()
    a = SpeechRequest("Hello there", Voice("en-us+f3"))
    assert tts.submit(a).request_id == tts.submit(SpeechRequest("Hello there", Voice("en-us+f3"))).request_id
    assert tts.submit(a).request_id != tts.submit(SpeechRequest("Hello there!", Voice("en-us+f3"))).request_id
    assert tts.submit(a).request_id != tts.submit(SpeechRequest("Hello there", Voice("en-us+f3"), seed=1)).request_id
    with pytest.raises(ValidationError):
        tts.submit(SpeechRequest("   ", Voice("en-us")))


def test_espeak_audio_grows_with_text_and_is_not_silence(tmp_path: Path, toolkit: FfmpegToolkit) -> None:
    tts = LocalSpeechSynthesizer(toolkit)
    short = run(tts, SpeechRequest("Hi there.", Voice("en-us+f3")), tmp_path)
    long = run(
        tts,
        SpeechRequest(
            "Hi there. This one is a much longer sentence, so it should take longer to say.", Voice("en-us+f3")
        ),
        tmp_path,
    )
    assert 0.3 < short.duration_s < long.duration_s
    info = toolkit.probe(long.path)
    assert (info.container, info.sample_rate, info.channels) == ("mp3", 44100, 1)
    assert long.content_type == "audio/mpeg"
    samples = decode_audio_mono(long.path, rate=16000)
    assert float(np.sqrt(np.mean(samples**2))) > 0.02


def test_espeak_is_deterministic(tmp_path: Path) -> None:
    tts = LocalSpeechSynthesizer()
    request = SpeechRequest("Same words, same voice, same sound.", Voice("en-us+f4", rate_wpm=170, pitch=60), seed=3)
    first = run(tts, request, tmp_path / "a")
    run(tts, SpeechRequest("Something else in between.", Voice("en+m4")), tmp_path / "b")
    second = run(tts, request, tmp_path / "c")
    assert first.path.read_bytes() == second.path.read_bytes()


def test_unknown_voice_falls_back_to_language() -> None:
    speech, used = espeak.synthesize("Hello", ["no-such-voice", "en-gb-x-rp"], rate_wpm=160, pitch=50)
    assert used == "en-gb-x-rp" and speech.duration_s > 0.2


# ---------------------------------------------------------------------------- seed catalog


def test_seed_catalog_is_complete_and_consistent() -> None:
    catalog = json.loads((SEEDS / "actors.json").read_text())
    assert len(catalog) == 10
    assert len({a["key"] for a in catalog}) == 10
    assert len({a["voice"]["voice_id"] for a in catalog}) == 10
    tag_use = {tag: sum(tag in a["tags"] for a in catalog) for tag in SCENE_TAGS}
    assert all(count >= 2 for count in tag_use.values()), tag_use
    for actor in catalog:
        assert set(actor["tags"]) <= set(SCENE_TAGS) and actor["tags"]
        assert actor["age_range"] in AGE_RANGES and actor["gender"] in ("female", "male")
        image = SEEDS / "actors" / actor["image"]
        assert image.stat().st_size < 150 * 1024
        with Image.open(image) as img:
            assert img.size == (720, 1280)
            assert img.getpixel((5, 5)) == tuple(int(actor["background"][i : i + 2], 16) for i in (1, 3, 5))
            assert read_layout(img) == FaceLayout.from_dict(actor["face"])
    assert {a["gender"] for a in catalog} == {"female", "male"}


def test_every_seed_voice_is_installed() -> None:
    catalog = json.loads((SEEDS / "actors.json").read_text())
    for actor in catalog:
        voice = actor["voice"]["voice_id"]
        _, used = espeak.synthesize("Hi", [voice], rate_wpm=actor["voice"]["rate_wpm"], pitch=actor["voice"]["pitch"])
        assert used == voice


# ---------------------------------------------------------------------------- image edit


def test_prompt_parsing() -> None:
    assert parse_prompt("Filming in a sunny kitchen, golden hour").scene == "kitchen"
    assert parse_prompt("At the airport, then in the car").scene == "airport"
    assert parse_prompt("something abstract").scene == "studio"
    assert parse_prompt("after my workout").scene == "gym"
    spec = parse_prompt("beach at sunset")
    assert spec.sunset and spec.grade.temperature > 0


def test_image_edit_replaces_backdrop_and_keeps_person(tmp_path: Path) -> None:
    editor = LocalImageEditor()
    original = np.asarray(Image.open(ACTOR).convert("RGB"), np.int32)
    out = run(editor, ImageEditRequest(ACTOR, "on a beach at golden hour", seed=1), tmp_path)
    assert (out.width, out.height, out.content_type) == (720, 1280, "image/png")
    with Image.open(out.path) as img:
        edited = np.asarray(img.convert("RGB"), np.int32)
        assert read_layout(img) is not None  # lip-sync still knows where the mouth is
    assert np.abs(edited[40:200, 20:200] - original[40:200, 20:200]).mean() > 30  # new backdrop
    neutral = run(editor, ImageEditRequest(ACTOR, "studio", seed=1), tmp_path)
    kept = np.asarray(Image.open(neutral.path).convert("RGB"), np.int32)
    face = (slice(470, 520), slice(330, 390))  # nose and cheeks, near the frame centre
    assert np.abs(kept[face] - original[face]).mean() < 8


def test_image_edit_is_deterministic(tmp_path: Path) -> None:
    editor = LocalImageEditor()
    request = ImageEditRequest(ACTOR, "city street at night with neon", seed=5)
    a = run(editor, request, tmp_path / "a")
    b = run(editor, request, tmp_path / "b")
    assert a.path.read_bytes() == b.path.read_bytes()
    c = run(editor, ImageEditRequest(ACTOR, "city street at night with neon", seed=6), tmp_path / "c")
    assert c.path.read_bytes() != a.path.read_bytes()


def test_image_edit_without_flat_backdrop_only_relights(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    photo = tmp_path / "photo.png"
    Image.fromarray(rng.integers(0, 255, (300, 200, 3), dtype=np.uint8)).save(photo)
    out = run(LocalImageEditor(), ImageEditRequest(photo, "warm kitchen"), tmp_path)
    assert (out.width, out.height) == (200, 300)


# ---------------------------------------------------------------------------- lip-sync


def test_mouth_levels_follow_loudness() -> None:
    rate, fps = 16000, 25
    silent = np.zeros(rate, np.float32)
    loud = 0.5 * np.sin(np.arange(rate) * 2 * np.pi * 200 / rate).astype(np.float32)
    levels = mouth_levels(np.concatenate([silent, loud]), rate, fps, 2 * fps)
    assert levels[:20].max() == 0
    assert levels[30:45].min() == MOUTH_LEVELS - 1


def test_lipsync_video_matches_audio_and_moves_the_mouth(tmp_path: Path, toolkit: FfmpegToolkit) -> None:
    audio = speechlike_wav(tmp_path / "voice.wav", silent_s=1.0, loud_s=1.0)
    syncer = LocalLipSyncer(toolkit)
    video = run(syncer, LipSyncRequest(ACTOR, audio, audio_duration_s=2.0, seed=4), tmp_path)
    info = toolkit.probe(video.path)
    assert (info.video_codec, info.audio_codec, info.width, info.height) == ("h264", "aac", 720, 1280)
    assert abs(video.duration_s - 2.0) <= 0.1
    frames = decoded_frames(video.path)
    assert len(frames) == 50
    with av.open(str(video.path)) as container:
        assert container.streams.video[0].codec_context.pix_fmt == "yuv420p"
    mouth = read_layout(Image.open(ACTOR)).mouth
    region = (slice(mouth.y - 10, mouth.y + mouth.h + 40), slice(mouth.x - 10, mouth.x + mouth.w + 10))
    silent, loud = frames[12].astype(np.int32), frames[37].astype(np.int32)
    assert np.abs(loud[region] - silent[region]).mean() > 12
    corner = (slice(0, 60), slice(0, 60))  # flat backdrop: unchanged
    assert np.abs(loud[corner] - silent[corner]).mean() < 3


def test_lipsync_is_deterministic(tmp_path: Path, toolkit: FfmpegToolkit) -> None:
    audio = speechlike_wav(tmp_path / "voice.wav", silent_s=0.2, loud_s=0.8)
    syncer = LocalLipSyncer(toolkit)
    request = LipSyncRequest(ACTOR, audio, audio_duration_s=1.0, seed=9, width=360, height=640)
    assert syncer.submit(request).request_id == syncer.submit(request).request_id
    hashes = []
    for name in ("a", "b"):
        video = run(syncer, request, tmp_path / name)
        digest = hashlib.sha256()
        for frame in decoded_frames(video.path):
            digest.update(frame.tobytes())
        hashes.append(digest.hexdigest())
    assert hashes[0] == hashes[1]


def test_lipsync_accepts_an_arbitrary_portrait(tmp_path: Path) -> None:
    photo = tmp_path / "someone.jpg"
    Image.new("RGB", (500, 600), (120, 140, 160)).save(photo, format="JPEG")
    audio = speechlike_wav(tmp_path / "voice.wav", silent_s=0.2, loud_s=0.6)
    video = run(LocalLipSyncer(), LipSyncRequest(photo, audio, audio_duration_s=0.8, width=360, height=640), tmp_path)
    assert (video.width, video.height) == (360, 640)
    assert abs(video.duration_s - 0.8) <= 0.1


@pytest.mark.parametrize(
    "size, zoom, sx, sy",
    [
        ((90, 160), 1.0, 0.0, 0.0),
        ((90, 160), 1.07, 0.3, -0.2),
        ((90, 160), 1.14, -1.0, 1.0),
        ((180, 320), 1.02, 0.1, 0.0),
    ],
)
def test_the_camera_move_samples_like_pillows_box_resize(
    size: tuple[int, int], zoom: float, sx: float, sy: float
) -> None:
    from core.adapters.providers.local.image_to_video import cover_box, frame_box, warp_box

    rng = np.random.default_rng(7)
    still = Image.fromarray(rng.integers(0, 256, (64, 48, 3), np.uint8)).resize(size, Image.Resampling.BICUBIC)
    box = frame_box(cover_box(still.size, (90, 160)), zoom, sx, sy)  # a still twice the clip's size: shrunk
    expected = np.asarray(still.resize((90, 160), Image.Resampling.BILINEAR, box=box)).astype(int)
    out = np.zeros((160, 90, 3), np.uint8)
    warp_box(np.asarray(still), box, out)
    diff = np.abs(out.astype(int) - expected)
    assert diff.mean() < 0.6 and np.percentile(diff, 99) <= 3  # the same picture, within rounding
