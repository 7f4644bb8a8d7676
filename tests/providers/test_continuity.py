"""Continuity between scenes (issue 18) on Veo, against the Google stub, on SQLite and PostgreSQL:
first/last-frame chaining passes the previous clip's exact last frame, and a 20 s clip is extended
to length with each paid call made once (through admission and the ledger), under faults too."""

from __future__ import annotations

import base64
import io
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from core.adapters.db.models.ads import Ad, AdAsset, AdAvatar, AdProductImage, AdScene
from core.adapters.db.models.jobs import CostRecord, Job, JobStep
from core.adapters.media.ffmpeg import FfmpegToolkit
from core.bootstrap import build_services
from core.domain.ads import AdStatus, AssetKind
from core.domain.types import MediaKind
from core.errors import ValidationError
from core.ports_services import Services
from core.services.ads import assets, continuity, generation, product, scenes, script, wizard
from core.services.ads import spend as ads_spend
from jobs import engine
from tests.fakes import ManualQueue
from tests.stubs import GoogleStub
from tests.stubs.media import png_bytes
from tests.ugc_support import product_png, scripted_ad, ugc_settings

VEO = "veo-3.1-generate-preview"


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
    # the estimate prices each paid call as Veo charges it: 8 s, then 7 s per extension
    found = continuity.animator_continuity(services, user)
    work = ads_spend.AssetWork(AssetKind.CLIP, 1, 20.0, steps=continuity.clip_steps(20.0, found, 3))
    assert work.steps == (8.0, 7.0, 7.0)
    assert ads_spend.work_cost("image_to_video", work, ads_spend.unit_prices(services, user)) == pytest.approx(charged)


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


# --------------------------------------------------------------------------- a long scene of an ad


def _scene_ids(services: Services, ad_id: str) -> list[str]:
    with services.db.session() as session:
        return list(session.scalars(select(AdScene.id).where(AdScene.ad_id == ad_id).order_by(AdScene.number)).all())


def _clip_of(services: Services, scene_id: str) -> AdAsset:
    with services.db.session() as session:
        clip = session.scalars(
            select(AdAsset).where(AdAsset.scene_id == scene_id, AdAsset.kind == "clip").order_by(AdAsset.created_at)
        ).all()[-1]
        session.expunge(clip)
        return clip


def _steps_of(services: Services, job_id: str) -> dict[str, JobStep]:
    with services.db.session() as session:
        steps = session.scalars(select(JobStep).where(JobStep.job_id == job_id)).all()
        for step in steps:
            session.expunge(step)
        return {s.name: s for s in steps}


def test_a_20_s_scene_of_an_ad_is_one_generation_and_its_extensions(
    tmp_path: Path, db: Any, google: GoogleStub
) -> None:
    google.video_time_scale = 1.0  # stand-ins as long as asked, so the lengths are real
    services = _services(tmp_path, db, google, ugc_cross_scene_std_max=1.0, daily_cost_ceiling_usd=0.0)
    user, ad_id = scripted_ad(services)
    scene_ids = _scene_ids(services, ad_id)
    assert script.longest_scene(services, user) == 28.0  # 8 s and three 7 s extensions, less the handle
    scenes.edit_scene(scene_ids[1], {"duration_seconds": 20.0}, user_id=user, services=services)
    with pytest.raises(ValidationError, match="scenes last 2-28 s"):
        scenes.edit_scene(scene_ids[0], {"duration_seconds": 31.0}, user_id=user, services=services)

    estimate, extended = ads_spend.estimate_ad_steps(ad_id, user_id=user, services=services)
    price = services.settings.prices.google_veo_per_second
    (long_clip,) = extended  # shown before Generate: each extension a paid call, priced as Veo charges it
    assert (long_clip.scene, long_clip.seconds, long_clip.steps) == (2, 20.8, (8.0, 7.0, 7.0))
    assert long_clip.cost_usd == pytest.approx(price * 22)
    generation.start_generation(ad_id, user_id=user, services=services)
    services.queue.drain()  # type: ignore[attr-defined]
    generation.approve_storyboard(ad_id, user_id=user, services=services)
    services.queue.drain()  # type: ignore[attr-defined]

    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    assert ad.status is AdStatus.COMPLETED, ad.error
    found = continuity.pinned(ad.options)
    expected = [continuity.clip_steps(s.script.duration_s + assets.CLIP_HANDLE_S, found, 3) for s in ad.scenes]
    assert expected[1] == (8.0, 7.0, 7.0)
    assert _paid_submits(google) == sum(len(s) for s in expected)  # each call once, nothing repeated
    clip = _clip_of(services, scene_ids[1])
    assert clip.duration_s is not None and clip.duration_s >= 20.8 - continuity.LENGTH_TOLERANCE_S
    steps = _steps_of(services, clip.job_id or "")
    assert [n for n in ("render", "extend_1", "extend_2", "extend_3") if steps[n].provider_request_id] == [
        "render", "extend_1", "extend_2"
    ]  # fmt: skip
    assert _ledger(services, clip.job_id or "") == [("image_to_video", "charged")] * 3
    with services.db.session() as session:
        charged = sum(r.amount_usd for r in session.scalars(select(CostRecord).where(CostRecord.job_id == clip.job_id)))
    assert charged == pytest.approx(long_clip.cost_usd, rel=0.02)  # the estimate is what Veo charged
    assert ad.outputs and (ad.outputs[0].duration_s or 0) >= 20.0  # the long take holds its 20 s in the ad
    assert estimate.cost_usd >= long_clip.cost_usd


