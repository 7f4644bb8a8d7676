"""The offline ad's presenter talks, and its timing follows the voice."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from core.adapters.media.ffmpeg import FfmpegToolkit
from core.adapters.media.lips import Box, mouth_box, mouth_texture, read_lips, voice_envelope
from core.adapters.media.postprod import EditSpec, SceneCut, plan
from core.adapters.media.voice_timing import MAX_BREATH_S, MAX_PAUSE_S, Speech, fit_breaths, speech_of
from core.adapters.providers.local.image_gen import LocalImageGenerator
from core.adapters.providers.local.image_to_video import LocalImageAnimator
from core.adapters.providers.local.portrait import read_layout
from core.adapters.providers.local.speech import LocalSpeechSynthesizer
from core.domain.ads import Transition
from core.domain.types import Voice
from core.ports import ImageGenRequest, ImageToVideoRequest, SpeechRequest
from core.services.ads.assets import TALK_LEAD_DEFAULT_S, TALK_LEAD_S
from tests.ugc_support import product_png

ACTORS = Path(__file__).resolve().parents[2] / "seeds" / "actors"
FPS = 15


def _lead(k: int, count: int) -> float:
    """Where the voice starts in each lip-synced clip (as the pipeline renders them: longer for the call to action)."""
    return TALK_LEAD_S["cta"] if k == count - 1 else TALK_LEAD_DEFAULT_S


def _cuts(speech_s: list[float], transitions: list[Transition]) -> tuple[SceneCut, ...]:
    return tuple(
        SceneCut(
            Path(f"clip{k}.mp4"), s + 3.0, Path(f"voice{k}.wav"), s + 0.3, "Line.", transitions[k], 5.0,
            speech=Speech(0.05, 0.05 + s, s + 0.3), clip_voice_at_s=_lead(k, len(speech_s)),
            pause_before=k == len(speech_s) - 1,
        )
        for k, s in enumerate(speech_s)
    )  # fmt: skip


@pytest.mark.parametrize("target", [24.0, 30.0, 40.0])
def test_scenes_last_their_line_plus_breaths_and_meet_the_brief(target: float) -> None:
    speech = [4.3, 4.6, 4.5, 4.4, 4.6, 3.6]
    transitions = [Transition.CUT, Transition.CUT, Transition.CROSSFADE, Transition.DISSOLVE, Transition.CUT]
    spec = EditSpec(
        _cuts(speech, [*transitions, Transition.DIP_TO_BLACK]), 270, 480, target_s=target, follow_voice=True
    )
    timeline = plan(spec)
    gaps = [b - a for a, b in zip(timeline.speech_ends, timeline.speech_starts[1:], strict=False)]
    assert all(0.1 < g <= MAX_BREATH_S + 1e-6 for g in gaps[:-1]), gaps  # no dead air between lines
    assert gaps[-1] <= MAX_PAUSE_S + 1e-6  # the one deliberate pause, before the call to action
    assert [round(e - s, 3) for s, e in zip(timeline.speech_starts, timeline.speech_ends, strict=True)] == speech
    if target == 30.0:  # speech for the brief: met by breaths, the pause and the last hold
        assert timeline.total_s == pytest.approx(target, abs=0.05)
    elif target < 30:  # more speech than the brief holds: the shortest breaths, never a cut line
        assert timeline.total_s > target and max(gaps[:-1]) <= 0.21
    else:  # too few words: the breaths stop at their bound (the quality check reports the duration)
        assert timeline.total_s < target - 5 and max(gaps[:-1]) == pytest.approx(MAX_BREATH_S)
    assert all(t >= 0 for t in timeline.trims)  # a lip-synced clip is cut at its start to line up with its voice
    for k in range(len(speech)):  # the clip's voice start lands where the ad's voice starts
        assert timeline.starts[k] + _lead(k, len(speech)) - timeline.trims[k] == pytest.approx(
            timeline.voice_at[k], abs=0.002
        )


def test_breaths_stay_in_bounds_however_short_the_lines() -> None:
    breaths = fit_breaths([1.0, 1.0, 1.0], pause_before_last=True, target_s=30.0)
    assert max(breaths.lead_s[1:-1]) <= MAX_BREATH_S and breaths.lead_s[-1] <= MAX_PAUSE_S
    assert breaths.hold_s <= 1.5  # the rest shows as a duration finding, never as music alone


@pytest.fixture(scope="module")
def talking(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("talking")
    (root / "product.png").write_bytes(product_png())
    prompt = (
        "SETTING: kitchen\nCAMERA: medium shot, eye level, push in\nLIGHTING: natural\nPRODUCT VISIBILITY: primary\n"
    )
    frame = LocalImageGenerator().collect(
        ImageGenRequest(prompt, (ACTORS / "ava_base_01.png", root / "product.png"), 270, 480, seed=1),
        None,
        root,  # type: ignore[arg-type]
    )
    speech = LocalSpeechSynthesizer(FfmpegToolkit())
    voice = speech.collect(SpeechRequest("Okay, I did not expect this. Let me show you.", Voice("en-us")), None, root)  # type: ignore[arg-type]
    animator = LocalImageAnimator(FfmpegToolkit(), fps=FPS, preset="ultrafast")
    clips = {}
    for name, audio in (("talking", voice.path), ("still", None)):
        request = ImageToVideoRequest(frame.path, prompt, voice.duration_s + 1.5, "push in", 1, 270, 480, audio, 1.0)
        clips[name] = animator.collect(request, None, root / name).path  # type: ignore[arg-type]
    return {"frame": frame.path, "voice": voice.path, **clips}


def _reading(clip: Path, frame: Path, voice: Path):  # type: ignore[no-untyped-def]
    layout = read_layout(Image.open(frame))
    assert layout is not None
    mouth = Box(layout.mouth.x, layout.mouth.y, layout.mouth.w, layout.mouth.h)
    with av.open(str(clip)) as container:
        gray = [f.to_ndarray(format="gray").astype(np.float32) for f in container.decode(video=0)]
    texture = np.array([mouth_texture(g, mouth_box(mouth.grown(0.16, 0.16))) for g in gray])
    return read_lips(texture, voice_envelope(voice, FPS, len(gray), 1.0), FPS)


def test_a_talking_scene_moves_its_lips_with_its_voice(talking: dict[str, Path]) -> None:
    spoken = _reading(talking["talking"], talking["frame"], talking["voice"])
    still = _reading(talking["still"], talking["frame"], talking["voice"])
    assert spoken.moving and spoken.activity > 5 * still.activity
    assert not still.moving  # a camera move over a still frame is not talking


def test_a_voice_line_knows_where_its_speech_is(talking: dict[str, Path]) -> None:
    speech = speech_of(talking["voice"])
    assert 0 <= speech.start_s < 0.2 and speech.file_s - 0.5 < speech.end_s <= speech.file_s


def test_the_talking_head_blinks_moves_and_lifts_its_brows_with_the_voice(talking: dict[str, Path]) -> None:
    from core.adapters.providers.local.lipsync import talk_tracks
    from core.adapters.providers.local.talking_head import PortraitRig

    tracks = talk_tracks(talking["voice"], 12 * FPS, FPS, 1.0, seed=3, blinks=True)
    assert (tracks.blink == 2).any()  # blinks
    assert len(set(tracks.head_dx.tolist())) >= 3 and len(set(tracks.head_dy.tolist())) >= 3  # small head motion
    lifted = tracks.brow > 0
    assert lifted.any() and tracks.mouth[lifted].mean() > tracks.mouth.mean()  # expression follows the energy
    assert not lifted[: FPS // 2].any()  # nothing to emphasise before the line starts
    again = talk_tracks(talking["voice"], 12 * FPS, FPS, 1.0, seed=3, blinks=True)
    assert np.array_equal(again.head_dx, tracks.head_dx) and np.array_equal(again.brow, tracks.brow)  # deterministic

    rig = PortraitRig.from_image(Image.open(ACTORS / "ava_base_01.png"), 360, 640)
    plain, raised = np.empty((640, 360, 3), np.uint8), np.empty((640, 360, 3), np.uint8)
    rig.compose(plain, 0, 0, 0)
    rig.compose(raised, 0, 0, 0, 0, 2)
    changed = np.argwhere((plain != raised).any(axis=2))
    eyes, mouth = rig.layout.eyes, rig.layout.mouth
    assert eyes is not None and changed.size and changed[:, 0].max() < max(e.y + e.h for e in eyes)  # above the eyes
    assert changed[:, 0].max() < mouth.y
