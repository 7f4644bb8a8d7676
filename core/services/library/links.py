"""Expiring links to files on local disk: `<media_base_url>/media/<token>`.

Supabase storage signs its own URLs; local disk has no such thing, so a token carries the
storage key, the user it was made for and its expiry, signed with HMAC-SHA256 under
`link_signing_secret`. The server (`jobs.media_links`, mounted in `python -m jobs.webhooks`)
checks the signature and the expiry, then checks again that the user may still see the
file, so a link dies with the user's access as well as with time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass

from core.errors import NotFound, PermissionDenied

logger = logging.getLogger(__name__)

TOKEN_VERSION = 1


class LinkExpired(PermissionDenied):
    code = "link_expired"


class LinkInvalid(PermissionDenied):
    code = "link_invalid"


@dataclass(frozen=True, slots=True)
class LinkClaims:
    key: str
    user_id: str
    expires_at: int  # unix seconds


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())


def make_token(key: str, *, user_id: str, expires_in_s: int, secret: str, now: float | None = None) -> str:
    if not secret:
        raise NotFound("Local links are not configured (set LINK_SIGNING_SECRET and MEDIA_BASE_URL).")
    expires_at = int((now if now is not None else time.time()) + expires_in_s)
    payload = _b64(
        json.dumps({"v": TOKEN_VERSION, "k": key, "u": user_id, "e": expires_at}, separators=(",", ":")).encode()
    )
    return f"{payload}.{_mac(secret, payload)}"


def read_token(token: str, *, secret: str, now: float | None = None) -> LinkClaims:
    """The claims of a genuine, unexpired token; LinkInvalid or LinkExpired otherwise."""
    payload, _, mac = token.partition(".")
    if not secret or not payload or not mac or not hmac.compare_digest(mac, _mac(secret, payload)):
        raise LinkInvalid("This link is not valid.")
    try:
        claims = json.loads(_unb64(payload))
        parsed = LinkClaims(str(claims["k"]), str(claims["u"]), int(claims["e"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise LinkInvalid("This link is not valid.") from exc
    if (now if now is not None else time.time()) >= parsed.expires_at:
        raise LinkExpired("This link has expired. Ask for a new one in the studio.")
    return parsed


def local_link(key: str, *, user_id: str, base_url: str, secret: str, expires_in_s: int) -> str | None:
    """A link to a local file, or None where no link server is configured (files are then served as bytes)."""
    if not (base_url and secret):
        return None
    token = make_token(key, user_id=user_id, expires_in_s=expires_in_s, secret=secret)
    return f"{base_url.rstrip('/')}/media/{token}"