def _one_long_scene(services: Services, user: str, ad_id: str, seconds: float) -> None:
    """The creator's own script (the writer's JSON, pasted): one scene that asks to run `seconds`."""
    line = {"scene_type": "demo", "duration_seconds": seconds, "dialogue": "Watch how fast this serum sinks in.",
            "action": "smooths the serum over her cheek", "product_visibility": "primary"}  # fmt: skip
    text = json.dumps({"title": "One take", "scenes": [line]})
    script.save_typed_script(ad_id, text, user_id=user, services=services)


def test_a_lost_extension_answer_in_an_ad_is_asked_about_never_resent(
    tmp_path: Path, db: Any, google: GoogleStub
) -> None:
    google.video_time_scale = 1.0
    services = _services(tmp_path, db, google, ugc_cross_scene_std_max=1.0, daily_cost_ceiling_usd=0.0)
    user, ad_id = scripted_ad(services)
    _one_long_scene(services, user, ad_id, 20.0)
    generation.start_generation(ad_id, user_id=user, services=services)
    services.queue.drain()  # type: ignore[attr-defined]
    google.faults.add("submit", "lost", skip=1)  # the render goes through; the first extension's answer is lost
    generation.approve_storyboard(ad_id, user_id=user, services=services)
    services.queue.drain()  # type: ignore[attr-defined]

    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    assert ad.status is AdStatus.NEEDS_ATTENTION
    assert _paid_submits(google) == 2  # the render and the lost extension; never a silent resend
    (scene,) = ad.scenes
    assert scene.may_have_been_charged(AssetKind.CLIP)
    with pytest.raises(ValidationError, match="may charge again"):
        generation.retry_scene(scene.id, AssetKind.CLIP, user_id=user, services=services)
    assert _paid_submits(google) == 2
    generation.retry_scene(scene.id, AssetKind.CLIP, user_id=user, services=services, charge_again=True)
    services.queue.drain()  # type: ignore[attr-defined]

    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    assert ad.status is AdStatus.COMPLETED, ad.error
    assert _paid_submits(google) == 2 + 3  # the consented new attempt: a generation and two extensions
    clip = _clip_of(services, scene.id)
    assert clip.attempt == 2 and (clip.duration_s or 0) >= 20.8 - continuity.LENGTH_TOLERANCE_S
    assert (ad.outputs[0].duration_s or 0) >= 19.5


# --------------------------------------------------------------------------- storyboard references


def _stored_png(services: Services, name: str, image: Image.Image) -> tuple[str, bytes]:
    path = services.settings.work_dir / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    key = services.storage.put_file(MediaKind.IMAGE, path, name=f"tests/{name}", content_type="image/png")
    return key, path.read_bytes()


def _inline_images(body: dict[str, Any]) -> tuple[list[bytes], str]:
    parts = [p for c in body.get("contents", []) for p in (c.get("parts") or [])]
    images = []
    for part in parts:
        inline = part.get("inlineData") or part.get("inline_data")
        if inline:
            data = str(inline["data"])
            images.append(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)) if "-" in data or "_" in data
                          else base64.b64decode(data))  # fmt: skip
    return images, " ".join(str(p["text"]) for p in parts if "text" in p)


def test_storyboard_frames_get_references_up_to_the_models_limit_most_relevant_first(
    tmp_path: Path, db: Any, google: GoogleStub
) -> None:
    image_model = "gemini-2.5-flash-image"
    services = _services(
        tmp_path, db, google, image_gen_provider="google", google_imagen_model=image_model,
        google_image_max_references=4,
    )  # fmt: skip
    user, ad_id = scripted_ad(services)
    product.add_product_images(ad_id, [product_png(colour=(90, 90, 240)), product_png(colour=(20, 160, 90))],
                               user_id=user, services=services)  # fmt: skip
    with services.db.session() as session:
        avatar_id = session.get(Ad, ad_id).avatar_id  # type: ignore[union-attr]
        portrait_key = session.get(AdAvatar, avatar_id).reference_keys[0]  # type: ignore[union-attr]
    services.storage.download_to(portrait_key, tmp_path / "portrait")
    portrait = Image.open(tmp_path / "portrait").convert("RGB")
    front, front_bytes = _stored_png(services, "front", portrait)
    angled, angled_bytes = _stored_png(services, "three-quarter", portrait.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    low, low_bytes = _stored_png(services, "low-angle", portrait.rotate(4))
    with services.db.session() as session:
        session.get(AdAvatar, avatar_id).reference_keys = [front, angled, low]  # type: ignore[union-attr]
        photo_keys = list(
            session.scalars(
                select(AdProductImage.image_key).where(AdProductImage.ad_id == ad_id).order_by(AdProductImage.position)
            )
        )
    photos = []
    for index, key in enumerate(photo_keys):
        services.storage.download_to(key, tmp_path / f"photo{index}.png")
        photos.append((tmp_path / f"photo{index}.png").read_bytes())
    assert len(photos) == 3

    generation.start_generation(ad_id, user_id=user, services=services)
    services.queue.drain()  # type: ignore[attr-defined]
    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    assert ad.status is AdStatus.REVIEW, ad.error
    requests = [p.inputs for p in google.predictions.values() if p.model == image_model]
    assert len(requests) == len(ad.scenes) * services.settings.ugc_storyboard_variants
    angles = {"low_angle": low_bytes, "high_angle": low_bytes}
    for body in requests:
        images, text = _inline_images(body)
        scene = next(s for s in ad.scenes if s.prompts and text.startswith(s.prompts.storyboard_prompt))
        matching = angles.get(scene.script.camera.angle, angled_bytes)
        # the front portrait, the hero product photo, the angle for the scene's camera, the next photo
        assert images == [front_bytes, photos[0], matching, photos[1]]
