"""Image edit on fal: Nano Banana edit (providers.md 2.1: `image_urls` list, no `strength`)."""

from __future__ import annotations

import logging
from typing import Any

from core.adapters.providers.fal.image_base import FalImageEndpoint
from core.ports import ImageEditRequest

logger = logging.getLogger(__name__)


class FalImageEditor(FalImageEndpoint):
    """ImageEditor on the fal queue."""

    stem = "edit"

    def arguments(self, request: ImageEditRequest) -> dict[str, Any]:
        image_urls = [self._queue.upload(path) for path in (request.image, *request.references)]
        return {
            "prompt": request.prompt,
            "image_urls": image_urls,
            "num_images": 1,
            "output_format": "png",
            "seed": request.seed,
        }
