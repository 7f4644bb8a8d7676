"""Webhook signatures: WaveSpeed (HMAC, Standard Webhooks style) and fal (Ed25519 + JWKS)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from core.adapters.providers.http.webhooks import JwksCache, WebhookRejected, verify_fal, verify_wavespeed
from tests.stubs.server import StubRequest, StubResponse, StubServer

NOW = 1_800_000_000
SECRET = "whsec_c2VjcmV0LWtleS1mb3ItdGVzdHM"
BODY = json.dumps({"id": "pred_123", "status": "completed", "outputs": ["https://x/y.mp4"]}).encode()


def wavespeed_headers(body: bytes = BODY, ts: int = NOW, secret: str = SECRET, event: str = "msg_1") -> dict[str, str]:
    key = secret.removeprefix("whsec_").encode()
    sig = hmac.new(key, f"{event}.{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Webhook-Id": event, "Webhook-Timestamp": str(ts), "Webhook-Signature": f"v3,{sig}"}


def test_wavespeed_valid_signature_is_accepted() -> None:
    event = verify_wavespeed(wavespeed_headers(), BODY, SECRET, NOW + 10)
    assert (event.event_id, event.request_id, event.payload["status"]) == ("msg_1", "pred_123", "completed")


def test_wavespeed_accepts_any_of_several_signatures() -> None:
    headers = wavespeed_headers()
    headers["Webhook-Signature"] = f"v3,{'0' * 64} {headers['Webhook-Signature']}"
    assert verify_wavespeed(headers, BODY, SECRET, NOW).request_id == "pred_123"


@pytest.mark.parametrize(
    "headers, body, now",
    [
        (wavespeed_headers(secret="whsec_another-secret"), BODY, NOW),  # wrong signature
        (wavespeed_headers(), BODY.replace(b"completed", b"failed"), NOW),  # tampered body
        (wavespeed_headers(), BODY, NOW + 360),  # 6 minutes old
        (wavespeed_headers(), BODY, NOW - 360),  # 6 minutes in the future
        ({**wavespeed_headers(), "Webhook-Id": "msg_2"}, BODY, NOW),  # id swapped
        ({k: v for k, v in wavespeed_headers().items() if k != "Webhook-Signature"}, BODY, NOW),
    ],
    ids=["wrong-signature", "tampered-body", "stale", "future", "other-id", "unsigned"],
)
def test_wavespeed_rejections(headers: dict[str, str], body: bytes, now: int) -> None:
    with pytest.raises(WebhookRejected):
        verify_wavespeed(headers, body, SECRET, now)


def test_wavespeed_secret_format_is_checked() -> None:
    with pytest.raises(WebhookRejected, match="whsec_"):
        verify_wavespeed(wavespeed_headers(), BODY, SECRET.removeprefix("whsec_"), NOW)


# --------------------------------------------------------------------------- fal

FAL_BODY = json.dumps({"request_id": "req-1", "status": "OK", "payload": {"images": []}}).encode()


def jwk(key: Ed25519PrivateKey, *, padded: bool = True) -> dict[str, str]:
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).decode()
    return {"kty": "OKP", "crv": "Ed25519", "x": x if padded else x.rstrip("=")}


def fal_headers(key: Ed25519PrivateKey, body: bytes = FAL_BODY, ts: int = NOW) -> dict[str, str]:
    message = "\n".join(("req-1", "user-9", str(ts), hashlib.sha256(body).hexdigest())).encode()
    return {
        "X-Fal-Webhook-Request-Id": "req-1",
        "X-Fal-Webhook-User-Id": "user-9",
        "X-Fal-Webhook-Timestamp": str(ts),
        "X-Fal-Webhook-Signature": key.sign(message).hex(),
    }


@pytest.fixture(scope="module")
def fal_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_fal_valid_signature_is_accepted_with_any_key_of_the_set(fal_key: Ed25519PrivateKey) -> None:
    keys = [jwk(Ed25519PrivateKey.generate()), jwk(fal_key, padded=False)]
    event = verify_fal(fal_headers(fal_key), FAL_BODY, keys, NOW + 5, expected_user_id="user-9")
    assert (event.event_id, event.request_id, event.payload["status"]) == ("req-1", "req-1", "OK")


@pytest.mark.parametrize("case", ["wrong-key", "tampered-body", "stale", "future", "other-user"])
def test_fal_rejections(fal_key: Ed25519PrivateKey, case: str) -> None:
    keys, body, now, user = [jwk(fal_key)], FAL_BODY, NOW, "user-9"
    headers = fal_headers(fal_key)
    if case == "wrong-key":
        headers = fal_headers(Ed25519PrivateKey.generate())
    elif case == "tampered-body":
        body = FAL_BODY.replace(b"OK", b"ERROR")
    elif case == "stale":
        now = NOW + 360
    elif case == "future":
        now = NOW - 360
    else:
        user = "someone-else"
    with pytest.raises(WebhookRejected):
        verify_fal(headers, body, keys, now, expected_user_id=user)


def test_fal_jwks_is_fetched_once_and_cached_at_most_a_day(fal_key: Ed25519PrivateKey) -> None:
    hits: list[str] = []

    def jwks(request: StubRequest) -> StubResponse:
        hits.append(request.path)
        return StubResponse.of_json({"keys": [jwk(fal_key)]})

    clock = [float(NOW)]
    with StubServer(jwks) as server, httpx.Client() as client:
        cache = JwksCache(client, url=f"{server.url}/.well-known/jwks.json", clock=lambda: clock[0])
        assert verify_fal(fal_headers(fal_key), FAL_BODY, cache.keys(), NOW).request_id == "req-1"
        cache.keys()
        clock[0] += 23 * 3600
        cache.keys()
        assert len(hits) == 1
        clock[0] += 3600
        cache.keys()
        assert len(hits) == 2
        for _ in range(50):  # forged webhooks each ask for a refresh: at most one fetch a minute
            cache.keys(refresh=True)
        assert len(hits) == 2
        clock[0] += 61
        cache.keys(refresh=True)
        assert len(hits) == 3


def test_fal_jwks_failure_is_a_rejection() -> None:
    def down(request: StubRequest) -> StubResponse:
        return StubResponse(503)

    with StubServer(down) as server, httpx.Client() as client, pytest.raises(WebhookRejected):
        JwksCache(client, url=f"{server.url}/jwks.json").keys()
