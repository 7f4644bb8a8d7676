"""GuardedDownloader: address checks without connecting, then live fetches on loopback only."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.adapters.providers.http.common import image_probe, probe_as
from core.adapters.providers.http.download import GuardedDownloader, is_public_address
from core.errors import MediaRejected, ProviderError, TransientError
from tests.providers.helpers import leftovers
from tests.stubs.media import NOT_MEDIA, png_bytes
from tests.stubs.server import StubRequest, StubResponse, StubServer


@pytest.mark.parametrize(
    "ip",
    [
        "10.0.0.1",
        "169.254.169.254",
        "192.168.1.1",
        "172.16.5.4",
        "127.0.0.1",
        "0.0.0.0",
        "100.64.0.1",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "fe80::1",
        "fe80::1%eth0",
        "fc00::1",
        "ff02::1",
        "2002:7f00:1::1",
        "64:ff9b::a00:1",
        "not-an-ip",
    ],
)
def test_private_and_special_addresses_are_not_public(ip: str) -> None:
    assert not is_public_address(ip)


@pytest.mark.parametrize("ip", ["8.8.8.8", "1.1.1.1", "151.101.1.69", "2001:4860:4860::8888", "::ffff:8.8.8.8"])
def test_public_addresses_are_public(ip: str) -> None:
    assert is_public_address(ip)


def resolver_for(*ips: str) -> Any:
    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        family = socket.AF_INET6 if ":" in ips[0] else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in ips]

    return resolve


class Recorder:
    """An httpx transport that answers 200 and remembers every request (no sockets)."""

    def __init__(self, body: bytes = b"\x89PNG fake") -> None:
        self.requests: list[httpx.Request] = []
        self.body = body

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, content=self.body)


@pytest.mark.parametrize(
    "ips", [("10.0.0.1",), ("169.254.169.254",), ("::1",), ("::ffff:127.0.0.1",), ("8.8.8.8", "192.168.1.1")]
)
def test_hosts_resolving_to_private_addresses_are_refused_before_connecting(
    ips: tuple[str, ...], tmp_path: Path
) -> None:
    recorder = Recorder()
    client = httpx.Client(transport=httpx.MockTransport(recorder))
    guard = GuardedDownloader(client, max_bytes=1000, resolver=resolver_for(*ips))
    with pytest.raises(ProviderError, match="private network"):
        guard.fetch("https://cdn.example.com/out.png", tmp_path / "out.png")
    assert recorder.requests == []
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("ip", ["8.8.8.8", "2001:4860:4860::8888"])
def test_public_host_is_fetched_from_the_checked_address(ip: str, tmp_path: Path) -> None:
    recorder = Recorder()
    client = httpx.Client(transport=httpx.MockTransport(recorder))
    guard = GuardedDownloader(client, max_bytes=1000, resolver=resolver_for(ip))
    path = guard.fetch("https://cdn.example.com/out.png?sig=abc", tmp_path / "out.png")
    assert path.read_bytes() == recorder.body
    sent = recorder.requests[0]
    assert sent.url.host == ip and sent.url.query == b"sig=abc"
    assert sent.headers["host"] == "cdn.example.com"
    assert sent.extensions["sni_hostname"] == "cdn.example.com"


@pytest.mark.parametrize("url", ["http://cdn.example.com/x.png", "file:///etc/passwd", "ftp://cdn.example.com/x"])
def test_only_https_unless_http_is_allowed(url: str, tmp_path: Path) -> None:
    recorder = Recorder()
    client = httpx.Client(transport=httpx.MockTransport(recorder))
    guard = GuardedDownloader(client, max_bytes=1000, resolver=resolver_for("8.8.8.8"))
    with pytest.raises(ProviderError, match="https only"):
        guard.fetch(url, tmp_path / "x.png")
    assert recorder.requests == []


# --------------------------------------------------------------------------- live, loopback only

BIG = b"x" * 5000


def serve(request: StubRequest) -> StubResponse:
    port = request.header("Host").rpartition(":")[2]
    routes = {
        "/ok": lambda: StubResponse(200, png_bytes(), {"Content-Type": "image/png"}),
        "/to-private": lambda: StubResponse(302, b"", {"Location": f"http://127.0.0.2:{port}/ok"}),
        "/to-ok": lambda: StubResponse(302, b"", {"Location": "/ok"}),
        "/to-localhost": lambda: StubResponse(302, b"", {"Location": f"http://localhost:{port}/echo-auth"}),
        "/echo-auth": lambda: StubResponse(200, (request.header("Authorization") or "none").encode()),
        "/loop": lambda: StubResponse(302, b"", {"Location": "/loop"}),
        "/big": lambda: StubResponse(200, BIG),
        "/html": lambda: StubResponse(200, NOT_MEDIA, {"Content-Type": "text/html"}),
        "/gone": lambda: StubResponse(404, b"no"),
        "/busy": lambda: StubResponse(503, b"busy", {"Retry-After": "4"}),
    }
    return routes.get(request.path, lambda: StubResponse(404))()


@pytest.fixture(scope="module")
def server() -> Iterator[StubServer]:
    with StubServer(serve) as stub:
        yield stub


@pytest.fixture
def guard(http: httpx.Client) -> GuardedDownloader:
    return GuardedDownloader(http, max_bytes=4096, allow_http=True, allow_private_hosts=frozenset({"127.0.0.1"}))


def test_loopback_download_when_allow_listed(server: StubServer, guard: GuardedDownloader, tmp_path: Path) -> None:
    path = guard.fetch(f"{server.url}/to-ok", tmp_path / "a.png")
    assert path.read_bytes() == png_bytes()
    assert leftovers(tmp_path) == [path]


def test_redirect_to_an_address_not_allow_listed_is_refused(
    server: StubServer, guard: GuardedDownloader, tmp_path: Path
) -> None:
    with pytest.raises(ProviderError, match="127.0.0.2"):
        guard.fetch(f"{server.url}/to-private", tmp_path / "a.png")
    assert leftovers(tmp_path) == []


def test_oversized_body_is_refused_and_no_file_is_left(
    server: StubServer, guard: GuardedDownloader, tmp_path: Path
) -> None:
    with pytest.raises(MediaRejected, match="larger than"):
        guard.fetch(f"{server.url}/big", tmp_path / "a.bin")
    assert leftovers(tmp_path) == []


def test_body_over_the_cap_without_a_declared_length_is_cut_off(tmp_path: Path) -> None:
    def chunks() -> Iterator[bytes]:
        yield from (b"y" * 1000 for _ in range(10))

    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, content=chunks())))
    guard = GuardedDownloader(client, max_bytes=4096, resolver=resolver_for("8.8.8.8"))
    with pytest.raises(MediaRejected):
        guard.fetch("https://cdn.example.com/stream", tmp_path / "a.bin")
    assert leftovers(tmp_path) == []


def test_non_media_body_is_refused_by_the_probe(server: StubServer, guard: GuardedDownloader, tmp_path: Path) -> None:
    raw = guard.fetch(f"{server.url}/html", tmp_path / "a.download")
    with pytest.raises(MediaRejected):
        probe_as(raw, "image", image_probe)
    assert leftovers(tmp_path) == []


def test_redirect_loops_stop(server: StubServer, guard: GuardedDownloader, tmp_path: Path) -> None:
    with pytest.raises(ProviderError, match="redirected more than"):
        guard.fetch(f"{server.url}/loop", tmp_path / "a.png")


def test_status_errors(server: StubServer, guard: GuardedDownloader, tmp_path: Path) -> None:
    with pytest.raises(ProviderError, match="gone") as gone:
        guard.fetch(f"{server.url}/gone", tmp_path / "a.png")
    assert not isinstance(gone.value, TransientError)
    with pytest.raises(TransientError):
        guard.fetch(f"{server.url}/busy", tmp_path / "a.png")


def test_credentials_stay_on_their_origin(server: StubServer, http: httpx.Client, tmp_path: Path) -> None:
    guard = GuardedDownloader(
        http, max_bytes=4096, allow_http=True, allow_private_hosts=frozenset({"127.0.0.1", "localhost"})
    )
    headers = {"Authorization": "secret"}
    same = guard.fetch(f"{server.url}/echo-auth", tmp_path / "same.txt", headers=headers)
    moved = guard.fetch(f"{server.url}/to-localhost", tmp_path / "moved.txt", headers=headers)
    assert same.read_bytes() == b"secret"
    assert moved.read_bytes() == b"none"


def test_named_host_is_pinned_to_the_address_it_resolved_to(
    server: StubServer, http: httpx.Client, tmp_path: Path
) -> None:
    guard = GuardedDownloader(
        http,
        max_bytes=4096,
        allow_http=True,
        allow_private_hosts=frozenset({"media.test"}),
        resolver=resolver_for("127.0.0.1"),
    )
    path = guard.fetch(f"http://media.test:{server.port}/ok", tmp_path / "a.png")
    assert path.read_bytes() == png_bytes()
