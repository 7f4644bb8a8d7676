"""Ads obey the same money rules as talking videos: quota, per-user and team ceilings, an estimate
held until the job ends, and the per-call backstop for the wizard's inline model calls."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.adapters.db.database import Database
from core.adapters.db.models.accounts import AuditEvent, SpendHold
from core.adapters.db.models.ads import AdAsset
from core.adapters.db.models.jobs import CostRecord, Job
from core.domain.ads import AssetKind
from core.errors import QuotaExceeded
from core.ports_services import Services
from core.services.ads import generation, product, studio, wizard
from core.services.ads import spend as ads_spend
from core.services.usage import spend
from core.services.usage.spend import CostCeilingReached
from tests.ugc_support import new_ad, product_png, scripted_ad, ugc_services, ugc_settings


@pytest.fixture
def services(tmp_path: Path, db: Database) -> Services:
    settings = ugc_settings(tmp_path / "data")
    settings.prices.local_per_unit = 0.05  # the offline adapters priced like a cloud, for the estimate
    return ugc_services(settings, db)


def _spent_today(services: Services, user: str, usd: float) -> None:
    with services.db.session() as session:
        session.add(CostRecord(owner_id=user, provider="fal", capability="image_gen", amount_usd=usd))


def _count(services: Services, model: type) -> int:
    with services.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_estimate_is_shown_before_generate_and_held_by_the_job(services: Services) -> None:
    user, ad_id = scripted_ad(services)
    estimate = ads_spend.estimate_ad(ad_id, user_id=user, services=services)
    scenes = len(wizard.get_ad(ad_id, user_id=user, services=services).scenes)
    # per scene: 2 frames + their 2 scores, 1 clip (its seconds) + its score, 1 voice line (its seconds)
    assert estimate.cost_usd > scenes * 5 * 0.05 and estimate.seconds > 0 and not estimate.unpriced
    job_id = generation.start_generation(ad_id, user_id=user, services=services)
    with services.db.session() as session:
        hold = session.scalar(select(SpendHold).where(SpendHold.job_id == job_id))
    assert hold is not None and hold.reserved_usd == pytest.approx(estimate.cost_usd)


def test_a_generation_past_the_ceiling_is_refused_with_the_reset_time(services: Services) -> None:
    user, ad_id = scripted_ad(services)
    estimate = ads_spend.estimate_ad(ad_id, user_id=user, services=services).cost_usd
    services.settings.daily_cost_ceiling_usd = estimate / 2
    with pytest.raises(CostCeilingReached, match="resets at midnight UTC"):
        generation.start_generation(ad_id, user_id=user, services=services)
    assert _count(services, Job) == 0 and _count(services, SpendHold) == 0
    with services.db.session() as session:
        assert session.scalar(select(AuditEvent.action).where(AuditEvent.actor_id == user)) == "refused.ceiling"


def test_the_team_ceiling_counts_every_members_ads(services: Services) -> None:
    user, ad_id = scripted_ad(services)
    estimate = ads_spend.estimate_ad(ad_id, user_id=user, services=services).cost_usd
    services.settings.team_daily_cost_ceiling_usd = estimate * 0.9
    with pytest.raises(CostCeilingReached, match="team"):
        generation.start_generation(ad_id, user_id=user, services=services)


def test_the_daily_quota_counts_ads(services: Services) -> None:
    services.settings.daily_generation_quota = 1
    user, first = scripted_ad(services)
    generation.start_generation(first, user_id=user, services=services)
    generation.cancel_generation(first, user_id=user, services=services)
    _, second = scripted_ad(services)  # the same user, another ad
    with pytest.raises(QuotaExceeded, match="resets at midnight UTC"):
        generation.start_generation(second, user_id=user, services=services)


def test_new_scene_attempts_past_the_ceiling_create_nothing(services: Services) -> None:
    user, ad_id = scripted_ad(services)
    services.settings.daily_cost_ceiling_usd = 1.0
    _spent_today(services, user, 0.99)
    outcomes = studio.generate_all(ad_id, AssetKind.FRAME, user_id=user, services=services)
    assert outcomes and all(o.state == "skipped" and "daily limit" in o.message for o in outcomes)
    assert _count(services, AdAsset) == 0 and _count(services, Job) == 0
    services.settings.daily_cost_ceiling_usd = 25.0
    studio.generate_all(ad_id, AssetKind.FRAME, user_id=user, services=services)
    with services.db.session() as session:
        holds = session.scalars(select(SpendHold)).all()
    assert len(holds) == _count(services, AdAsset) > 0 and all(h.reserved_usd > 0 for h in holds)


def test_inline_model_calls_stop_at_the_ceiling_before_any_call(services: Services) -> None:
    user, ad_id = new_ad(services)
    product.add_product_images(ad_id, [product_png()], user_id=user, services=services)
    services.settings.daily_cost_ceiling_usd = 1.0
    _spent_today(services, user, 1.0)
    with pytest.raises(CostCeilingReached, match="resets at midnight UTC"):
        product.extract_product_dna(ad_id, user_id=user, services=services)
    assert services.providers.get("vision").submits == 0  # type: ignore[attr-defined]


def test_asset_jobs_spend_from_the_generations_hold(services: Services) -> None:
    user, ad_id = scripted_ad(services)
    ad_job = generation.start_generation(ad_id, user_id=user, services=services)
    with services.db.session() as session:
        child = Job(owner_id=user, kind="ugc_asset", subject_id="x", payload={"asset_id": "x", "spend_job": ad_job})
        session.add(child)
        session.flush()
        spend.settle(session, child.id, 0.30)
    with services.db.session() as session:
        assert session.scalar(select(SpendHold.spent_usd).where(SpendHold.job_id == ad_job)) == pytest.approx(0.30)
