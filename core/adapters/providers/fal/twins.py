"""fal adapters of the digital twins (providers.md 2.5-2.6): the Wan 2.2 image LoRA trainer,
Wan 2.2 text-to-image with a LoRA, and PixVerse swap. Submits, uploads and polls go
through `FalQueue`'s public methods, like every other fal adapter."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from core.adapters.media.safetensors_check import check_safetensors
from core.adapters.providers.fal.image_base import FalImageEndpoint
from core.adapters.providers.fal.queue import FalHandle, FalQueue, fetch_result, file_url, result_urls
from core.adapters.providers.http.common import Probe, video_file
from core.adapters.providers.http.download import GuardedDownloader
from core.domain.media import VideoFile
from core.errors import ProviderError, ValidationError
from core.ports import (
    FaceSwapRequest,
    ImageGenRequest,
    LoraTrainRequest,
    LoraTrainResult,
    PollResult,
    Submission,
)

logger = logging.getLogger(__name__)

PROVIDER = "fal.ai"
TRAINER_FILES = ("diffusers_lora_file", "high_noise_lora", "config_file")


def _trainer_files(body: dict[str, Any]) -> str:
    """The trainer answers with three Files; the queue's poll keeps one string per request."""
    urls = {"diffusers_lora_file": file_url(body, "diffusers_lora_file")}
    for key in TRAINER_FILES[1:]:
        if isinstance(body.get(key), dict) and body[key].get("url"):
            urls[key] = str(body[key]["url"])
    return json.dumps(urls)


class FalLoraTrainer:
    """Provider[LoraTrainRequest, LoraTrainResult]: zip upload, one submission, about an hour of polls."""

    def __init__(
        self,
        queue: FalQueue,
        *,
        model: str,
        price_per_1000_steps: float,
        downloader: GuardedDownloader,
        max_bytes: int,
        poll_after_s: float = 30.0,
    ) -> None:
        self.name = f"fal:{model}"
        self._queue, self._model, self._price = queue, model, price_per_1000_steps
        self._downloader, self._max_bytes, self._poll_after_s = downloader, max_bytes, poll_after_s

    def submit(self, request: LoraTrainRequest) -> Submission:
        url = self._queue.upload(request.images_zip)
        arguments = {
            "training_data_url": url,
            "trigger_phrase": request.trigger_phrase,
            "steps": request.steps,
            "learning_rate": request.learning_rate,
            "use_face_detection": True,
            "use_masks": True,
        }
        fal_id = self._queue.submit(self._model, arguments)
        return Submission(FalHandle(self._model, (fal_id,)).encode(), poll_after_s=self._poll_after_s)

    def poll(self, request_id: str) -> PollResult:
        return self._queue.poll(request_id, _trainer_files, poll_after_s=self._poll_after_s)

    def collect(self, request: LoraTrainRequest, result: PollResult, dest_dir: Path) -> LoraTrainResult:
        urls = json.loads(result_urls(result)[0])
        dest_dir.mkdir(parents=True, exist_ok=True)
        weights = self._downloader.fetch(urls["diffusers_lora_file"], dest_dir / "lora.safetensors")
        check_safetensors(weights, max_bytes=self._max_bytes)
        high = None
        if "high_noise_lora" in urls:
            high = self._downloader.fetch(urls["high_noise_lora"], dest_dir / "high_noise.safetensors")
            check_safetensors(high, max_bytes=self._max_bytes)
        config = None
        if "config_file" in urls:
            config = self._downloader.fetch(urls["config_file"], dest_dir / "config.json")
            try:
                json.loads(config.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, ValueError):
                raise ProviderError("fal's trainer config is not JSON.", provider=PROVIDER) from None
        return LoraTrainResult(weights=weights, high_noise=high, config=config)

    def cost_usd(self, request: LoraTrainRequest, output: LoraTrainResult) -> float:
        return round(self._price * request.steps / 1000, 4)


class FalLoraImageGenerator(FalImageEndpoint):
    """ImageGenerator with a LoRA (`loras: [{path, scale}]`); the only adapter that reads `request.lora`.

    Which of the trainer's two files goes into `loras` is unconfirmed (providers.md 2.5); we
    pass the low-noise `diffusers_lora_file`, the one the trainer names its LoRA.
    """

    stem = "lora"

    def arguments(self, request: ImageGenRequest) -> dict[str, Any]:
        if request.lora is None:
            raise ValidationError("Pick a ready LoRA for this image.")
        prompt = request.prompt
        trigger = request.lora.trigger_phrase
        if trigger and trigger.lower() not in prompt.lower():
            prompt = f"{trigger}, {prompt}"
        return {
            "prompt": prompt,
            "loras": [{"path": self._queue.upload(request.lora.weights), "scale": request.lora.scale}],
            "image_size": {"width": request.width, "height": request.height},
            "seed": request.seed,
            "image_format": "png",
        }

    def poll(self, request_id: str) -> PollResult:
        return self._queue.poll(request_id, lambda body: file_url(body, "image"), poll_after_s=self._poll_after_s)


class FalFaceSwapper:
    """Provider[FaceSwapRequest, VideoFile] on `fal-ai/pixverse/swap`: mode person, original sound kept."""

    def __init__(
        self,
        queue: FalQueue,
        *,
        model: str,
        price_per_second: float,
        downloader: GuardedDownloader,
        probe: Probe,
        poll_after_s: float = 5.0,
    ) -> None:
        self.name = f"fal:{model}"
        self._queue, self._model, self._price = queue, model, price_per_second
        self._downloader, self._probe, self._poll_after_s = downloader, probe, poll_after_s

    def submit(self, request: FaceSwapRequest) -> Submission:
        arguments = {
            "video_url": self._queue.upload(request.video),
            "image_url": self._queue.upload(request.face),
            "mode": "person",
            "resolution": request.resolution,
            "original_sound_switch": True,
        }
        fal_id = self._queue.submit(self._model, arguments)
        return Submission(FalHandle(self._model, (fal_id,)).encode(), poll_after_s=self._poll_after_s)

    def poll(self, request_id: str) -> PollResult:
        return self._queue.poll(request_id, lambda body: file_url(body, "video"), poll_after_s=self._poll_after_s)

    def collect(self, request: FaceSwapRequest, result: PollResult, dest_dir: Path) -> VideoFile:
        return video_file(*fetch_result(result, self._downloader, self._probe, dest_dir, "swap", "video"))

    def cost_usd(self, request: FaceSwapRequest, output: VideoFile) -> float:
        return round(self._price * max(request.duration_s, output.duration_s), 4)
