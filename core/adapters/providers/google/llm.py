"""Script writing and image analysis on Gemini with a JSON response schema (providers.md 5.2).

Both answer in one round trip, so, like the other one-call Google adapters, the paid call
runs in `collect` (see `SyncProvider`). The answer is the model's JSON text; the services
parse and validate it all or nothing, exactly as for the offline writer.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from google import genai
from google.genai import types

from core.adapters.providers.google.common import PROVIDER, SyncProvider, translating_genai
from core.adapters.providers.http.common import guess_mime
from core.errors import ProviderError
from core.ports import PollResult, ScriptAnswer, ScriptRequest, VisionAnswer, VisionRequest, VisionTask

logger = logging.getLogger(__name__)

VISION_INSTRUCTIONS = {
    VisionTask.PRODUCT_DNA: "Describe the product in these photos for an ad production team: type, colours as hex, "
    "shape, materials, visible text, distinctive features, and what must never change.",
    VisionTask.CHARACTER_DNA: "Describe the person in these photos so an artist can keep them identical across "
    "scenes: face, skin, eyes, hair, body, wardrobe, voice impression, and drift to avoid.",
    VisionTask.IDENTITY: "For each image after the references, score from 0 to 1 how surely it shows the same "
    "person as the references.",
    VisionTask.ANGLES: "For each photo, in order, say whether it shows a person's face or head and from which "
    "angle: front, left_profile or right_profile (named by the side of the face the camera sees), "
    "three_quarter_left, three_quarter_right, or back (the back of the head).",
}


def _json_answer(response: types.GenerateContentResponse, what: str) -> str:
    feedback = getattr(response, "prompt_feedback", None)
    if feedback is not None and getattr(feedback, "block_reason", None):
        raise ProviderError(f"Google refused {what}: {feedback.block_reason}.", provider=PROVIDER)
    text = response.text
    if not text:
        raise ProviderError(f"Google returned no answer for {what}.", provider=PROVIDER)
    return text


class _GeminiJson(SyncProvider):
    def __init__(self, client: genai.Client, *, model: str, price_per_call: float) -> None:
        self.name = f"google:{model}"
        self._client = client
        self._model = model
        self._price = price_per_call

    def _ask(self, contents: list[Any], *, schema: dict[str, Any], instructions: str, seed: int, what: str) -> str:
        config = types.GenerateContentConfig(
            response_mime_type="application/json",
            response_json_schema=schema or None,
            system_instruction=instructions or None,
            seed=seed,
        )
        with translating_genai(what):
            response = self._client.models.generate_content(model=self._model, contents=contents, config=config)
        return _json_answer(response, what)

    def cost_usd(self, request: Any, output: Any) -> float:
        return self._price


class GoogleScriptWriter(_GeminiJson):
    """Provider[ScriptRequest, ScriptAnswer]: briefs, scripts and safety verdicts as JSON."""

    def collect(self, request: ScriptRequest, result: PollResult, dest_dir: Path) -> ScriptAnswer:
        text = self._ask(
            [request.prompt],
            schema=request.schema,
            instructions=request.instructions,
            seed=request.seed,
            what=f"the {request.task.value.replace('_', ' ')}",
        )
        return ScriptAnswer(text=text, model=self._model)


class GoogleVisionAnalyzer(_GeminiJson):
    """Provider[VisionRequest, VisionAnswer]: product and character DNA, identity scores, as JSON."""

    def collect(self, request: VisionRequest, result: PollResult, dest_dir: Path) -> VisionAnswer:
        images = [*request.references, *request.images]
        parts: list[Any] = [types.Part.from_bytes(data=p.read_bytes(), mime_type=guess_mime(p)) for p in images]
        prompt = VISION_INSTRUCTIONS[request.task] + (f" Name: {request.hint}." if request.hint else "")
        if request.references:
            prompt += f" The first {len(request.references)} images are the references."
        text = self._ask(
            [*parts, prompt],
            schema=request.schema,
            instructions="",
            seed=request.seed,
            what=f"the {request.task.value.replace('_', ' ')}",
        )
        return VisionAnswer(text=text, model=self._model)
