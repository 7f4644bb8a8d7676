"""Google images: Gemini native image edit and generation (google-genai) and Imagen generation
(REST `:predict`).

All answer in one call, so the call happens in collect (see `SyncProvider`). Imagen takes no
reference images; a Gemini image model does (providers.md 5.4: image parts before the prompt),
so storyboard frames drawn on one see the avatar's and the product's photos, up to
`max_references` (a setting: Google documents the limit per model, and providers.md does not).
"""

from __future__ import annotations

import base64
import binascii
import logging
from pathlib import Path
from typing import Any

import httpx
from google import genai
from google.genai import types

from core.adapters.providers.google.common import (
    DEFAULT_GEMINI_URL,
    PROVIDER,
    GoogleRest,
    SyncProvider,
    inline_payload,
    translating_genai,
    write_bytes,
)
from core.adapters.providers.http.common import Probe, guess_mime, image_file, probe_as
from core.domain.media import ImageFile
from core.errors import ProviderError
from core.ports import ImageEditRequest, ImageGenRequest, PollResult

logger = logging.getLogger(__name__)

_ASPECTS = {"1:1": 1.0, "3:4": 0.75, "4:3": 4 / 3, "9:16": 9 / 16, "16:9": 16 / 9}


def nearest_aspect(width: int, height: int) -> str:
    ratio = width / max(1, height)
    return min(_ASPECTS, key=lambda name: abs(_ASPECTS[name] - ratio))


class GoogleImageEditor(SyncProvider):
    """ImageEditor on Gemini native image output ("Nano Banana", providers.md 5.4)."""

    def __init__(
        self,
        client: genai.Client,
        *,
        model: str,
        price_per_image: float,
        probe: Probe,
    ) -> None:
        self.name = f"google:{model}"
        self._client = client
        self._model = model
        self._price = price_per_image
        self._probe = probe

    def collect(self, request: ImageEditRequest, result: PollResult, dest_dir: Path) -> ImageFile:
        images = [
            types.Part.from_bytes(data=path.read_bytes(), mime_type=guess_mime(path))
            for path in (request.image, *request.references)
        ]
        config = types.GenerateContentConfig(response_modalities=["IMAGE"], seed=request.seed)
        with translating_genai("the image edit"):
            contents: list[Any] = [*images, request.prompt]  # Parts and a str: both are valid contents
            response = self._client.models.generate_content(model=self._model, contents=contents, config=config)
        data, _mime = inline_payload(response, "the image edit")
        raw = write_bytes(data, dest_dir, f"edit-{result.output.get('ref', 'image')}")
        return image_file(*probe_as(raw, "image", self._probe))

    def cost_usd(self, request: ImageEditRequest, output: ImageFile) -> float:
        return self._price


class GeminiImageGenerator(SyncProvider):
    """ImageGenerator on a Gemini image model: the references (most relevant first) as image
    parts, then the prompt; the frame's aspect ratio in `imageConfig`."""

    def __init__(
        self, client: genai.Client, *, model: str, price_per_image: float, probe: Probe, max_references: int
    ) -> None:
        self.name = f"google:{model}"
        self._client = client
        self._model = model
        self._price = price_per_image
        self._probe = probe
        self.max_references = max_references  # read by core.ports.image_references_of

    def collect(self, request: ImageGenRequest, result: PollResult, dest_dir: Path) -> ImageFile:
        images = [
            types.Part.from_bytes(data=path.read_bytes(), mime_type=guess_mime(path))
            for path in request.references[: self.max_references]
        ]
        prompt = request.prompt + (f" Avoid: {request.negative_prompt}." if request.negative_prompt else "")
        config = types.GenerateContentConfig(
            response_modalities=["IMAGE"],
            seed=request.seed,
            image_config=types.ImageConfig(aspect_ratio=nearest_aspect(request.width, request.height)),
        )
        with translating_genai("the storyboard frame"):
            contents: list[Any] = [*images, prompt]
            response = self._client.models.generate_content(model=self._model, contents=contents, config=config)
        data, _mime = inline_payload(response, "the storyboard frame")
        raw = write_bytes(data, dest_dir, f"gen-{result.output.get('ref', 'image')}")
        return image_file(*probe_as(raw, "image", self._probe))

    def cost_usd(self, request: ImageGenRequest, output: ImageFile) -> float:
        return self._price


class GoogleImageGenerator(SyncProvider):
    """ImageGenerator on Imagen through the Gemini API's REST `models/{m}:predict`."""

    def __init__(
        self,
        api_key: str,
        *,
        http: httpx.Client,
        base_url: str = DEFAULT_GEMINI_URL,
        api_version: str = "v1beta",
        model: str,
        price_per_image: float,
        probe: Probe,
    ) -> None:
        self.name = f"google:{model}"
        self._rest = GoogleRest(api_key, http, base_url, api_version)
        self._model = model
        self._price = price_per_image
        self._probe = probe

    def collect(self, request: ImageGenRequest, result: PollResult, dest_dir: Path) -> ImageFile:
        if request.references:
            logger.info("%s ignores reference images", self._model)
        parameters: dict[str, Any] = {
            "sampleCount": 1,
            "aspectRatio": nearest_aspect(request.width, request.height),
            "personGeneration": "allow_adult",
        }
        if request.negative_prompt:
            parameters["negativePrompt"] = request.negative_prompt
        body = {"instances": [{"prompt": request.prompt}], "parameters": parameters}
        answer = self._rest.call("POST", f"models/{self._model}:predict", "the image generation", json=body)
        data = _first_prediction(answer)
        raw = write_bytes(data, dest_dir, f"gen-{result.output.get('ref', 'image')}")
        return image_file(*probe_as(raw, "image", self._probe))

    def cost_usd(self, request: ImageGenRequest, output: ImageFile) -> float:
        return self._price


def _first_prediction(answer: dict[str, Any]) -> bytes:
    predictions = answer.get("predictions")
    first = predictions[0] if isinstance(predictions, list) and predictions else None
    encoded = first.get("bytesBase64Encoded") if isinstance(first, dict) else None
    if not isinstance(encoded, str):
        reason = (first or {}).get("raiFilteredReason") if isinstance(first, dict) else None
        # An empty answer is how Imagen reports that its safety filter removed the image.
        raise ProviderError(
            f"Google's Imagen returned no image: {reason or 'it was filtered out for safety'}.", provider=PROVIDER
        )
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
