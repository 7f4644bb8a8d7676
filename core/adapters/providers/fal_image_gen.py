"""Text-to-image on fal: FLUX dev / schnell (providers.md 2.2; `image_size` may be {width, height})."""

from __future__ import annotations

import logging
from pathlib import Path

from core.adapters.providers.cloud_common import Probe, fetch_media, image_file
from core.adapters.providers.download import GuardedDownloader
from core.adapters.providers.fal_queue import FalHandle, FalQueue, first_image_url, result_urls
from core.domain.media import ImageFile
from core.ports import ImageGenRequest, PollResult, Submission

logger = logging.getLogger(__name__)


class FalImageGenerator:
    """ImageGenerator on the fal queue. FLUX takes neither references nor a negative prompt."""

    def __init__(
        self,
        queue: FalQueue,
        *,
        model: str,
        price_per_image: float,
        downloader: GuardedDownloader,
        probe: Probe,
        poll_after_s: float = 2.0,
    ) -> None:
        self.name = f"fal:{model}"
        self._queue = queue
        self._model = model
        self._price = price_per_image
        self._downloader = downloader
        self._probe = probe
        self._poll_after_s = poll_after_s

    def submit(self, request: ImageGenRequest) -> Submission:
        if request.references or request.negative_prompt:
            logger.info("%s ignores reference images and negative prompts", self._model)
        arguments = {
            "prompt": request.prompt,
            "image_size": {"width": request.width, "height": request.height},
            "num_images": 1,
            "output_format": "png",
            "seed": request.seed,
            "enable_safety_checker": True,
        }
        fal_id = self._queue.submit(self._model, arguments)
        return Submission(FalHandle(self._model, (fal_id,)).encode(), poll_after_s=self._poll_after_s)

    def poll(self, request_id: str) -> PollResult:
        return self._queue.poll(request_id, first_image_url, poll_after_s=self._poll_after_s)

    def collect(self, request: ImageGenRequest, result: PollResult, dest_dir: Path) -> ImageFile:
        url = result_urls(result)[0]
        stem = f"gen-{result.output.get('ref', 'image')}"
        return image_file(*fetch_media(self._downloader, self._probe, url, dest_dir, stem, "image"))

    def cost_usd(self, request: ImageGenRequest, output: ImageFile) -> float:
        return self._price
