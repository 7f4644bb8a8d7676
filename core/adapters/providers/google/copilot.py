"""The copilot on Gemini (spec 12, providers.md 5.2): intent as JSON with an enum label,
answers streamed (`streamGenerateContent?alt=sse` via `generate_content_stream`), edits as JSON.

Intent runs at temperature 0 under its own short timeout; the label is matched exactly
(no substring matching) and anything else, or no answer in time, means CHAT. Each
streamed answer gets its own HTTP client, so closing the stream closes the connection:
"Stop generating" really stops the model.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Generator
from typing import Any

import httpx
from google import genai
from google.genai import types

from core.adapters.providers.google.common import PROVIDER, translating_genai
from core.errors import ProviderError, TransientError
from core.ports import ChatTurn, CopilotRequest, EditAnswer, EditRequest, Intent, IntentAnswer, SceneEdit

logger = logging.getLogger(__name__)

SHOTS = ["close_up", "medium", "wide", "product_close_up"]
INTENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["label", "action", "clear_go"],
    "properties": {
        "label": {"type": "string", "enum": [i.value for i in Intent]},
        "action": {"type": "string", "enum": ["none", "approve", "edit"]},
        "clear_go": {"type": "boolean"},
        "product_name": {"type": "string"},
        "actor": {"type": "string"},
        "platform": {"type": "string", "enum": ["", "tiktok", "reels", "shorts"]},
        "duration_s": {"type": "integer"},
        "tone": {"type": "string"},
        "style": {"type": "string"},
        "hook": {"type": "string"},
    },
}
EDIT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["edits", "redo", "summary"],
    "properties": {
        "edits": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["number"],
                "properties": {
                    "number": {"type": "integer"},
                    "dialogue": {"type": "string"},
                    "action": {"type": "string"},
                    "duration_seconds": {"type": "number"},
                    "shot_type": {"type": "string", "enum": ["", *SHOTS]},
                },
            },
        },
        "redo": {"type": "array", "items": {"type": "integer"}},
        "summary": {"type": "string"},
    },
}
INTENT_RULES = (
    "Classify the creator's last message for a UGC video-ad studio. label: VIDEO_READY only if the facts show a "
    "product photo and product name, an avatar and a platform (or the message supplies the missing ones) AND the "
    "message clearly says to make the video now; VIDEO_NEEDS_INPUT if they want a video but something is missing "
    "or they have not said go; CHAT for anything else (questions, greetings, advice). action: approve if the ad is "
    "in storyboard review and they approve it; edit if they ask to change existing scenes; else none. Fill the "
    "other fields only with what the message itself says. Facts: "
)
DIRECTOR = (
    "You are a UGC ad director with 30 years of experience (Nike, Apple, Sephora, Amazon): psychology, "
    "storytelling, platform timing (TikTok 15-30 s, Reels and Shorts 30-60 s), the product visible in 80% of "
    "scenes. Answer briefly and concretely, in plain words. Facts about the creator's ad: "
)
EDIT_RULES = (
    "Rewrite the scenes as the creator asks. Return only scenes that change, with only the changed fields; keep "
    "spoken lines natural and within the word limits; list in redo the scenes to make again even if unchanged. "
    "Limits and scenes: "
)


def _contents(history: tuple[ChatTurn, ...], message: str) -> list[types.Content]:
    turns = [
        types.Content(role="model" if t.role == "assistant" else "user", parts=[types.Part.from_text(text=t.text)])
        for t in history[-12:]
        if t.text
    ]
    return [*turns, types.Content(role="user", parts=[types.Part.from_text(text=message)])]


def parse_intent(text: str, model: str) -> IntentAnswer:
    """Exact match on the label; anything else is CHAT (fell back)."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        return IntentAnswer(Intent.CHAT, model=model, fell_back=True)
    label = data.get("label") if isinstance(data, dict) else None
    if not isinstance(label, str) or label not in {i.value for i in Intent}:
        return IntentAnswer(Intent.CHAT, model=model, fell_back=True)
    slots = {
        k: data[k] for k in INTENT_SCHEMA["properties"] if k not in ("label", "action", "clear_go") and data.get(k)
    }
    action = data.get("action") if data.get("action") in ("approve", "edit") else "none"
    return IntentAnswer(Intent(label), slots, action=action, said_go=data.get("clear_go") is True, model=model)


