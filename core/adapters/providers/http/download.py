"""Download provider result files without letting a URL reach inside our network.

Result URLs come from outside (fal, WaveSpeed, KIE, Google), so every hop is checked:
https only, the host resolved by us and every address public (reliability.md section 4),
redirects followed by hand and re-checked, and the connection pinned to the address we
checked so a second DNS answer cannot point it elsewhere. Content is probed by the
caller; this module only moves bytes, with a size cap.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from core.errors import MediaRejected, ProviderError, TransientError

logger = logging.getLogger(__name__)

Resolver = Callable[..., list[tuple[Any, ...]]]

MAX_REDIRECTS = 5
_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024


def is_public_address(ip: str) -> bool:
    """True when `ip` is a globally routable unicast address we may connect to."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address):
        embedded = addr.ipv4_mapped or addr.sixtofour
        if embedded is not None:
            return is_public_address(str(embedded))
        if addr.teredo is not None or addr in ipaddress.IPv6Network("64:ff9b::/96"):
            return False
    return addr.is_global and not (
        addr.is_private
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_reserved
        or addr.is_unspecified
    )


class GuardedDownloader:
    """Fetch one URL into a file, refusing private targets and oversized bodies."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        max_bytes: int,
        allow_http: bool = False,
        allow_private_hosts: frozenset[str] = frozenset(),
        resolver: Resolver = socket.getaddrinfo,
    ) -> None:
        self._client = client
        self._max_bytes = max_bytes
        self._allow_http = allow_http
        self._allow_private = frozenset(h.lower() for h in allow_private_hosts)
        self._resolve = resolver

    def fetch(self, url: str, dest: Path, *, headers: Mapping[str, str] | None = None) -> Path:
        """Download `url` to `dest` (written to a temp file, then renamed).

        `headers` (e.g. an API key for a provider's own file endpoint) are sent only while
        the redirect chain stays on the URL's origin.
        """
        origin = httpx.URL(url)
        current = origin
        for _ in range(MAX_REDIRECTS + 1):
            same_origin = _origin(current) == _origin(origin)
            sent = dict(headers or {}) if same_origin else {}
            location = self._fetch_once(current, dest, sent)
            if location is None:
                return dest
            current = current.join(location)
        raise ProviderError(
            f"The result file at {_safe(origin)} redirected more than {MAX_REDIRECTS} times.",
            provider=origin.host,
        )

    # ------------------------------------------------------------------ one hop

    def _fetch_once(self, url: httpx.URL, dest: Path, headers: dict[str, str]) -> str | None:
        """Download to dest and return None, or return the redirect target."""
        target, extra = self._pin(url)
        try:
            with self._client.stream(
                "GET",
                target,
                headers={**headers, **extra},
                extensions=_sni(url),
                follow_redirects=False,
            ) as response:
                if response.status_code in _REDIRECT_CODES:
                    location = response.headers.get("location")
                    if not location:
                        raise ProviderError("A result file redirect had no target.", provider=url.host)
                    return location
                _raise_for_download_status(response, url)
                self._stream_to(response, dest, url)
                return None
        except httpx.TimeoutException as exc:
            raise TransientError(f"Downloading from {url.host} timed out.", provider=url.host) from exc
        except httpx.TransportError as exc:
            raise TransientError(f"The connection to {url.host} dropped while downloading.", provider=url.host) from exc

    def _pin(self, url: httpx.URL) -> tuple[httpx.URL, dict[str, str]]:
        """Check the URL and return it rewritten to a checked address, plus a Host header."""
        if url.scheme != "https" and not (self._allow_http and url.scheme == "http"):
            scheme = url.scheme or "no scheme"
            raise ProviderError(f"Refusing to download over {scheme}: https only.", provider=url.host)
        host = url.host.lower()
        if not host:
            raise ProviderError("A result URL had no host.")
        addresses = self._addresses(host, url.port or (443 if url.scheme == "https" else 80))
        if host not in self._allow_private:
            bad = [ip for ip in addresses if not is_public_address(ip)]
            if bad:
                logger.warning("refused download from %s: resolves to non-public %s", host, bad)
                raise ProviderError(
                    f"Refusing to download from {host}: it points inside a private network.",
                    provider=host,
                )
        host_header = url.netloc.decode("ascii")
        return url.copy_with(host=addresses[0]), {"Host": host_header}

    def _addresses(self, host: str, port: int) -> list[str]:
        try:
            infos = self._resolve(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise TransientError(f"Could not resolve the download host {host}.", provider=host) from exc
        addresses = [str(info[4][0]) for info in infos]
        if not addresses:
            raise TransientError(f"The download host {host} has no address.", provider=host)
        return addresses

    def _stream_to(self, response: httpx.Response, dest: Path, url: httpx.URL) -> None:
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self._max_bytes:
            raise MediaRejected(_too_big(self._max_bytes))
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.part")
        try:
            written = 0
            with tmp.open("wb") as fh:
                for chunk in response.iter_bytes(_CHUNK):
                    written += len(chunk)
                    if written > self._max_bytes:
                        raise MediaRejected(_too_big(self._max_bytes))
                    fh.write(chunk)
            if written == 0:
                raise MediaRejected(f"The result file from {url.host} was empty.")
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)


def _raise_for_download_status(response: httpx.Response, url: httpx.URL) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    if status == 429 or status >= 500:
        raise TransientError(
            f"{url.host} answered {status} while we downloaded a result.",
            provider=url.host,
            status_code=status,
        )
    if status in (404, 410):
        raise ProviderError(
            "The provider's result file is gone (links expire); run the step again.",
            provider=url.host,
            status_code=status,
        )
    raise ProviderError(f"{url.host} refused the result download ({status}).", provider=url.host, status_code=status)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host.lower(), url.port


def _sni(url: httpx.URL) -> dict[str, Any]:
    # The connection goes to the pinned IP; TLS must still name (and verify) the real host.
    return {"sni_hostname": url.host} if url.scheme == "https" else {}


def _safe(url: httpx.URL) -> str:
    """A URL for messages: no query string (it may carry a signature or key)."""
    return str(url.copy_with(query=None, fragment=None))


def _too_big(max_bytes: int) -> str:
    return f"The result file is larger than the {max_bytes // (1024 * 1024) or 1} MB limit."
