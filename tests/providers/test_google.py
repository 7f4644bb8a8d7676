"""Google adapters: Gemini image edit and TTS through google-genai, Imagen, Cloud TTS and Veo
over REST, all against the Google stub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.adapters.providers.google.common import make_genai_client
from core.adapters.providers.google.image import GoogleImageEditor, GoogleImageGenerator
from core.adapters.providers.google.speech import GeminiSpeechSynthesizer, GoogleCloudSpeechSynthesizer
from core.adapters.providers.google.veo import GoogleVeoAnimator
from core.adapters.providers.http.common import image_probe
from core.adapters.providers.http.download import GuardedDownloader
from core.domain.types import Voice
from core.errors import ProviderError, TransientError
from core.ports import ImageEditRequest, ImageGenRequest, ImageToVideoRequest, PredictionState, SpeechRequest
from tests.providers.helpers import poll_until_settled, run
from tests.stubs import GoogleStub


@pytest.fixture
def google() -> Iterator[GoogleStub]:
    with GoogleStub() as stub:
        yield stub


def editor(google: GoogleStub, http: httpx.Client, key: str = "test-key") -> GoogleImageEditor:
    client = make_genai_client(key, http=http, base_url=google.url, timeout_s=1.0)
    return GoogleImageEditor(client, model="gemini-2.5-flash-image", price_per_image=0.039, probe=image_probe)


def test_gemini_image_edit(google: GoogleStub, http: httpx.Client, image_path: Path, tmp_path: Path) -> None:
    adapter = editor(google, http)
    request = ImageEditRequest(image=image_path, prompt="add sunglasses", seed=3)
    image, polls = run(adapter, request, tmp_path)
    assert len(polls) == 1 and (image.width, image.height, image.content_type) == (80, 120, "image/png")
    assert google.count("generate") == 1 and google.created_count() == 1
    label, sent = google.requests[0]
    assert sent.path == "/v1/models/gemini-2.5-flash-image:generateContent"
    assert sent.header("x-goog-api-key") == "test-key" and b"test-key" not in sent.path.encode()


def test_gemini_safety_block_is_a_provider_error(
    google: GoogleStub, http: httpx.Client, image_path: Path, tmp_path: Path
) -> None:
    google.faults.add("generate", "fail")
    adapter = editor(google, http)
    request = ImageEditRequest(image=image_path, prompt="p")
    with pytest.raises(ProviderError, match="SAFETY") as caught:
        adapter.collect(request, adapter.poll(adapter.submit(request).request_id), tmp_path)
    assert not isinstance(caught.value, TransientError)


@pytest.mark.parametrize("kind", ["rate_limit", "server_error", "drop", "slow"])
def test_gemini_transient_faults(
    google: GoogleStub, http: httpx.Client, image_path: Path, tmp_path: Path, kind: str
) -> None:
    google.faults.add("generate", kind, retry_after_s=5, delay_s=1.3)
    adapter = editor(google, http)
    request = ImageEditRequest(image=image_path, prompt="p")
    with pytest.raises(TransientError) as caught:
        adapter.collect(request, adapter.poll(adapter.submit(request).request_id), tmp_path)
    assert caught.value.retry_after_s == (5 if kind == "rate_limit" else None)
    assert google.created_count() == 0


def test_gemini_wrong_key(google: GoogleStub, http: httpx.Client, image_path: Path, tmp_path: Path) -> None:
    adapter = editor(google, http, key="nope")
    request = ImageEditRequest(image=image_path, prompt="p")
    with pytest.raises(ProviderError, match="API key") as caught:
        adapter.collect(request, adapter.poll(adapter.submit(request).request_id), tmp_path)
    assert not isinstance(caught.value, TransientError)


def imagen(google: GoogleStub, http: httpx.Client) -> GoogleImageGenerator:
    return GoogleImageGenerator(
        "test-key",
        http=http,
        base_url=google.url,
        model="imagen-4.0-generate-001",
        price_per_image=0.04,
        probe=image_probe,
    )


def test_imagen_generation_and_filtering(google: GoogleStub, http: httpx.Client, tmp_path: Path) -> None:
    adapter = imagen(google, http)
    image, _ = run(adapter, ImageGenRequest(prompt="a bathroom shelf"), tmp_path)
    assert (image.width, image.height) == (72, 128)
    sent = google.requests[0][1].json()
    assert sent["parameters"]["aspectRatio"] == "9:16" and google.requests[0][1].path.startswith("/v1beta/")
    google.faults.add("predict", "fail")
    with pytest.raises(ProviderError, match="safety"):
        run(adapter, ImageGenRequest(prompt="x"), tmp_path)


def test_gemini_tts_wraps_pcm_as_wav(google: GoogleStub, http: httpx.Client, media_probe: Any, tmp_path: Path) -> None:
    client = make_genai_client("test-key", http=http, base_url=google.url, timeout_s=1.0)
    adapter = GeminiSpeechSynthesizer(
        client, model="gemini-2.5-flash-preview-tts", price_per_second=0.001, probe=media_probe
    )
    request = SpeechRequest(text="Hello there", voice=Voice("Kore"))
    clip, _ = run(adapter, request, tmp_path)
    assert clip.content_type == "audio/wav" and clip.path.suffix == ".wav"
    assert clip.duration_s == pytest.approx(0.8, abs=0.01)
    assert media_probe(clip.path).sample_rate == 24000
    assert adapter.cost_usd(request, clip) == pytest.approx(0.0008, abs=1e-5)


@pytest.mark.parametrize("encoding, content_type", [("MP3", "audio/mpeg"), ("LINEAR16", "audio/wav")])
def test_cloud_tts(
    google: GoogleStub, http: httpx.Client, media_probe: Any, tmp_path: Path, encoding: str, content_type: str
) -> None:
    adapter = GoogleCloudSpeechSynthesizer(
        "test-key", http=http, base_url=google.url, price_per_second=0.0, probe=media_probe, audio_encoding=encoding
    )
    clip, _ = run(adapter, SpeechRequest(text="Hi", voice=Voice("en-US-Neural2-F", language="en-us")), tmp_path)
    assert clip.content_type == content_type and clip.duration_s > 0.7
    assert google.requests[0][1].json()["voice"] == {"languageCode": "en-US", "name": "en-US-Neural2-F"}
    google.faults.add("tts", "fail")
    with pytest.raises(ProviderError, match="unsupported characters"):
        run(adapter, SpeechRequest(text="Hi", voice=Voice("en-US-Neural2-C")), tmp_path)


def test_each_google_speech_provider_gets_the_actors_own_voice_or_nothing_is_sent(
    google: GoogleStub, http: httpx.Client, media_probe: Any, tmp_path: Path
) -> None:
    from core.adapters.providers.google.common import make_genai_client
    from core.domain.voices import voices_for_actor
    from core.errors import ValidationError

    ava = Voice("en-us+f3", voices=voices_for_actor("ava_base_01"))  # as the catalog binds her
    gemini = GeminiSpeechSynthesizer(
        make_genai_client("test-key", http=http, base_url=google.url, timeout_s=2.0),
        model="gemini-2.5-flash-preview-tts",
        price_per_second=0.0,
        probe=media_probe,
    )
    run(gemini, SpeechRequest(text="Hello there", voice=ava), tmp_path / "g")
    assert b"Kore" in google.requests[-1][1].body
    cloud = GoogleCloudSpeechSynthesizer(
        "test-key", http=http, base_url=google.url, price_per_second=0.0, probe=media_probe
    )
    run(cloud, SpeechRequest(text="Hi", voice=ava), tmp_path / "c")
    assert google.requests[-1][1].json()["voice"]["name"] == "en-US-Neural2-F"
    sent = len(google.requests)
    for adapter in (gemini, cloud):
        with pytest.raises(ValidationError, match="is not a .* voice, so nothing was sent"):
            adapter.submit(SpeechRequest(text="Hi", voice=Voice("en-us+f3")))  # the eSpeak id Gemini refused
    assert len(google.requests) == sent


@pytest.fixture
def veo(google: GoogleStub, http: httpx.Client, downloader: GuardedDownloader, media_probe: Any) -> GoogleVeoAnimator:
    return GoogleVeoAnimator(
        "test-key",
        http=http,
        base_url=google.url,
        model="veo-3.1-generate-preview",
        price_per_second=0.15,
        downloader=downloader,
        probe=media_probe,
        poll_after_s=0.0,
    )


def test_veo_happy_path(google: GoogleStub, veo: GoogleVeoAnimator, image_path: Path, tmp_path: Path) -> None:
    request = ImageToVideoRequest(image=image_path, prompt="she waves", duration_s=5)
    video, polls = run(veo, request, tmp_path)
    assert polls[0].state is PredictionState.PENDING and video.duration_s == pytest.approx(1.5, abs=0.1)
    body = google.requests[0][1].json()
    assert body["parameters"]["durationSeconds"] == 6 and body["parameters"]["aspectRatio"] == "9:16"
    assert google.count("submit") == 1 and google.count("download") == 1 and google.count("blob") == 1
    assert veo.cost_usd(request, video) == pytest.approx(0.15 * video.duration_s)


def test_veo_downloads_through_the_configured_base_url(
    google: GoogleStub, veo: GoogleVeoAnimator, image_path: Path, tmp_path: Path
) -> None:
    """A real answer names Google's own host; the file is fetched from the configured one (a proxy,
    here the stub), as the SDK's files.download does; the key never goes to the named host."""
    google.video_uri_host = "https://generativelanguage.googleapis.com"
    video, _ = run(veo, ImageToVideoRequest(image=image_path, prompt="she waves", duration_s=5), tmp_path)
    assert video.duration_s > 1.0 and google.count("download") == 1
    with pytest.raises(ProviderError, match="not a Gemini file"):
        veo.download_url("https://elsewhere.example/video.mp4")


