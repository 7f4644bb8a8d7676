"""Continuity between scenes (issue 18) on Veo, against the Google stub, on SQLite and PostgreSQL:
first/last-frame chaining passes the previous clip's exact last frame, and a 20 s clip is extended
to length with each paid call made once (through admission and the ledger), under faults too."""

from __future__ import annotations

import base64
import io
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from core.adapters.db.models.ads import AdAsset, AdScene
from core.adapters.db.models.jobs import CostRecord, Job, JobStep
from core.adapters.media.ffmpeg import FfmpegToolkit
from core.bootstrap import build_services
from core.domain.ads import AdStatus, AssetKind
from core.domain.types import MediaKind
from core.ports_services import Services
from core.services.ads import assets, continuity, generation, wizard
from core.services.ads import spend as ads_spend
from jobs import engine
from tests.fakes import ManualQueue
from tests.stubs import GoogleStub
from tests.stubs.media import png_bytes
from tests.ugc_support import scripted_ad, ugc_settings

VEO = "veo-3.0-generate-001"


def _services(tmp_path: Path, db: Any, google: GoogleStub | None, **overrides: Any) -> Services:
    values: dict[str, Any] = dict(
        gemini_api_key="test-key", google_base_url=google.url if google else "http://127.0.0.1:9",
        image_to_video_provider="google", google_veo_model=VEO, speech_provider="local",
        image_gen_provider="local", llm_provider="local", vision_provider="local", download_allow_http=True,
        download_allow_private_hosts=["127.0.0.1"], ugc_storyboard_similarity_min=0.0, ugc_recheck_s=60.0,
    )  # fmt: skip
    settings = ugc_settings(tmp_path / "data", **(values | overrides))
    queue = ManualQueue()
    services = build_services(settings, db=db, queue=queue)
    queue.handler = lambda job_id: engine.advance(job_id, services)
    return services


@pytest.fixture
def google() -> Iterator[GoogleStub]:
    with GoogleStub(completes_after_s=0.0) as stub:
        yield stub


