"""What fal's image endpoints share: one queue submission, an image URL result, a price per image."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from core.adapters.providers.fal.queue import FalHandle, FalQueue, fetch_result, first_image_url
from core.adapters.providers.http.common import Probe, image_file
from core.adapters.providers.http.download import GuardedDownloader
from core.domain.media import ImageFile
from core.ports import PollResult, Submission

logger = logging.getLogger(__name__)


class FalImageEndpoint:
    """Subclasses say how a request becomes the endpoint's arguments (`arguments`)."""

    stem = "image"

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

    def arguments(self, request: Any) -> dict[str, Any]:
        raise NotImplementedError

    webhook_route = "fal"

    def submit(self, request: Any, *, webhook_url: str | None = None) -> Submission:
        fal_id = self._queue.submit(self._model, self.arguments(request), webhook_url=webhook_url)
        return Submission(FalHandle(self._model, (fal_id,)).encode(), poll_after_s=self._poll_after_s)

    def adopt(self, vendor_id: str) -> str | None:
        return self._queue.adopt(self._model, vendor_id)

    def cancel(self, vendor_id: str) -> None:
        self._queue.cancel(self._model, vendor_id)

    def poll(self, request_id: str) -> PollResult:
        return self._queue.poll(request_id, first_image_url, poll_after_s=self._poll_after_s)

    def collect(self, request: Any, result: PollResult, dest_dir: Path) -> ImageFile:
        return image_file(*fetch_result(result, self._downloader, self._probe, dest_dir, self.stem, "image"))

    def cost_usd(self, request: Any, output: ImageFile) -> float:
        return self._price