def test_veo_filtered_unknown_and_transient(google: GoogleStub, veo: GoogleVeoAnimator, image_path: Path) -> None:
    google.faults.add("submit", "fail", message="celebrity likeness")
    request_id = veo.submit(ImageToVideoRequest(image=image_path, prompt="x", duration_s=8)).request_id
    assert request_id.startswith("models/veo-3.1-generate-preview/operations/")
    google.faults.add("status", "unknown_status")
    assert veo.poll(request_id).state is PredictionState.PENDING
    google.faults.add("status", "server_error")
    with pytest.raises(TransientError):
        veo.poll(request_id)
    result, _ = poll_until_settled(veo, request_id)
    assert result.state is PredictionState.FAILED and "celebrity likeness" in (result.message or "")


def test_veo_rejects_a_foreign_request_id(veo: GoogleVeoAnimator) -> None:
    with pytest.raises(ProviderError):
        veo.poll("../../v1/secrets")


def test_cloud_tts_is_a_speech_provider_of_its_own(google: GoogleStub, tmp_path: Path) -> None:
    from core.adapters.media.ffmpeg import FfmpegToolkit
    from core.adapters.providers.connection import check_connection
    from core.adapters.providers.registry import build_providers
    from core.domain.voices import voices_for_actor
    from tests.conftest import make_settings

    settings = make_settings(
        tmp_path,
        speech_provider="gcloud",
        gemini_api_key="test-key",
        google_cloud_tts_base_url=google.url,
        download_allow_http=True,
    )
    choice = build_providers(settings, media=FfmpegToolkit(), storage=None).choices["speech"]
    assert (choice.vendor, type(choice.provider).__name__) == ("gcloud", "GoogleCloudSpeechSynthesizer")
    assert "accepted the key" in check_connection(settings, "gcloud", choice.model)
    clip, _ = run(
        choice.provider,
        SpeechRequest("Hi", Voice("en-us+m1", voices=voices_for_actor("marcus_base_07"))),
        tmp_path / "out",
    )
    assert clip.duration_s > 0 and google.requests[-1][1].json()["voice"]["name"] == "en-US-Neural2-D"


