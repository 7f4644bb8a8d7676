"""A whole ad on cloud providers, chosen by settings alone, against the stubs: Gemini for the
DNA, brief, script and identity scores, fal FLUX for the storyboard, Veo for the clips, Gemini
TTS for the voice. Every wizard step runs through its service with no hand step in between,
and each asset is submitted (paid) exactly once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.adapters.db.models.jobs import JobStep
from core.bootstrap import build_services
from core.domain.ads import AdStatus, BriefInput, Platform
from core.ports_services import Services
from core.services.accounts.identity import ensure_user
from core.services.ads import avatar, generation, product, script, wizard
from core.services.talking.projects import create_project
from jobs import engine
from jobs.pipelines.ad_clip import EXTEND_STEPS
from seeds.loader import seed_actors
from tests.fakes import ManualQueue
from tests.stubs import FalStub, GoogleStub
from tests.ugc_support import actor_id, product_png, ugc_settings

TTS = "gemini-2.5-flash-preview-tts"
VEO = "veo-3.1-generate-preview"


@pytest.fixture
def cloud(tmp_path: Path, sqlite_db) -> Iterator[tuple[Services, FalStub, GoogleStub]]:  # type: ignore[no-untyped-def]
    with FalStub(completes_after_s=0.0) as fal, GoogleStub(completes_after_s=0.0) as google:
        settings = ugc_settings(
            tmp_path / "data",
            fal_key="test-key", fal_queue_url=fal.url, fal_rest_url=fal.url, fal_cdn_url=fal.url,
            gemini_api_key="test-key", google_base_url=google.url,
            speech_provider="google", image_gen_provider="fal", image_to_video_provider="google",
            fal_image_gen_model="fal-ai/flux/schnell", google_tts_model=TTS, google_veo_model=VEO,
            ugc_storyboard_similarity_min=0.5,
            download_allow_http=True, download_allow_private_hosts=["127.0.0.1"],
            ugc_recheck_s=60.0,  # the hand-driven queue runs the shortest delay first: the assets' polls go first
        )  # fmt: skip
        queue = ManualQueue()
        services = build_services(settings, db=sqlite_db, queue=queue)
        queue.handler = lambda job_id: engine.advance(job_id, services)
        seed_actors(services, with_previews=False)
        yield services, fal, google


def _generate_calls(google: GoogleStub, model: str) -> int:
    return sum(1 for label, r in google.requests if label == "generate" and f"/{model}:" in r.path)


def test_an_ad_made_end_to_end_on_cloud_providers(cloud) -> None:  # type: ignore[no-untyped-def]
    services, fal, google = cloud
    vendors = {cap: c.vendor for cap, c in services.providers.choices.items()}
    wanted = {"llm": "google", "vision": "google", "image_gen": "fal", "image_to_video": "google", "speech": "google"}
    assert {cap: vendors.get(cap) for cap in wanted} == wanted
    started = time.perf_counter()
    user = ensure_user(services.db, "cloud@example.com")
    project = create_project("Cloud ad", owner_id=user, services=services)
    ad_id = wizard.open_wizard(project.id, user_id=user, services=services)
    product.save_product_info(ad_id, name="Glow Serum", brand="Lumi", user_id=user, services=services)
    product.add_product_images(ad_id, [product_png()], user_id=user, services=services)
    product.extract_product_dna(ad_id, user_id=user, services=services)
    avatar.choose_catalog_actor(ad_id, actor_id(services), user_id=user, services=services)
    brief = BriefInput(Platform.TIKTOK, "testimonial", "warm", 15, "A vitamin C serum for busy mornings")
    script.save_brief(ad_id, brief, user_id=user, services=services)
    script.generate_script(ad_id, user_id=user, services=services)
    generation.start_generation(ad_id, user_id=user, services=services)
    services.queue.drain()  # type: ignore[attr-defined]
    assert wizard.get_ad(ad_id, user_id=user, services=services).status is AdStatus.REVIEW
    generation.approve_storyboard(ad_id, user_id=user, services=services)
    services.queue.drain()  # type: ignore[attr-defined]
    elapsed = time.perf_counter() - started

    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    assert ad.status is AdStatus.COMPLETED, ad.error
    scenes, variants = len(ad.scenes), services.settings.ugc_storyboard_variants
    assert ad.outputs and ad.outputs[0].duration_s and ad.outputs[0].qc is not None
    identity = next(f for f in ad.outputs[0].qc.findings if f.check == "identity")
    assert identity.checked  # Gemini scored the clip frames (the schema made its answer parse)
    # one paid submit per asset: frames on fal, clips on Veo, voice lines on Gemini TTS
    assert fal.created_count("fal-ai/flux/schnell") == scenes * variants
    with services.db.session() as session:  # a render per scene, then an extension while its clip is short
        clip_calls = session.scalar(
            select(func.count(func.distinct(JobStep.provider_request_id))).where(  # an attempt re-polling keeps its id
                JobStep.name.in_(("render", *EXTEND_STEPS)), JobStep.provider == f"google:{VEO}"
            )
        )
    assert google.created_count(VEO) == clip_calls >= scenes  # one paid submit per clip step
    assert _generate_calls(google, TTS) == sum(1 for s in ad.scenes if s.script.dialogue)
    assert scenes >= 2
    paid = fal.created_count() + google.created_count()
    text = _generate_calls(google, "gemini-2.5-flash")  # DNA x2, brief, script, frame and QC identity scores
    assert paid == fal.created_count() + google.created_count(VEO) + _generate_calls(google, TTS) + text
    print(
        f"\ncloud ad: {scenes} scenes, {paid} paid calls ({fal.created_count()} fal, {google.created_count(VEO)} Veo, "
        f"{_generate_calls(google, TTS)} TTS, {text} Gemini text/vision), {elapsed:.1f} s against the stubs"
    )
