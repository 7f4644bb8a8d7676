"""Verify provider webhooks before believing them (reliability.md section 3).

Pure functions over (headers, raw body bytes, key material, now); no web framework.
Always pass the raw bytes as received, never re-serialized JSON.

Replays are the caller's to drop: a verified event carries `event_id` (WaveSpeed's
`webhook-id`, fal's request id, both stable across retries). Keep seen ids for at least
the tolerance window, and remember one only once it was acted on (jobs.webhooks).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from core.errors import StudioError

logger = logging.getLogger(__name__)

TOLERANCE_S = 300
FAL_JWKS_URL = "https://rest.alpha.fal.ai/.well-known/jwks.json"
JWKS_MAX_AGE_S = 24 * 3600
JWKS_MIN_REFRESH_S = 60  # forged webhooks must not make us call fal once each


class WebhookRejected(StudioError):
    """The webhook is not provably from the provider, or is too old or too new."""

    code = "webhook_rejected"


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    event_id: str
    request_id: str
    payload: dict[str, Any]


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}


def _check_time(timestamp: str, now: float) -> None:
    try:
        sent = int(timestamp)
    except ValueError as exc:
        raise WebhookRejected("The webhook timestamp is not a number.") from exc
    if abs(now - sent) > TOLERANCE_S:
        raise WebhookRejected("The webhook timestamp is more than 5 minutes from now.")


def _payload(raw_body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(raw_body)
    except ValueError as exc:
        raise WebhookRejected("The webhook body is not JSON.") from exc
    if not isinstance(payload, dict):
        raise WebhookRejected("The webhook body is not a JSON object.")
    return payload


def verify_wavespeed(headers: Mapping[str, str], raw_body: bytes, secret: str, now: float) -> WebhookEvent:
    """HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`; header `webhook-signature: v3,<hex>`.

    The key is the secret minus `whsec_`, used as text, not base64-decoded (providers.md 3).
    """
    if not secret.startswith("whsec_") or len(secret) <= len("whsec_"):
        raise WebhookRejected("The WaveSpeed webhook secret must look like whsec_...")
    h = _lower(headers)
    event_id, timestamp, signatures = h.get("webhook-id"), h.get("webhook-timestamp"), h.get("webhook-signature")
    if not event_id or not timestamp or not signatures:
        raise WebhookRejected("The WaveSpeed webhook lacks its signature headers.")
    _check_time(timestamp, now)
    key = secret[len("whsec_") :].encode()
    expected = hmac.new(key, f"{event_id}.{timestamp}.".encode() + raw_body, hashlib.sha256).hexdigest()
    offered = [sig.partition(",")[2] for sig in signatures.split() if sig.startswith("v3,")]
    # Compare against every offered signature (rotation sends several), in constant time each.
    if not any(hmac.compare_digest(expected, candidate.lower()) for candidate in offered):
        raise WebhookRejected("The WaveSpeed webhook signature does not match.")
    payload = _payload(raw_body)
    return WebhookEvent(event_id=event_id, request_id=str(payload.get("id", "")), payload=payload)


def _b64url(value: str) -> bytes:
    # fal pads `x` with "=" (providers.md 1.4); accept it with or without.
    return base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))


def _ed25519_keys(jwks_keys: Sequence[Mapping[str, Any]]) -> list[Ed25519PublicKey]:
    keys = []
    for jwk in jwks_keys:
        if jwk.get("kty", "OKP") != "OKP" or jwk.get("crv", "Ed25519") != "Ed25519" or not jwk.get("x"):
            continue
        try:
            keys.append(Ed25519PublicKey.from_public_bytes(_b64url(str(jwk["x"]))))
        except (ValueError, binascii.Error):
            logger.warning("skipping an unreadable key in fal's JWKS")
    return keys


def verify_fal(
    headers: Mapping[str, str],
    raw_body: bytes,
    jwks_keys: Sequence[Mapping[str, Any]],
    now: float,
    *,
    expected_user_id: str | None = None,
) -> WebhookEvent:
    """Ed25519 over `request_id\\nuser_id\\ntimestamp\\nsha256_hex(body)` with any JWKS key (providers.md 1.4)."""
    h = _lower(headers)
    request_id = h.get("x-fal-webhook-request-id")
    user_id = h.get("x-fal-webhook-user-id")
    timestamp = h.get("x-fal-webhook-timestamp")
    signature_hex = h.get("x-fal-webhook-signature")
    if not request_id or not user_id or not timestamp or not signature_hex:
        raise WebhookRejected("The fal webhook lacks its signature headers.")
    _check_time(timestamp, now)
    if expected_user_id is not None and not hmac.compare_digest(user_id, expected_user_id):
        raise WebhookRejected("The fal webhook is for another fal account.")
    try:
        signature = bytes.fromhex(signature_hex)
    except ValueError as exc:
        raise WebhookRejected("The fal webhook signature is not hex.") from exc
    message = "\n".join((request_id, user_id, timestamp, hashlib.sha256(raw_body).hexdigest())).encode()
    for key in _ed25519_keys(jwks_keys):
        try:
            key.verify(signature, message)
        except InvalidSignature:
            continue
        payload = _payload(raw_body)
        return WebhookEvent(event_id=request_id, request_id=request_id, payload=payload)
    raise WebhookRejected("The fal webhook signature does not match any of fal's keys.")


class JwksCache:
    """fal's JWKS, fetched through an injected client and kept at most `max_age_s` (24 h)."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        url: str = FAL_JWKS_URL,
        max_age_s: float = JWKS_MAX_AGE_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._url = url
        self._max_age_s = min(max_age_s, JWKS_MAX_AGE_S)
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: list[dict[str, Any]] = []
        self._fetched_at: float | None = None

    def keys(self, *, refresh: bool = False) -> list[dict[str, Any]]:
        """The cached keys; fetched when absent, older than max_age_s, or on `refresh` (after a
        signature failed, in case fal rotated its keys) at most once a minute."""
        with self._lock:
            now = self._clock()
            age = None if self._fetched_at is None else now - self._fetched_at
            if age is None or age >= self._max_age_s or (refresh and age >= JWKS_MIN_REFRESH_S):
                self._keys = self._fetch()
                self._fetched_at = now
            return list(self._keys)

    def _fetch(self) -> list[dict[str, Any]]:
        try:
            response = self._client.get(self._url, timeout=10.0)
            response.raise_for_status()
            keys = response.json().get("keys")
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            raise WebhookRejected("Could not load fal's webhook keys; try again later.") from exc
        if not isinstance(keys, list):
            raise WebhookRejected("fal's webhook key set is malformed.")
        return [k for k in keys if isinstance(k, dict)]
