"""fal adapters against the fal stub: queue walk, uploads, media, faults, lip-sync renders."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.adapters.providers.fal.image_edit import FalImageEditor
from core.adapters.providers.fal.image_gen import FalImageGenerator
from core.adapters.providers.fal.lipsync import FalLipSyncer, frames_for
from core.adapters.providers.fal.queue import FalHandle, FalQueue
from core.adapters.providers.fal.speech import FalSpeechSynthesizer
from core.adapters.providers.http.common import image_probe
from core.adapters.providers.http.download import GuardedDownloader
from core.domain.types import Voice
from core.errors import AnswerLost, MediaRejected, ProviderError, TransientError, ValidationError
from core.ports import (
    ImageEditRequest,
    ImageGenRequest,
    LipSyncRequest,
    PredictionState,
    SpeechRequest,
    billed_render_s,
    lipsync_chunks,
)
from tests.providers.helpers import leftovers, poll_until_settled, run
from tests.stubs import FalStub
from tests.stubs.media import wav_bytes

EDIT = "fal-ai/nano-banana/edit"


@pytest.fixture
def fal() -> Iterator[FalStub]:
    with FalStub() as stub:
        yield stub


def make_queue(stub: FalStub, http: httpx.Client, key: str = "test-key") -> FalQueue:
    return FalQueue(
        key,
        http=http,
        queue_url=stub.url,
        rest_url=stub.url,
        cdn_url=stub.url,
        submit_timeout_s=2.0,
        upload_backoff_s=0.0,
        sleep=lambda s: None,
    )


@pytest.fixture
def queue(fal: FalStub, http: httpx.Client) -> FalQueue:
    return make_queue(fal, http)


@pytest.fixture
def editor(queue: FalQueue, downloader: GuardedDownloader) -> FalImageEditor:
    return FalImageEditor(
        queue, model=EDIT, price_per_image=0.039, downloader=downloader, probe=image_probe, poll_after_s=0.0
    )


def test_image_edit_happy_path(fal: FalStub, editor: FalImageEditor, image_path: Path, tmp_path: Path) -> None:
    request = ImageEditRequest(image=image_path, prompt="make the jacket red", seed=7)
    image, polls = run(editor, request, tmp_path / "out")
    assert [p.message for p in polls[:2]] == ["Waiting in fal's queue (position 1)", "Rendering on fal"]
    assert (image.width, image.height, image.content_type) == (64, 96, "image/png")
    assert image.path.parent == tmp_path / "out" and image.path.suffix == ".png"
    assert fal.created_count("fal-ai/nano-banana/edit") == 1 and fal.count("submit") == 1
    sent = fal.predictions[next(iter(fal.predictions))].inputs
    assert sent["image_urls"][0].startswith(f"{fal.url}/files/") and "strength" not in sent
    assert editor.cost_usd(request, image) == pytest.approx(0.039)


def test_request_id_alone_is_enough_to_poll_from_another_process(
    fal: FalStub,
    editor: FalImageEditor,
    http: httpx.Client,
    downloader: GuardedDownloader,
    image_path: Path,
    tmp_path: Path,
) -> None:
    submission = editor.submit(ImageEditRequest(image=image_path, prompt="p"))
    assert FalHandle.decode(submission.request_id).endpoint == "fal-ai/nano-banana/edit"
    fresh = FalImageEditor(
        make_queue(fal, http), model=EDIT, price_per_image=0.0, downloader=downloader, probe=image_probe
    )
    result, _ = poll_until_settled(fresh, submission.request_id)
    assert result.state is PredictionState.DONE
    assert fresh.collect(ImageEditRequest(image=image_path, prompt="p"), result, tmp_path).width == 64
    assert fal.created_count() == 1


def test_flux_generation(fal: FalStub, queue: FalQueue, downloader: GuardedDownloader, tmp_path: Path) -> None:
    generator = FalImageGenerator(
        queue,
        model="fal-ai/flux/schnell",
        price_per_image=0.003,
        downloader=downloader,
        probe=image_probe,
        poll_after_s=0.0,
    )
    image, _ = run(generator, ImageGenRequest(prompt="a kitchen", width=144, height=256), tmp_path)
    assert (image.width, image.height) == (144, 256)
    assert fal.predictions[next(iter(fal.predictions))].inputs["image_size"] == {"width": 144, "height": 256}


@pytest.mark.parametrize(
    "model, content_type",
    [("fal-ai/elevenlabs/tts/multilingual-v2", "audio/mpeg"), ("fal-ai/minimax/speech-02-hd", "audio/wav")],
)
def test_speech_payload_follows_the_model(
    fal: FalStub,
    queue: FalQueue,
    downloader: GuardedDownloader,
    media_probe: Any,
    tmp_path: Path,
    model: str,
    content_type: str,
) -> None:
    speech = FalSpeechSynthesizer(
        queue, model=model, price_per_second=0.01, downloader=downloader, probe=media_probe, poll_after_s=0.0
    )
    from core.domain.voices import voices_for_actor
    from core.errors import ValidationError

    # Ava as the catalog binds her: eSpeak id offline, her ElevenLabs / MiniMax voice here.
    request = SpeechRequest(
        text="Hi there, this is great", voice=Voice("en-us+f3", voices=voices_for_actor("ava_base_01"))
    )
    clip, _ = run(speech, request, tmp_path)
    assert clip.content_type == content_type and 1.5 < clip.duration_s < 2.5
    assert speech.cost_usd(request, clip) == pytest.approx(0.01 * clip.duration_s)
    sent = fal.predictions[next(iter(fal.predictions))].inputs
    if "minimax" in model:
        assert sent == {"text": request.text, "voice_setting": {"voice_id": "Friendly_Person"}, "output_format": "url"}
    else:
        assert sent == {"text": request.text, "voice": "Sarah"}
    with pytest.raises(ValidationError, match="nothing was sent"):
        speech.submit(SpeechRequest(text="Hi", voice=Voice("en-us+f3")))
    assert fal.created_count() == 1


def lipsyncer(queue: FalQueue, downloader: GuardedDownloader, probe: Any, **kwargs: Any) -> FalLipSyncer:
    return FalLipSyncer(
        queue,
        model="fal-ai/infinitalk",
        price_per_second=0.2,
        downloader=downloader,
        probe=probe,
        poll_after_s=0.0,
        **kwargs,
    )


def test_frames_and_chunks(queue: FalQueue, downloader: GuardedDownloader, media_probe: Any) -> None:
    assert frames_for(0.5) == 41 and frames_for(5.76) == 145 and frames_for(5.8) == 149 and frames_for(60) == 721
    assert all((frames_for(s) - 1) % 4 == 0 for s in (1.0, 3.3, 7.7, 28.8))
    syncer = lipsyncer(queue, downloader, media_probe)
    assert lipsync_chunks([syncer], 10) == [(0.0, 10.0)]
    assert lipsync_chunks([syncer], 60) == [(0.0, 20.0), (20.0, 20.0), (40.0, 20.0)]
    assert lipsync_chunks([object()], 60) == [(0.0, 60.0)]  # a lip-syncer without a limit: one render
    assert lipsync_chunks([object(), syncer], 60) == lipsync_chunks([syncer], 60)  # any entry may take a chunk
    assert billed_render_s(syncer, 20.0) == pytest.approx(501 / 25) and billed_render_s(object(), 20.0) == 20.0


def test_lipsync_single_chunk(
    fal: FalStub,
    queue: FalQueue,
    downloader: GuardedDownloader,
    media_probe: Any,
    image_path: Path,
    audio_path: Path,
    tmp_path: Path,
) -> None:
    syncer = lipsyncer(queue, downloader, media_probe)
    request = LipSyncRequest(image=image_path, audio=audio_path, audio_duration_s=2.0, width=480, height=854)
    video, _ = run(syncer, request, tmp_path / "out")
    assert video.width == 96 and video.height == 160 and 2.0 <= video.duration_s < 2.3
    sent = fal.predictions[next(iter(fal.predictions))].inputs
    assert sent["num_frames"] == frames_for(2.0) and sent["resolution"] == "480p"
    assert fal.created_count() == 1


def test_speech_longer_than_one_render_is_refused_before_anything_is_sent(
    fal: FalStub, queue: FalQueue, downloader: GuardedDownloader, media_probe: Any, image_path: Path, tmp_path: Path
) -> None:
    audio = tmp_path / "long.wav"
    audio.write_bytes(wav_bytes(3.0))
    syncer = lipsyncer(queue, downloader, media_probe, max_chunk_s=1.6)
    with pytest.raises(ValidationError, match="longer than one fal lip-sync render"):
        syncer.submit(LipSyncRequest(image=image_path, audio=audio, audio_duration_s=3.0))
    assert sum(fal.count(label) for label in ("token", "upload", "upload_initiate", "submit")) == 0
    assert fal.created_count() == 0


def test_an_orphaned_render_named_by_its_webhook_is_adopted(
    fal: FalStub,
    queue: FalQueue,
    downloader: GuardedDownloader,
    media_probe: Any,
    image_path: Path,
    audio_path: Path,
    tmp_path: Path,
) -> None:
    fal.faults.add("submit", "lost")
    syncer = lipsyncer(queue, downloader, media_probe)
    request = LipSyncRequest(image=image_path, audio=audio_path, audio_duration_s=2.0)
    with pytest.raises(AnswerLost):
        syncer.submit(request)
    (orphan,) = fal.predictions  # fal made it; only the answer was lost
    request_id = syncer.adopt(orphan)
    assert request_id is not None and FalHandle.decode(request_id).ids == (orphan,)
    result, _ = poll_until_settled(syncer, request_id)
    assert 2.0 <= syncer.collect(request, result, tmp_path / "out").duration_s < 2.3
    assert fal.count("submit") == fal.created_count() == 1


def test_many_jobs_at_once_on_one_stub(fal: FalStub, editor: FalImageEditor, image_path: Path, tmp_path: Path) -> None:
    fal.walk_statuses, fal.completes_after_s = False, 0.05
    request = ImageEditRequest(image=image_path, prompt="p")

    def job(n: int) -> int:
        submission = editor.submit(request)
        while (result := editor.poll(submission.request_id)).state is PredictionState.PENDING:
            time.sleep(0.01)
        return editor.collect(request, result, tmp_path / f"job{n}").width

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(job, range(16))) == [64] * 16
    assert fal.created_count() == 16 and fal.count("submit") == 16


# --------------------------------------------------------------------------- faults


def submitted(editor: FalImageEditor, image_path: Path) -> str:
    return editor.submit(ImageEditRequest(image=image_path, prompt="p")).request_id


@pytest.mark.parametrize("kind", ["rate_limit", "server_error", "drop", "slow"])
def test_status_faults_are_transient(fal: FalStub, editor: FalImageEditor, image_path: Path, kind: str) -> None:
    request_id = submitted(editor, image_path)
    fal.faults.add("status", kind, retry_after_s=7, delay_s=1.3)
    with pytest.raises(TransientError) as caught:
        editor.poll(request_id)
    assert caught.value.retry_after_s == (7 if kind == "rate_limit" else None)
    result, _ = poll_until_settled(editor, request_id)  # the engine simply polls again later
    assert result.state is PredictionState.DONE


def test_submit_500_may_have_started_the_work(fal: FalStub, editor: FalImageEditor, image_path: Path) -> None:
    fal.faults.add("submit", "server_error")
    with pytest.raises(AnswerLost):  # a 500 from fal itself: it may have queued the request
        submitted(editor, image_path)
    assert fal.count("submit") == 1


def test_submit_429_is_not_resent_behind_the_engine(fal: FalStub, editor: FalImageEditor, image_path: Path) -> None:
    fal.faults.add("submit", "rate_limit", retry_after_s=3)
    with pytest.raises(TransientError) as caught:
        submitted(editor, image_path)
    assert not isinstance(caught.value, AnswerLost) and caught.value.retry_after_s == 3
    assert fal.count("submit") == 1 and fal.created_count() == 0


def test_a_lost_submit_answer_is_never_resent(fal: FalStub, editor: FalImageEditor, image_path: Path) -> None:
    fal.faults.add("submit", "lost")  # fal queued it, the answer never came back
    with pytest.raises(AnswerLost):
        submitted(editor, image_path)
    assert fal.count("submit") == 1 and fal.created_count() == 1  # fal-client would have paid twice


def test_a_refused_connection_is_not_sent(http: httpx.Client) -> None:
    with FalStub() as stub:
        queue = make_queue(stub, http)
    with pytest.raises(TransientError) as caught:  # the stub is gone: connection refused, nothing sent
        queue.submit("fal-ai/flux/dev", {"prompt": "p"})
    assert not isinstance(caught.value, AnswerLost)


def test_submit_carries_the_webhook_url(fal: FalStub, queue: FalQueue) -> None:
    queue.submit("fal-ai/flux/dev", {"prompt": "p"}, webhook_url="https://hooks.example/webhooks/fal?attempt=abc")
    label, request = [r for r in fal.requests if r[0] == "submit"][-1]
    assert request.arg("fal_webhook") == "https://hooks.example/webhooks/fal?attempt=abc"


def test_input_errors_at_submit_name_the_fields(fal: FalStub, editor: FalImageEditor, image_path: Path) -> None:
    fal.validate_at_submit = True
    with pytest.raises(ProviderError, match="prompt: field required") as caught:
        editor.submit(ImageEditRequest(image=image_path, prompt=""))
    assert not isinstance(caught.value, TransientError) and caught.value.status_code == 422


def test_input_errors_at_result_fail_the_prediction(fal: FalStub, editor: FalImageEditor, image_path: Path) -> None:
    request_id = editor.submit(ImageEditRequest(image=image_path, prompt="")).request_id
    result, _ = poll_until_settled(editor, request_id)
    assert result.state is PredictionState.FAILED and "prompt: field required" in (result.message or "")


def test_failed_prediction(fal: FalStub, editor: FalImageEditor, image_path: Path, tmp_path: Path) -> None:
    fal.faults.add("submit", "fail", message="CUDA out of memory")
    result, _ = poll_until_settled(editor, submitted(editor, image_path))
    assert result.state is PredictionState.FAILED and "CUDA out of memory" in (result.message or "")
    with pytest.raises(ProviderError):
        editor.collect(ImageEditRequest(image=image_path, prompt="p"), result, tmp_path)


def test_unknown_status_is_pending(fal: FalStub, editor: FalImageEditor, image_path: Path) -> None:
    request_id = submitted(editor, image_path)
    fal.faults.add("status", "unknown_status", status="WARMING_UP")
    assert editor.poll(request_id).state is PredictionState.PENDING


def test_upload_token_failure_is_retried(fal: FalStub, editor: FalImageEditor, image_path: Path) -> None:
    fal.faults.add("token", "server_error")
    submitted(editor, image_path)
    assert fal.count("token") == 2 and fal.created_count() == 1


def test_wrong_key_is_not_transient(
    fal: FalStub, http: httpx.Client, downloader: GuardedDownloader, image_path: Path
) -> None:
    editor = FalImageEditor(
        make_queue(fal, http, key="wrong"), model=EDIT, price_per_image=0.0, downloader=downloader, probe=image_probe
    )
    with pytest.raises(ProviderError, match="API key") as caught:
        submitted(editor, image_path)
    assert not isinstance(caught.value, TransientError)


def test_non_media_result_is_rejected_and_removed(
    fal: FalStub, editor: FalImageEditor, image_path: Path, tmp_path: Path
) -> None:
    result, _ = poll_until_settled(editor, submitted(editor, image_path))
    fal.faults.add("file", "bad_media")
    with pytest.raises(MediaRejected):
        editor.collect(ImageEditRequest(image=image_path, prompt="p"), result, tmp_path / "out")
    assert leftovers(tmp_path / "out") == []