def test_veo_continuity_fields_first_last_frame_references_and_extension(
    google: GoogleStub, veo: GoogleVeoAnimator, image_path: Path, tmp_path: Path
) -> None:
    """Issue 18: `lastFrame`, up to three `referenceImages`, and `video: {uri}` to extend a Veo video."""
    assert veo.continuity.last_frame and veo.continuity.extends and veo.continuity.max_references == 3
    google.video_time_scale = 1.0
    refs = tuple(image_path for _ in range(4))
    first = ImageToVideoRequest(
        image=image_path, prompt="she waves", duration_s=8, last_frame=image_path, references=refs
    )
    video, _ = run(veo, first, tmp_path / "a")
    sent = google.requests[0][1].json()["instances"][0]
    assert sent["lastFrame"] == sent["image"] and len(sent["referenceImages"]) == 3  # capped at the limit
    assert sent["referenceImages"][0] == {"image": sent["image"], "referenceType": "asset"}
    assert video.source_uri and "/files/" in video.source_uri

    longer = ImageToVideoRequest(image=image_path, prompt="she waves", duration_s=8, extend_uri=video.source_uri)
    extended, _ = run(veo, longer, tmp_path / "b")
    body = [r for label, r in google.requests if label == "submit"][-1].json()["instances"][0]
    assert body["video"] == {"uri": video.source_uri} and "image" not in body and "lastFrame" not in body
    assert extended.duration_s == pytest.approx(video.duration_s + 7.0, abs=0.2)  # the whole, longer video
    assert veo.cost_usd(longer, extended) == pytest.approx(0.15 * 7.0)  # only the added seconds are charged
    assert google.created_count() == 2
