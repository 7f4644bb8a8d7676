"""'Test connection' for the Settings page: reach each vendor with its key, paying nothing.

Each check makes one authenticated read that any valid key may make: the status of a
request that does not exist (fal, WaveSpeed, KIE) or the model's description (Google).
A 404 there still proves the host answers and the key is accepted; 401/403 mean the key
is refused. Keys are sent only in headers, never in URLs or messages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx

from core.config import Settings
from core.errors import ConfigurationError, ProviderError

logger = logging.getLogger(__name__)

PROBE_ID = "00000000-0000-4000-8000-000000000000"


def _judge(vendor: str, response: httpx.Response, what: str) -> str:
    body_code = None
    if response.headers.get("content-type", "").startswith("application/json"):
        data = response.json()
        body_code = data.get("code") if isinstance(data, dict) else None
    if response.status_code in (401, 403) or body_code in (401, 403):
        raise ProviderError(f"{vendor} refused the API key. Check it in your settings or secrets.", provider=vendor)
    if response.status_code >= 500:
        raise ProviderError(
            f"{vendor} answered with a server error ({response.status_code}); try again later.", provider=vendor
        )
    return f"{vendor} answered and accepted the key ({what})."


def _get(settings: Settings, vendor: str, url: str, headers: dict[str, str], what: str) -> str:
    try:
        with httpx.Client(timeout=httpx.Timeout(10.0)) as client:
            response = client.get(url, headers=headers)
    except httpx.HTTPError as exc:
        host = httpx.URL(url).host
        raise ProviderError(f"Could not reach {vendor} at {host}: {type(exc).__name__}.", provider=vendor) from exc
    return _judge(vendor, response, what)


def _fal(settings: Settings, model: str) -> str:
    from core.adapters.providers.fal.queue import app_path

    url = f"{settings.fal_queue_url.rstrip('/')}/{app_path(model)}/requests/{PROBE_ID}/status"
    return _get(settings, "fal.ai", url, {"Authorization": f"Key {settings.fal_key.get_secret_value()}"}, model)


def _wavespeed(settings: Settings, model: str) -> str:
    url = f"{settings.wavespeed_base_url.rstrip('/')}/predictions/{PROBE_ID}/result"
    headers = {"Authorization": f"Bearer {settings.wavespeed_api_key.get_secret_value()}"}
    return _get(settings, "WaveSpeed", url, headers, model)


def _google(settings: Settings, model: str) -> str:
    url = f"{settings.google_base_url.rstrip('/')}/v1beta/models/{model}"
    return _get(settings, "Google", url, {"x-goog-api-key": settings.gemini_api_key.get_secret_value()}, model)


def _gcloud(settings: Settings, model: str) -> str:
    """The voice list: free, and it proves the key may use Text-to-Speech."""
    url = f"{settings.google_cloud_tts_base_url.rstrip('/')}/v1/voices?languageCode=en-US"
    headers = {"x-goog-api-key": settings.cloud_tts_key.get_secret_value()}
    return _get(settings, "Google Cloud TTS", url, headers, "voice list")


def _kie(settings: Settings, model: str) -> str:
    url = f"{settings.kie_base_url.rstrip('/')}/api/v1/jobs/recordInfo?taskId={PROBE_ID}"
    headers = {"Authorization": f"Bearer {settings.kie_api_key.get_secret_value()}"}
    return _get(settings, "KIE", url, headers, model)


CHECKS: dict[str, Callable[[Settings, str], str]] = {
    "fal": _fal,
    "wavespeed": _wavespeed,
    "google": _google,
    "gcloud": _gcloud,
    "kie": _kie,
}


def check_connection(settings: Settings, vendor: str, model: str) -> str:
    """A sentence saying what answered; raises ProviderError/ConfigurationError with the reason."""
    if vendor == "local":
        return "Runs on this machine with the offline adapter; there is nothing to connect to."
    if not settings.has_key(vendor):
        raise ConfigurationError(f"No key is set for {vendor}.")
    return CHECKS[vendor](settings, model)