def parse_edits(text: str, model: str) -> EditAnswer:
    try:
        data = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise ProviderError("Google's edit answer was not JSON.", provider=PROVIDER) from exc
    if not isinstance(data, dict):
        raise ProviderError("Google's edit answer had the wrong shape.", provider=PROVIDER)
    edits = []
    for item in data.get("edits") or []:
        if not isinstance(item, dict) or not isinstance(item.get("number"), int):
            continue
        changes = {k: item[k] for k in ("dialogue", "action", "duration_seconds") if item.get(k)}
        if item.get("shot_type"):
            changes["camera"] = {"shot_type": item["shot_type"]}
        if changes:
            edits.append(SceneEdit(item["number"], changes))
    redo = tuple(n for n in data.get("redo") or [] if isinstance(n, int))
    return EditAnswer(tuple(edits), redo, str(data.get("summary") or ""), model)


class GoogleCopilot:
    """Copilot port on Gemini. `fresh_client()` builds a client on its own HTTP connection pool."""

    offline = False

    def __init__(
        self,
        client: genai.Client,
        *,
        fresh_client: Callable[[], tuple[genai.Client, httpx.Client]],
        model: str,
        price_per_call: float,
        intent_timeout_s: float = 5.0,
    ) -> None:
        self.name = f"google:{model}"
        self._client = client
        self._fresh = fresh_client
        self._model = model
        self._price = price_per_call
        self._intent_timeout_s = intent_timeout_s

    def _json(self, contents: Any, schema: dict[str, Any], instructions: str, what: str, **config: Any) -> str:
        settings = types.GenerateContentConfig(
            response_mime_type="application/json",
            response_json_schema=schema,
            system_instruction=instructions,
            temperature=0,
            **config,
        )
        with translating_genai(what):
            response = self._client.models.generate_content(model=self._model, contents=contents, config=settings)
        return response.text or ""

    def detect_intent(self, request: CopilotRequest) -> IntentAnswer:
        timeout = types.HttpOptions(timeout=int(self._intent_timeout_s * 1000))
        instructions = INTENT_RULES + json.dumps(request.facts, ensure_ascii=False, default=str)
        try:
            text = self._json(
                _contents(request.history, request.message),
                INTENT_SCHEMA,
                instructions,
                "the intent",
                http_options=timeout,
            )
        except TransientError as exc:
            if not isinstance(exc.__cause__, (httpx.TimeoutException, TimeoutError)):
                raise
            logger.info("intent call took over %.1f s: treated as CHAT", self._intent_timeout_s)
            return IntentAnswer(Intent.CHAT, model=self._model, fell_back=True)
        return parse_intent(text, self._model)

    def stream_answer(self, request: CopilotRequest) -> Generator[str, None, None]:
        config = types.GenerateContentConfig(
            system_instruction=DIRECTOR + json.dumps(request.facts, ensure_ascii=False, default=str),
            temperature=0.7,
        )
        contents = _contents(request.history, request.message)

        def chunks() -> Generator[str, None, None]:
            client, http = self._fresh()
            try:
                with translating_genai("the answer"):
                    stream = client.models.generate_content_stream(model=self._model, contents=contents, config=config)
                    for piece in stream:
                        if piece.text:
                            yield piece.text
            finally:
                http.close()  # a stopped or broken stream ends its connection, so the model stops too

        return chunks()

    def propose_edits(self, request: EditRequest) -> EditAnswer:
        payload = json.dumps({"limits": request.facts, "scenes": list(request.scenes)}, ensure_ascii=False)
        text = self._json([request.instruction], EDIT_SCHEMA, EDIT_RULES + payload, "the scene edits")
        return parse_edits(text, self._model)

    def cost_usd(self, call: str) -> float:
        return self._price
