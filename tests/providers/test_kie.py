"""KIE Market and KIE Veo animators against the KIE stub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.adapters.providers.http.download import GuardedDownloader
from core.adapters.providers.kie.video import KieMarketAnimator, KieVeoAnimator
from core.errors import ProviderError, TransientError
from core.ports import ImageToVideoRequest, PredictionState
from tests.providers.helpers import poll_until_settled, run
from tests.stubs import KieStub


@pytest.fixture
def kie() -> Iterator[KieStub]:
    with KieStub() as stub:
        yield stub


def market(
    kie: KieStub,
    http: httpx.Client,
    downloader: GuardedDownloader,
    probe: Any,
    *,
    key: str = "test-key",
    model: str = "kling-2.6/image-to-video",
) -> KieMarketAnimator:
    return KieMarketAnimator(
        key,
        http=http,
        base_url=kie.url,
        model=model,
        price_per_second=0.07,
        downloader=downloader,
        probe=probe,
        publish=lambda p: publish(kie, p),
        poll_after_s=0.0,
    )


def publish(kie: KieStub, path: Path) -> str:
    """What bootstrap's storage + signed URL would do: make the local file reachable."""
    return kie.put_file(path.read_bytes(), "image/png")


@pytest.fixture
def animator(kie: KieStub, http: httpx.Client, downloader: GuardedDownloader, media_probe: Any) -> KieMarketAnimator:
    return market(kie, http, downloader, media_probe)


@pytest.fixture
def request_(image_path: Path) -> ImageToVideoRequest:
    return ImageToVideoRequest(image=image_path, prompt="she smiles", duration_s=5, camera="slow push in")


def test_market_happy_path(
    kie: KieStub, animator: KieMarketAnimator, request_: ImageToVideoRequest, tmp_path: Path
) -> None:
    video, polls = run(animator, request_, tmp_path)
    assert [p.message for p in polls[:2]] == ["KIE: waiting", "KIE: generating"]
    assert video.width == 96 and 0.9 < video.duration_s < 1.2
    sent = next(iter(kie.predictions.values())).inputs
    assert sent["model"] == "kling-2.6/image-to-video" and sent["input"]["duration"] == "5"
    assert sent["input"]["prompt"] == "she smiles Camera: slow push in."
    assert kie.count("submit") == 1 and kie.created_count() == 1
    assert animator.cost_usd(request_, video) == pytest.approx(0.07 * video.duration_s)


def test_other_market_model_shape(
    kie: KieStub,
    http: httpx.Client,
    downloader: GuardedDownloader,
    media_probe: Any,
    request_: ImageToVideoRequest,
    tmp_path: Path,
) -> None:
    run(market(kie, http, downloader, media_probe, model="wan/2-2-a14b-image-to-video-turbo"), request_, tmp_path)
    assert set(next(iter(kie.predictions.values())).inputs["input"]) >= {"image_url", "resolution", "prompt"}


def test_market_failure_and_unknown_state(
    kie: KieStub, animator: KieMarketAnimator, request_: ImageToVideoRequest
) -> None:
    kie.faults.add("submit", "fail", message="content policy violation")
    request_id = animator.submit(request_).request_id
    kie.faults.add("status", "unknown_status", status="paused")
    assert animator.poll(request_id).state is PredictionState.PENDING
    result, _ = poll_until_settled(animator, request_id)
    assert result.state is PredictionState.FAILED and "content policy violation" in (result.message or "")


@pytest.mark.parametrize("in_body", [False, True])
def test_errors_over_http_or_in_the_body(
    kie: KieStub,
    http: httpx.Client,
    downloader: GuardedDownloader,
    media_probe: Any,
    request_: ImageToVideoRequest,
    in_body: bool,
) -> None:
    kie.errors_in_body = in_body
    with pytest.raises(ProviderError, match="API key") as caught:
        market(kie, http, downloader, media_probe, key="nope").submit(request_)
    assert not isinstance(caught.value, TransientError)
    kie.faults.add("submit", "server_error")
    with pytest.raises(TransientError):
        market(kie, http, downloader, media_probe).submit(request_)
    assert kie.created_count() == 0


@pytest.mark.parametrize("kind", ["rate_limit", "drop", "slow"])
def test_poll_faults_are_transient(
    kie: KieStub, animator: KieMarketAnimator, request_: ImageToVideoRequest, kind: str
) -> None:
    request_id = animator.submit(request_).request_id
    kie.faults.add("status", kind, retry_after_s=9, delay_s=1.3)
    with pytest.raises(TransientError) as caught:
        animator.poll(request_id)
    assert caught.value.retry_after_s == (9 if kind == "rate_limit" else None)


