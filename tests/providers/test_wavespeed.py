"""WaveSpeedLipSyncer against the WaveSpeed v3 stub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.adapters.providers.http.download import GuardedDownloader
from core.adapters.providers.wavespeed.lipsync import WaveSpeedLipSyncer
from core.errors import MediaRejected, ProviderError, TransientError
from core.ports import LipSyncRequest, PredictionState, billed_render_s
from tests.providers.helpers import leftovers, poll_until_settled, run
from tests.stubs import WaveSpeedStub


@pytest.fixture
def ws() -> Iterator[WaveSpeedStub]:
    with WaveSpeedStub() as stub:
        yield stub


def make(
    stub: WaveSpeedStub, http: httpx.Client, downloader: GuardedDownloader, probe: Any, key: str = "test-key"
) -> WaveSpeedLipSyncer:
    return WaveSpeedLipSyncer(
        key,
        http=http,
        base_url=stub.base_url,
        model="wavespeed-ai/infinitetalk",
        price_per_second=0.03,
        downloader=downloader,
        probe=probe,
        poll_after_s=0.0,
    )


@pytest.fixture
def syncer(
    ws: WaveSpeedStub, http: httpx.Client, downloader: GuardedDownloader, media_probe: Any
) -> WaveSpeedLipSyncer:
    return make(ws, http, downloader, media_probe)


@pytest.fixture
def request_(image_path: Path, audio_path: Path) -> LipSyncRequest:
    return LipSyncRequest(image=image_path, audio=audio_path, audio_duration_s=2.0)


def test_happy_path(ws: WaveSpeedStub, syncer: WaveSpeedLipSyncer, request_: LipSyncRequest, tmp_path: Path) -> None:
    video, polls = run(syncer, request_, tmp_path / "out")
    assert [p.message for p in polls[:2]] == ["WaveSpeed: created", "WaveSpeed: processing"]
    assert video.content_type == "video/mp4" and 1.9 < video.duration_s < 2.2
    assert ws.count("upload_binary") == 2 and ws.count("upload_ticket") == 0  # the documented endpoint, no 404 first
    assert ws.count("submit") == 1 and ws.created_count("wavespeed-ai/infinitetalk") == 1
    sent = next(iter(ws.predictions.values())).inputs
    assert sent["resolution"] == "720p" and set(sent) == {"image", "audio", "resolution", "seed"}
    assert syncer.cost_usd(request_, video) == pytest.approx(0.03 * 5.0)  # five-second minimum charge
    assert billed_render_s(syncer, 2.0) == 5.0 and billed_render_s(syncer, 12.0) == 12.0  # the estimate agrees


def test_ticket_upload_when_the_binary_endpoint_is_missing(
    ws: WaveSpeedStub, syncer: WaveSpeedLipSyncer, request_: LipSyncRequest, tmp_path: Path
) -> None:
    ws.binary_uploads = False
    video, _ = run(syncer, request_, tmp_path)
    assert ws.count("upload_ticket") == 2 and ws.count("upload_put") == 2 and video.duration_s > 1.9


def test_failed_prediction(ws: WaveSpeedStub, syncer: WaveSpeedLipSyncer, request_: LipSyncRequest) -> None:
    ws.faults.add("submit", "fail", message="face not detected")
    result, _ = poll_until_settled(syncer, syncer.submit(request_).request_id)
    assert result.state is PredictionState.FAILED and "face not detected" in (result.message or "")


@pytest.mark.parametrize("status", ["cancelled", "timeout", "deleted"])
def test_other_terminal_statuses_fail(
    ws: WaveSpeedStub, syncer: WaveSpeedLipSyncer, request_: LipSyncRequest, status: str
) -> None:
    request_id = syncer.submit(request_).request_id
    ws.faults.add("result", "terminal_status", status=status)
    assert syncer.poll(request_id).state is PredictionState.FAILED


def test_unknown_status_is_pending(ws: WaveSpeedStub, syncer: WaveSpeedLipSyncer, request_: LipSyncRequest) -> None:
    request_id = syncer.submit(request_).request_id
    ws.faults.add("result", "unknown_status", status="paused")
    assert syncer.poll(request_id).state is PredictionState.PENDING


def test_submit_rate_limit(ws: WaveSpeedStub, syncer: WaveSpeedLipSyncer, request_: LipSyncRequest) -> None:
    ws.faults.add("submit", "rate_limit", retry_after_s=12)
    with pytest.raises(TransientError) as caught:
        syncer.submit(request_)
    assert caught.value.retry_after_s == 12 and ws.created_count() == 0
    syncer.submit(request_)
    assert ws.count("submit") == 2 and ws.created_count() == 1


@pytest.mark.parametrize("kind", ["server_error", "drop", "slow"])
def test_poll_faults_are_transient(
    ws: WaveSpeedStub, syncer: WaveSpeedLipSyncer, request_: LipSyncRequest, kind: str
) -> None:
    request_id = syncer.submit(request_).request_id
    ws.faults.add("result", kind, delay_s=1.3)
    with pytest.raises(TransientError):
        syncer.poll(request_id)


def test_wrong_key(
    ws: WaveSpeedStub, http: httpx.Client, downloader: GuardedDownloader, media_probe: Any, request_: LipSyncRequest
) -> None:
    with pytest.raises(ProviderError, match="API key") as caught:
        make(ws, http, downloader, media_probe, key="nope").submit(request_)
    assert not isinstance(caught.value, TransientError)


def test_unknown_prediction_is_not_transient(syncer: WaveSpeedLipSyncer) -> None:
    with pytest.raises(ProviderError) as caught:
        syncer.poll("does-not-exist")
    assert caught.value.status_code == 404 and not isinstance(caught.value, TransientError)


def test_non_media_result(
    ws: WaveSpeedStub, syncer: WaveSpeedLipSyncer, request_: LipSyncRequest, tmp_path: Path
) -> None:
    result, _ = poll_until_settled(syncer, syncer.submit(request_).request_id)
    ws.faults.add("file", "bad_media")
    with pytest.raises(MediaRejected):
        syncer.collect(request_, result, tmp_path / "out")
    assert leftovers(tmp_path / "out") == []
