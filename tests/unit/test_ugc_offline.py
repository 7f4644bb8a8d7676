"""The offline adapters of the mass generator: real output, deterministic, following their inputs."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from core.adapters.media.ffmpeg import FfmpegToolkit
from core.adapters.providers.local.image_edit import edit_portrait
from core.adapters.providers.local.image_gen import LocalImageGenerator, read_card
from core.adapters.providers.local.image_to_video import LocalImageAnimator, camera_move
from core.adapters.providers.local.llm import LocalScriptWriter
from core.adapters.providers.local.vision import LocalVisionAnalyzer
from core.ports import ImageGenRequest, ImageToVideoRequest, ScriptRequest, ScriptTask, VisionRequest, VisionTask
from core.services.ads import parse
from tests.ugc_support import product_png

ACTORS = Path(__file__).resolve().parents[2] / "seeds" / "actors"


def _run(provider, request, dest: Path):  # type: ignore[no-untyped-def]
    return provider.collect(request, provider.poll(provider.submit(request).request_id), dest)


@pytest.mark.parametrize("seconds", [15, 30, 60])
def test_the_offline_writer_fills_the_script_schema_within_the_word_rule(seconds: int) -> None:
    context = {
        "brief": {
            "platform": "tiktok",
            "style": "unboxing",
            "tone": "energetic",
            "duration_s": seconds,
            "prompt": "Wireless earbuds for the gym; tired of dead batteries",
        },
        "product": {"product_name": "Pulse Buds", "product_type": "tech earbuds"},
    }
    writer = LocalScriptWriter()
    request = ScriptRequest(ScriptTask.SCRIPT, "", "", context=context)
    answer = _run(writer, request, Path("."))
    draft = parse.script(answer.text)  # the same strict parser a hosted model's answer goes through
    assert draft.total_duration_s == seconds and 3 <= len(draft.scenes) <= 8
    assert all(0 < s.word_count <= parse.max_words(s.duration_s, 150, 20) for s in draft.scenes)
    assert draft.scenes[0].setting == "gym" and json.loads(answer.text)["writer"] == "offline templates"
    assert _run(writer, request, Path(".")).text == answer.text  # deterministic


def test_identity_scores_tell_the_same_person_from_someone_else(tmp_path: Path) -> None:
    ava, kenji = ACTORS / "ava_base_01.png", ACTORS / "kenji_base_08.png"
    frames = []
    for source, name in ((ava, "ava"), (kenji, "kenji")):
        scene = edit_portrait(Image.open(source), "a bathroom with warm light", 3)
        scene.save(tmp_path / f"{name}.png")
        frames.append(tmp_path / f"{name}.png")
    answer = _run(LocalVisionAnalyzer(), VisionRequest(VisionTask.IDENTITY, tuple(frames), references=(ava,)), tmp_path)
    same, other = json.loads(answer.text)["scores"]
    assert same >= 0.75 > other  # the spec's storyboard threshold separates them


def test_product_dna_reads_colours_and_shape(tmp_path: Path) -> None:
    (tmp_path / "p.png").write_bytes(product_png(colour=(40, 90, 200)))
    answer = _run(
        LocalVisionAnalyzer(), VisionRequest(VisionTask.PRODUCT_DNA, (tmp_path / "p.png",), hint="Blue Tonic"), tmp_path
    )
    dna = parse.product_dna(json.loads(answer.text))
    r, g, b = (int(dna.colors["primary"][i : i + 2], 16) for i in (1, 3, 5))
    assert (
        b > 150 and r < 90 and "tall" in dna.shape and "Never change or invent label text" in dna.prohibited_variations
    )


def _frame(tmp_path: Path, visibility: str, seed: int = 0, name: str = "f") -> Image.Image:
    (tmp_path / "product.png").write_bytes(product_png())
    prompt = (
        "UGC\nSETTING: kitchen\nCAMERA: medium shot, eye level, handheld\nLIGHTING: natural light\n"
        f"PRODUCT VISIBILITY: {visibility}\n"
    )
    request = ImageGenRequest(
        prompt=prompt,
        references=(ACTORS / "ava_base_01.png", tmp_path / "product.png"),
        width=270,
        height=480,
        seed=seed,
    )
    image = _run(LocalImageGenerator(), request, tmp_path / name)
    assert (image.width, image.height) == (270, 480)
    return Image.open(image.path).convert("RGB")


def _orange_share(image: Image.Image) -> float:
    rgb = np.asarray(image, np.int16)
    return float(((rgb[..., 0] > 190) & (rgb[..., 1] > 110) & (rgb[..., 1] < 190) & (rgb[..., 2] < 90)).mean())


def test_storyboard_frames_follow_the_scene_card_and_are_deterministic(tmp_path: Path) -> None:
    shown, hidden = _frame(tmp_path, "primary"), _frame(tmp_path, "none", name="g")
    assert _orange_share(shown) > 0.01 > _orange_share(hidden)  # the product is in the frame only when asked
    again = _frame(tmp_path, "primary", name="h")
    assert np.array_equal(np.asarray(shown), np.asarray(again))
    assert not np.array_equal(np.asarray(shown), np.asarray(_frame(tmp_path, "primary", seed=7, name="i")))
    card = read_card("SETTING: beach\nCAMERA: close up shot, low angle, push in\nLIGHTING: golden hour\n")
    assert (card.setting, card.shot, card.angle, card.visibility) == ("beach", "close_up", "low angle", "primary")


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="gray").astype(np.float32) for f in container.decode(video=0)]


@pytest.mark.parametrize(("camera", "move"), [("push_in", "push in"), ("static", "static"), ("pan_left", "pan left")])
def test_clips_move_the_camera_as_the_scene_says(tmp_path: Path, camera: str, move: str) -> None:
    still = tmp_path / "still.png"
    _frame(tmp_path, "primary").save(still)
    animator = LocalImageAnimator(FfmpegToolkit(), fps=12, preset="ultrafast")
    request = ImageToVideoRequest(image=still, prompt="x", duration_s=2.0, camera=camera, width=270, height=480)
    clip = _run(animator, request, tmp_path / camera)
    assert (clip.width, clip.height) == (270, 480) and clip.duration_s == pytest.approx(2.0, abs=0.1)
    assert camera_move(camera, 0)[0] == move
    frames = _frames(clip.path)
    drift = float(np.abs(frames[-1] - frames[0]).mean())
    assert drift > (4.0 if camera != "static" else 0.3)  # even "static" is never a frozen frame