def _decoded_frames(video: bytes, tmp: Path) -> list[bytes]:
    path = tmp / "clip.mp4"
    path.write_bytes(video)
    toolkit = FfmpegToolkit()
    raw = subprocess.run(
        toolkit.command("-i", str(path), "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"),
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    info = toolkit.probe(path)
    size = int(info.width or 0) * int(info.height or 0) * 3
    return [raw[i : i + size] for i in range(0, len(raw), size)]


def _pixels(encoded: str) -> bytes:
    return Image.open(io.BytesIO(base64.b64decode(encoded))).convert("RGB").tobytes()


def _veo_predictions(google: GoogleStub) -> list[Any]:
    return [p for p in google.predictions.values() if p.model == VEO]


def test_chained_scenes_start_on_the_previous_clips_exact_last_frame(
    tmp_path: Path, db: Any, google: GoogleStub
) -> None:
    services = _services(tmp_path, db, google, retry_base_s=0.0)
    user, ad_id = scripted_ad(services)
    assert continuity.chaining(services, ad_id, user_id=user).available
    google.faults.add("submit", "rate_limit", skip=1, retry_after_s=0.0)  # the chained scene 2 is refused once
    continuity.set_chaining(ad_id, True, user_id=user, services=services)
    generation.start_generation(ad_id, user_id=user, services=services)
    services.queue.drain()  # type: ignore[attr-defined]
    generation.approve_storyboard(ad_id, user_id=user, services=services)
    services.queue.drain()  # type: ignore[attr-defined]

    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    assert ad.status is AdStatus.COMPLETED, ad.error
    predictions = _veo_predictions(google)
    assert len(predictions) == len(ad.scenes) >= 2  # one paid clip per scene, no extension needed
    assert google.count("submit") == len(ad.scenes) + 1  # the refused submit created nothing
    with services.db.session() as session:
        scenes = session.scalars(select(AdScene).where(AdScene.ad_id == ad_id).order_by(AdScene.number)).all()
        frames = [session.get(AdAsset, s.approved_frame_id).media_key for s in scenes]  # type: ignore[union-attr]
        ends = session.scalars(select(AdAsset).where(AdAsset.ad_id == ad_id, AdAsset.kind == "endframe")).all()
    assert len(ends) == len(scenes)  # every clip's exact last frame is kept as an asset
    first = predictions[0].inputs["instances"][0]
    assert "lastFrame" not in first  # scene 1 starts on its own frame
    for number in range(1, len(predictions)):
        sent = predictions[number].inputs["instances"][0]
        previous_clip = google.files[predictions[number - 1].id][0]
        final = _decoded_frames(previous_clip, tmp_path)
        assert _pixels(sent["image"]["bytesBase64Encoded"]) == final[-1]  # pixel for pixel
        assert _pixels(sent["image"]["bytesBase64Encoded"]) != final[0]
        own = tmp_path / f"frame{number}.png"
        services.storage.download_to(frames[number], own)
        expected = Image.open(own).convert("RGB").tobytes()
        assert _pixels(sent["lastFrame"]["bytesBase64Encoded"]) == expected  # ends on its own storyboard frame
        assert len(sent["referenceImages"]) <= 3


def test_chaining_is_unavailable_where_the_model_takes_only_a_first_frame(tmp_path: Path, db: Any) -> None:
    from core.errors import ValidationError

    services = _services(tmp_path, db, None, image_to_video_provider="local")
    user, ad_id = scripted_ad(services)
    found = continuity.chaining(services, ad_id, user_id=user)
    assert not found.available and "offline animator" in found.reason
    with pytest.raises(ValidationError, match="not available"):
        continuity.set_chaining(ad_id, True, user_id=user, services=services)
    assert not wizard.get_ad(ad_id, user_id=user, services=services).options.get("chain_frames")


# --------------------------------------------------------------------------- extension


def _long_clip(services: Services, user: str, ad_id: str, seconds: float = 20.0) -> tuple[str, str]:
    """(asset id, job id) of a clip asset `seconds` long, made from a stored frame."""
    frame = services.settings.work_dir / "frame.png"
    frame.parent.mkdir(parents=True, exist_ok=True)
    frame.write_bytes(png_bytes(96, 160))
    key = services.storage.put_file(MediaKind.IMAGE, frame, name="tests/frame", content_type="image/png")
    with services.db.session() as session:
        scene = session.scalars(select(AdScene).where(AdScene.ad_id == ad_id).order_by(AdScene.number)).first()
        assert scene is not None
        inputs = {
            "frame_key": key, "prompt": "She smiles at the serum.", "camera": "slow push in", "duration_s": seconds,
            "width": 270, "height": 480, "redo": 0, "max_clip_s": 8.0, "extends": True,
        }  # fmt: skip
        asset, job_id = assets.create_asset(session, scene, AssetKind.CLIP, inputs, variant=0, owner_id=user)
        asset_id = asset.id
    services.queue.enqueue(job_id)
    return asset_id, job_id


def _paid_submits(google: GoogleStub) -> int:
    return google.created_count(VEO)


def _ledger(services: Services, job_id: str) -> list[tuple[str, str]]:
    with services.db.session() as session:
        rows = session.scalars(select(CostRecord).where(CostRecord.job_id == job_id)).all()
        return sorted((r.capability, r.status) for r in rows)


def test_a_20_s_clip_is_extended_to_length_each_call_paid_once(tmp_path: Path, db: Any, google: GoogleStub) -> None:
    google.video_time_scale = 1.0  # stand-ins as long as asked, so the lengths are real
    services = _services(tmp_path, db, google)
    user, ad_id = scripted_ad(services)
    asset_id, job_id = _long_clip(services, user, ad_id)
    services.queue.drain()  # type: ignore[attr-defined]

    with services.db.session() as session:
        asset = session.get(AdAsset, asset_id)
        assert asset is not None and asset.status == "ready", asset.error if asset else None
        steps = {s.name: s for s in session.scalars(select(JobStep).where(JobStep.job_id == job_id))}
        duration = asset.duration_s
    assert duration is not None and duration >= 20.0 - 0.25
    # 8 s, then two Veo extensions of about 7 s: three paid calls, each once, each its own step
    assert _paid_submits(google) == 3
    extensions = [p.inputs["instances"][0] for p in _veo_predictions(google)[1:]]
    assert all("video" in e and "image" not in e for e in extensions)  # Veo extends the video it made
    assert [n for n in ("extend_1", "extend_2", "extend_3") if steps[n].provider_request_id] == ["extend_1", "extend_2"]
    assert not (steps["extend_3"].output or {}).get("media_key")
    assert _ledger(services, job_id) == [("image_to_video", "charged")] * 3
    with services.db.session() as session:
        charged = sum(r.amount_usd for r in session.scalars(select(CostRecord).where(CostRecord.job_id == job_id)))
    price = services.settings.prices.google_veo_per_second
    assert charged == pytest.approx(price * (8 + 7 + 7))  # each extension charged for the seconds it added
    # the estimate a generation is admitted with prices the clip's whole length, per second
    work = [ads_spend.AssetWork(AssetKind.CLIP, 1, 20.0)]
    estimate = ads_spend.estimate_work(work, ads_spend.unit_prices(services, user), finish=False)
    assert estimate.cost_usd >= price * 20.0


@pytest.mark.parametrize("fault", ["rate_limit", "server_error"])
def test_a_refused_extension_is_retried_without_paying_twice(
    tmp_path: Path, db: Any, google: GoogleStub, fault: str
) -> None:
    google.video_time_scale = 1.0
    services = _services(tmp_path, db, google, retry_base_s=0.0)
    user, ad_id = scripted_ad(services)
    google.faults.add("submit", fault, skip=1, retry_after_s=0.0)  # the first extension is refused once
    asset_id, job_id = _long_clip(services, user, ad_id)
    services.queue.drain()  # type: ignore[attr-defined]

    with services.db.session() as session:
        asset = session.get(AdAsset, asset_id)
        assert asset is not None and asset.status == "ready", asset.error if asset else None
    assert google.count("submit") == 4  # three accepted submits plus the refused one
    assert _paid_submits(google) == 3  # nothing was created by the refusal
    assert _ledger(services, job_id) == [("image_to_video", "charged")] * 3


def test_a_lost_extension_answer_is_not_resent(tmp_path: Path, db: Any, google: GoogleStub) -> None:
    google.video_time_scale = 1.0
    services = _services(tmp_path, db, google)
    user, ad_id = scripted_ad(services)
    google.faults.add("submit", "lost", skip=1)  # Veo starts the extension; its answer is dropped
    asset_id, job_id = _long_clip(services, user, ad_id)
    services.queue.drain()  # type: ignore[attr-defined]

    with services.db.session() as session:
        asset = session.get(AdAsset, asset_id)
        job = session.get(Job, job_id)
        assert asset is not None and job is not None
        status, error = asset.status, dict(asset.error or {})
    assert status == "failed" and error.get("code") == "provider_may_have_started", error
    assert _paid_submits(google) == 2  # the render and the lost extension; never a silent resend
    assert _ledger(services, job_id) == [("image_to_video", "charged"), ("image_to_video", "possibly_charged")]
