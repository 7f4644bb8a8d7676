"""Text-to-image on fal: FLUX dev / schnell (providers.md 2.2; `image_size` may be {width, height})."""

from __future__ import annotations

import logging
from typing import Any

from core.adapters.providers.fal.image_base import FalImageEndpoint
from core.ports import ImageGenRequest

logger = logging.getLogger(__name__)


class FalImageGenerator(FalImageEndpoint):
    """ImageGenerator on the fal queue. FLUX takes neither references nor a negative prompt."""

    stem = "gen"

    def arguments(self, request: ImageGenRequest) -> dict[str, Any]:
        if request.references or request.negative_prompt:
            logger.info("%s ignores reference images and negative prompts", self._model)
        return {
            "prompt": request.prompt,
            "image_size": {"width": request.width, "height": request.height},
            "num_images": 1,
            "output_format": "png",
            "seed": request.seed,
            "enable_safety_checker": True,
        }
