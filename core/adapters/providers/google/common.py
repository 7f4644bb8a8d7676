"""Google plumbing shared by the Gemini, Imagen, Veo and Cloud TTS adapters (providers.md 0, 5).

Gemini calls go through google-genai (3.x calls `/v1/`); Imagen and Veo go straight to the
REST endpoints with httpx, because google-genai 3.x refuses them with an API key.
Both paths send the key as `x-goog-api-key`, never in a URL we might log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from core.adapters.providers.http.common import (
    error_for_status,
    json_body,
    ref_of,
    send,
    sync_request_id,
    transport_error,
)
from core.errors import ProviderError, TransientError
from core.ports import PollResult, PredictionState, Submission

logger = logging.getLogger(__name__)

PROVIDER = "Google"
DEFAULT_GEMINI_URL = "https://generativelanguage.googleapis.com"


def make_genai_client(
    api_key: str,
    *,
    http: httpx.Client,
    base_url: str = DEFAULT_GEMINI_URL,
    api_version: str | None = None,
    timeout_s: float = 120.0,
) -> genai.Client:
    """A google-genai client on our httpx client, without the SDK's own retries (the engine retries)."""
    options = types.HttpOptions(
        base_url=base_url,
        api_version=api_version,
        timeout=int(timeout_s * 1000),
        httpx_client=http,
    )
    return genai.Client(api_key=api_key, http_options=options)


@contextmanager
def translating_genai(what: str) -> Iterator[None]:
    try:
        yield
    except genai_errors.APIError as exc:
        headers = getattr(exc.response, "headers", None) or {}
        reason = exc.message or str(exc.status or "")
        raise error_for_status(
            int(exc.code or 500), headers, reason, provider=PROVIDER, what=what, unanswered_5xx=False
        ) from exc
    except (httpx.TransportError, TimeoutError) as exc:
        raise transport_error(exc, provider=PROVIDER, what=what) from exc


def inline_payload(response: types.GenerateContentResponse, what: str) -> tuple[bytes, str]:
    """The first inline data part (bytes, MIME type) of a Gemini answer, or the refusal reason."""
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason:
        raise ProviderError(f"Google refused {what}: {_enum_text(feedback.block_reason)}.", provider=PROVIDER)
    candidate = response.candidates[0] if response.candidates else None
    parts = candidate.content.parts if candidate and candidate.content and candidate.content.parts else []
    texts = []
    for part in parts:
        if part.inline_data is not None and part.inline_data.data:
            return part.inline_data.data, part.inline_data.mime_type or "application/octet-stream"
        if part.text:
            texts.append(part.text.strip())
    finish = _enum_text(candidate.finish_reason) if candidate and candidate.finish_reason else "no output"
    said = f" It said: {' '.join(texts)[:300]}" if texts else ""
    raise ProviderError(f"Google returned no media for {what} ({finish}).{said}", provider=PROVIDER)


def _enum_text(value: Any) -> str:
    return str(getattr(value, "value", value))


class GoogleRest:
    """REST calls to the Gemini API host (or Cloud TTS) with the key in a header."""

    def __init__(self, api_key: str, http: httpx.Client, base_url: str, api_version: str) -> None:
        self._http = http
        self._root = "/".join(p for p in (base_url.rstrip("/"), api_version.strip("/")) if p)
        self._auth = {"x-goog-api-key": api_key}

    @property
    def auth_headers(self) -> dict[str, str]:
        return dict(self._auth)

    def url_of(self, path: str) -> str:
        """An address under the configured base URL and API version."""
        return f"{self._root}/{path.lstrip('/')}"

    def call(self, method: str, path: str, what: str, **kwargs: Any) -> dict[str, Any]:
        url = f"{self._root}/{path.lstrip('/')}"
        response = send(self._http, method, url, headers=self._auth, provider=PROVIDER, what=what, **kwargs)
        body = json_body(response, provider=PROVIDER, what=what) if response.content else {}
        if not response.is_success:
            error = body.get("error") if isinstance(body, dict) else None
            reason = (error or {}).get("message") if isinstance(error, dict) else response.text[:300]
            raise error_for_status(
                response.status_code,
                response.headers,
                str(reason or ""),
                provider=PROVIDER,
                what=what,
                unanswered_5xx=False,
            )  # Google bills no failed request
        if not isinstance(body, dict):
            raise TransientError(f"Google sent an unexpected answer on {what}.", provider=PROVIDER)
        return body


class SyncProvider:
    """Submit/poll for Google calls that answer in one round trip: the paid call runs in
    collect, so a crash between steps never leaves a paid result nowhere to be found.
    `synchronous` tells the engine to mark the step "in flight" around collect, so a call
    interrupted by a dying worker is not repeated silently on resume."""

    name: str
    synchronous = True

    def submit(self, request: Any) -> Submission:
        return Submission(sync_request_id(self.name), poll_after_s=0.0)

    def poll(self, request_id: str) -> PollResult:
        return PollResult(PredictionState.DONE, output={"ref": ref_of(request_id)}, progress=1.0, poll_after_s=0.0)


def write_bytes(data: bytes, dest_dir: Path, stem: str) -> Path:
    dest_dir.mkdir(parents=True, exist_ok=True)
    path = dest_dir / f"{stem}.download"
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path