@pytest.fixture
def veo(kie: KieStub, http: httpx.Client, downloader: GuardedDownloader, media_probe: Any) -> KieVeoAnimator:
    return KieVeoAnimator(
        "test-key",
        http=http,
        base_url=kie.url,
        model="veo3_fast",
        price_per_second=0.05,
        downloader=downloader,
        probe=media_probe,
        publish=lambda p: publish(kie, p),
        poll_after_s=0.0,
    )


def test_veo_happy_path(kie: KieStub, veo: KieVeoAnimator, image_path: Path, tmp_path: Path) -> None:
    request = ImageToVideoRequest(image=image_path, prompt="waves", duration_s=8, width=1080, height=1920)
    video, _ = run(veo, request, tmp_path)
    assert video.duration_s > 1.5
    sent = next(iter(kie.predictions.values())).inputs
    assert sent["aspectRatio"] == "9:16" and sent["model"] == "veo3_fast" and len(sent["imageUrls"]) == 1
    assert kie.count("veo_submit") == 1


def test_veo_failure_and_unknown_flag(kie: KieStub, veo: KieVeoAnimator, image_path: Path) -> None:
    kie.faults.add("veo_submit", "fail", message="public figure")
    request_id = veo.submit(ImageToVideoRequest(image=image_path, prompt="x", duration_s=8)).request_id
    kie.faults.add("veo_status", "unknown_status")
    assert veo.poll(request_id).state is PredictionState.PENDING
    result, _ = poll_until_settled(veo, request_id)
    assert result.state is PredictionState.FAILED and "public figure" in (result.message or "")


def test_submits_carry_the_callback_url(
    kie: KieStub,
    animator: KieMarketAnimator,
    http: httpx.Client,
    downloader: GuardedDownloader,
    media_probe: Any,
    request_: ImageToVideoRequest,
) -> None:
    hook = "https://hooks.example/webhooks/kie?attempt=abc"
    animator.submit(request_, webhook_url=hook)
    veo = KieVeoAnimator(
        "test-key",
        http=http,
        base_url=kie.url,
        model="veo3_fast",
        price_per_second=0.1,
        downloader=downloader,
        probe=media_probe,
        publish=lambda p: publish(kie, p),
    )
    veo.submit(request_, webhook_url=hook)
    veo.submit(request_)
    bodies = [p.inputs for p in kie.predictions.values()]
    assert [b.get("callBackUrl") for b in bodies] == [hook, hook, None]


def test_veo_first_and_last_frame_go_as_two_image_urls(
    kie: KieStub, veo: KieVeoAnimator, image_path: Path, tmp_path: Path
) -> None:
    """Issue 18 chaining: KIE's FIRST_AND_LAST_FRAMES_2_VIDEO mode takes `imageUrls: [first, last]`."""
    last = tmp_path / "last.png"
    last.write_bytes(b"\x89PNG-last-frame")
    assert veo.continuity.last_frame and not veo.continuity.extends and veo.continuity.max_references == 0
    request = ImageToVideoRequest(image=image_path, prompt="waves", duration_s=8, last_frame=last)
    run(veo, request, tmp_path / "out")
    sent = next(iter(kie.predictions.values())).inputs
    assert sent["generationType"] == "FIRST_AND_LAST_FRAMES_2_VIDEO"
    first_url, last_url = sent["imageUrls"]
    assert kie.file_of(first_url)[0] == image_path.read_bytes()  # type: ignore[index]
    assert kie.file_of(last_url)[0] == last.read_bytes()  # type: ignore[index]


def test_only_the_kling_turbo_market_model_takes_a_tail_frame(
    kie: KieStub, http: httpx.Client, downloader: GuardedDownloader, media_probe: Any, image_path: Path, tmp_path: Path
) -> None:
    last = tmp_path / "last.png"
    last.write_bytes(b"\x89PNG-last-frame")
    request = ImageToVideoRequest(image=image_path, prompt="she smiles", duration_s=5, last_frame=last)
    turbo = market(kie, http, downloader, media_probe, model="kling/v2-5-turbo-image-to-video-pro")
    plain = market(kie, http, downloader, media_probe)
    assert turbo.continuity.last_frame and not plain.continuity.last_frame
    assert "first frame" in plain.continuity.reason
    turbo.submit(request)
    plain.submit(request)
    turbo_input, plain_input = (p.inputs["input"] for p in kie.predictions.values())
    assert kie.file_of(turbo_input["tail_image_url"])[0] == last.read_bytes()  # type: ignore[index]
    assert "tail_image_url" not in plain_input
