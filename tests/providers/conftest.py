"""Provider adapter tests: each against its stub on 127.0.0.1; nothing may leave loopback."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.adapters.media.ffmpeg import FfmpegToolkit
from core.adapters.providers.http.download import GuardedDownloader
from tests.stubs.media import png_bytes, wav_bytes

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any attempt to connect outside 127.0.0.0/8 (a safety net, not a test subject)."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            if not ipaddress.ip_address(host.split("%")[0]).is_loopback:
                raise AssertionError(f"test tried to connect to {host}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=httpx.Timeout(1.0)) as client:
        yield client


@pytest.fixture
def downloader(http: httpx.Client) -> GuardedDownloader:
    return GuardedDownloader(http, max_bytes=5_000_000, allow_http=True, allow_private_hosts=LOOPBACK_HOSTS)


@pytest.fixture(scope="session")
def media_probe() -> Any:
    return FfmpegToolkit().probe


@pytest.fixture
def image_path(tmp_path: Path) -> Path:
    path = tmp_path / "inputs" / "actor.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png_bytes(64, 96))
    return path


@pytest.fixture
def audio_path(tmp_path: Path) -> Path:
    path = tmp_path / "inputs" / "voice.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(wav_bytes(2.0))
    return path
