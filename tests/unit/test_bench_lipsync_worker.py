"""The provider bench's worker swaps in a WaveSpeed lip-syncer with a shorter poll interval; it must
keep the registry's calling convention, or every bench job waits for a worker that died at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.adapters.media.ffmpeg import FfmpegToolkit
from core.adapters.providers import cloud
from core.config import Settings


def test_the_bench_worker_builds_the_lipsyncer_as_the_registry_calls_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BENCH_POLL_S", "0.5")
    original = cloud.BUILDERS[("lipsync", "wavespeed")]
    try:
        import bench.lipsync_worker  # noqa: F401  (installs the override)

        settings = Settings(_env_file=None, data_dir=tmp_path, wavespeed_api_key="bench-key")  # type: ignore[call-arg]
        provider, model = cloud.BUILDERS[("lipsync", "wavespeed")](settings, FfmpegToolkit(), None)
    finally:
        cloud.BUILDERS[("lipsync", "wavespeed")] = original
    assert model == settings.wavespeed_lipsync_model
    assert provider._poll_after_s == 0.5
