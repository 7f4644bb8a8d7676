"""The digital twins' fal adapters against the fal stub: LoRA trainer (many polls), LoRA images, PixVerse swap."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import httpx
import pytest

from core.adapters.media.safetensors_check import check_safetensors
from core.adapters.providers.fal.twins import FalFaceSwapper, FalLoraImageGenerator, FalLoraTrainer
from core.adapters.providers.http.common import image_probe
from core.adapters.providers.http.download import GuardedDownloader
from core.errors import ValidationError
from core.ports import FaceSwapRequest, ImageGenRequest, LoraTrainRequest, LoraWeights, PredictionState
from tests.providers.helpers import poll_until_settled, run
from tests.providers.test_fal import make_queue
from tests.stubs import FalStub
from tests.stubs.fal import LORA_IMAGE, SWAP, TRAINER, safetensors_bytes
from tests.stubs.media import mp4_bytes, png_bytes


@pytest.fixture
def fal():  # type: ignore[no-untyped-def]
    with FalStub() as stub:
        yield stub


def _zip(tmp_path: Path) -> Path:
    archive = tmp_path / "train.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i in range(3):
            zf.writestr(f"{i}.png", png_bytes(64, 64))
    return archive


def test_training_uploads_the_zip_submits_once_and_waits_through_many_polls(
    fal: FalStub, http: httpx.Client, downloader: GuardedDownloader, tmp_path: Path
) -> None:
    fal.min_polls[TRAINER] = 40
    trainer = FalLoraTrainer(make_queue(fal, http), model=TRAINER, price_per_1000_steps=4.0,
                             downloader=downloader, max_bytes=10_000_000, poll_after_s=0.0)  # fmt: skip
    request = LoraTrainRequest(images_zip=_zip(tmp_path), trigger_phrase="dana_person", steps=1500)
    submission = trainer.submit(request)
    final, polls = poll_until_settled(trainer, submission.request_id, max_polls=60)
    assert final.state is PredictionState.DONE and len(polls) > 40
    result = trainer.collect(request, final, tmp_path / "out")
    assert fal.count("submit") == 1 and fal.created_count(TRAINER) == 1
    sent = next(iter(fal.predictions.values())).inputs
    assert sent["trigger_phrase"] == "dana_person" and sent["steps"] == 1500
    assert sent["training_data_url"].startswith(f"{fal.url}/files/")
    assert check_safetensors(result.weights, max_bytes=10_000_000).tensors == 1
    assert result.high_noise is not None and result.config is not None
    assert json.loads(result.config.read_text())["trigger_phrase"] == "stub"
    assert trainer.cost_usd(request, result) == pytest.approx(6.0)


def test_lora_image_sends_the_lora_and_the_trigger(
    fal: FalStub, http: httpx.Client, downloader: GuardedDownloader, tmp_path: Path
) -> None:
    weights = tmp_path / "w.safetensors"
    weights.write_bytes(safetensors_bytes())
    generator = FalLoraImageGenerator(make_queue(fal, http), model=LORA_IMAGE, price_per_image=0.04,
                                      downloader=downloader, probe=image_probe, poll_after_s=0.0)  # fmt: skip
    lora = LoraWeights(weights=weights, scale=0.8, trigger_phrase="dana_person")
    image, _ = run(generator, ImageGenRequest(prompt="in a kitchen", width=64, height=96, lora=lora), tmp_path)
    assert (image.width, image.height) == (64, 96)
    sent = next(iter(fal.predictions.values())).inputs
    assert sent["prompt"] == "dana_person, in a kitchen"
    assert sent["loras"][0]["scale"] == 0.8 and fal.file_of(sent["loras"][0]["path"])[0] == weights.read_bytes()
    with pytest.raises(ValidationError):
        generator.submit(ImageGenRequest(prompt="no lora"))


def test_pixverse_swap_keeps_the_sound_in_person_mode(
    fal: FalStub,
    http: httpx.Client,
    downloader: GuardedDownloader,
    media_probe,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    video, face = tmp_path / "v.mp4", tmp_path / "f.png"
    video.write_bytes(mp4_bytes(1.0, 96, 160))
    face.write_bytes(png_bytes(64, 64))
    swapper = FalFaceSwapper(make_queue(fal, http), model=SWAP, price_per_second=0.1, downloader=downloader,
                             probe=media_probe, poll_after_s=0.0)  # fmt: skip
    request = FaceSwapRequest(video=video, face=face, duration_s=1.0, resolution="540p")
    out, _ = run(swapper, request, tmp_path / "out")
    sent = next(iter(fal.predictions.values())).inputs
    assert (sent["mode"], sent["resolution"], sent["original_sound_switch"]) == ("person", "540p", True)
    assert out.duration_s > 0.5 and swapper.cost_usd(request, out) == pytest.approx(0.1, abs=0.02)
