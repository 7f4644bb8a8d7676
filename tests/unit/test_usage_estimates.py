"""Usage metrics and pre-Generate estimates, against real databases and fake providers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.adapters.db.database import Database
from core.adapters.db.models.base import utcnow
from core.adapters.db.models.jobs import CostRecord, JobStep
from core.adapters.db.models.talking import Actor
from core.config import Prices, Settings
from core.ports_services import ProviderChoice, Providers, Services
from core.services.accounts.identity import ensure_user
from core.services.talking.projects import create_project
from core.services.talking.videos import VideoRequest, create_video
from core.services.usage import estimates, metrics
from core.services.usage.estimates import PRICE_TABLE, estimate_video, unit_price
from tests.conftest import make_services
from tests.fakes import FakeProvider, fake_providers, refused, transient


def _actor(services: Services) -> str:
    with services.db.session() as session:
        actor = Actor(
            key="ava",
            display_name="Ava",
            image_key="images/catalog/ava.png",
            voice_id="en-us+f3",
            age_range="25-34",
            gender="female",
            tags=["general"],
        )
        session.add(actor)
        session.flush()
        (services.settings.media_dir / "images" / "catalog").mkdir(parents=True, exist_ok=True)
        (services.settings.media_dir / "images" / "catalog" / "ava.png").write_bytes(b"\x89PNG fake")
        return actor.id


def _make_video(services: Services, owner: str, actor_id: str, **request: object) -> str:
    project = create_project("P", owner_id=owner, services=services)
    video_id = create_video(
        VideoRequest(project.id, actor_id, script="Hello there friends.", **request),  # type: ignore[arg-type]
        user_id=owner,
        services=services,
    )
    services.queue.drain()
    return video_id


def _set_step_seconds(services: Services, name: str, seconds: float) -> None:
    with services.db.session() as session:
        for step in session.scalars(select(JobStep).where(JobStep.name == name)):
            step.finished_at = step.started_at + timedelta(seconds=seconds)


# --------------------------------------------------------------------------- usage


def test_counts_failure_rate_and_cost_are_per_user(settings: Settings, db: Database) -> None:
    ok = make_services(settings, db)
    owner, stranger = ensure_user(db, "owner@example.com"), ensure_user(db, "other@example.com")
    actor_id = _actor(ok)
    _make_video(ok, owner, actor_id)
    _make_video(ok, stranger, actor_id)
    failing = make_services(
        settings, db, providers=fake_providers(lipsync=FakeProvider("video", fail_message="no face"))
    )
    _make_video(failing, owner, actor_id)

    counts = metrics.job_counts(user_id=owner, services=ok)
    assert (counts.started, counts.completed, counts.failed, counts.active) == (2, 1, 1, 0)
    assert counts.failure_rate == pytest.approx(0.5)

    per_day = metrics.cost_per_day(user_id=owner, services=ok)
    # fake price 0.5 per call: tts + lipsync of the good video, tts of the failed one
    assert per_day["cost_usd"].sum() == pytest.approx(1.5)
    assert list(per_day["day"]) == [utcnow().date()]
    assert metrics.total_cost(user_id=owner, services=ok) == pytest.approx(1.5)

    jobs = metrics.jobs_per_day(user_id=owner, services=ok)
    assert dict(zip(jobs["status"], jobs["jobs"], strict=True)) == {"completed": 1, "failed": 1}


def test_nothing_yet_gives_empty_frames(services: Services, owner: str) -> None:
    assert metrics.job_counts(user_id=owner, services=services).failure_rate == 0.0
    for frame in (
        metrics.step_durations(user_id=owner, services=services),
        metrics.provider_errors(user_id=owner, services=services),
        metrics.cost_per_day(user_id=owner, services=services),
        metrics.jobs_per_day(user_id=owner, services=services),
    ):
        assert frame.empty
    assert metrics.average_step_seconds(user_id=owner, services=services) == {}


def test_average_seconds_per_provider_step(services: Services, owner: str) -> None:
    actor_id = _actor(services)
    _make_video(services, owner, actor_id, image_prompt="on a beach")
    _make_video(services, owner, actor_id)  # image edit skipped: must not pull the average down
    _set_step_seconds(services, "tts", 4.0)
    _set_step_seconds(services, "lip_sync", 30.0)
    _set_step_seconds(services, "image_edit", 10.0)

    frame = metrics.step_durations(user_id=owner, services=services)
    assert list(frame["step"]) == ["image_edit", "tts", "lip_sync"]
    assert list(frame["label"]) == ["Image edit", "Speech", "Lip-sync"]
    assert list(frame["runs"]) == [1, 2, 2]
    assert metrics.average_step_seconds(user_id=owner, services=services) == pytest.approx(
        {"image_edit": 10.0, "tts": 4.0, "lip_sync": 30.0}
    )


def test_provider_errors_count_retries_and_failures(settings: Settings, db: Database) -> None:
    providers = fake_providers(
        lipsync=FakeProvider("video", poll_faults=[transient()]),
        image_edit=FakeProvider("image", faults=[refused()]),
    )
    services = make_services(settings, db, providers=providers)
    owner = ensure_user(db, "owner@example.com")
    actor_id = _actor(services)
    _make_video(services, owner, actor_id)  # a failed poll of lip sync is polled again: no retry attempt
    _make_video(services, owner, actor_id, image_prompt="in a car")  # image edit refused at submit

    frame = metrics.provider_errors(user_id=owner, services=services)
    rows = {(r.provider, r.step, r.error_code): (r.retries, r.failures) for r in frame.itertuples()}
    assert rows == {("not reached", "image_edit", "provider_failed"): (0, 1)}


# --------------------------------------------------------------------------- estimates


@pytest.mark.parametrize("row", PRICE_TABLE, ids=lambda r: f"{r.capability}-{r.vendor}-{r.model_contains or 'any'}")
def test_every_price_row_reads_its_field(row: estimates.PriceRow) -> None:
    prices = Prices(**{row.field: 1.2345})
    price = unit_price(row.capability, row.vendor, prices, model=f"vendor/{row.model_contains or 'model'}")
    assert price is not None and price.field == row.field and price.usd == 1.2345 and price.unit == row.unit


def test_explicit_mapping_examples() -> None:
    prices = Prices()
    assert unit_price("lipsync", "wavespeed", prices).field == "wavespeed_infinitetalk_per_second"  # type: ignore[union-attr]
    assert unit_price("image_gen", "fal", prices, model="fal-ai/flux/schnell").usd == prices.fal_flux_schnell_per_image  # type: ignore[union-attr]
    assert unit_price("image_gen", "fal", prices, model="fal-ai/flux/dev").usd == prices.fal_flux_dev_per_image  # type: ignore[union-attr]
    assert unit_price("speech", "local", prices).usd == 0.0  # type: ignore[union-attr]
    assert unit_price("speech", "acme", prices) is None


def test_every_cloud_vendor_the_registry_offers_has_a_price() -> None:
    from core.vendor_choice import CLOUD_VENDORS

    missing = [
        (cap, v) for cap, vendors in CLOUD_VENDORS.items() for v in vendors if unit_price(cap, v, Prices()) is None
    ]
    assert missing == []


def _with_vendors(services: Services, vendor_models: dict[str, tuple[str, str]]) -> Services:
    choices = dict(services.providers.choices)
    for cap, (vendor, model) in vendor_models.items():
        choices[cap] = ProviderChoice(cap, choices[cap].provider, vendor, model, key_present=True)
    services.providers = Providers(choices=choices)
    return services


def test_cloud_estimate_adds_each_step_at_its_unit(services: Services) -> None:
    _with_vendors(
        services,
        {
            "image_edit": ("fal", "fal-ai/nano-banana/edit"),
            "speech": ("fal", "tts"),
            "lipsync": ("fal", "fal-ai/infinitalk"),
        },
    )
    p = services.settings.prices
    full = estimate_video(20, with_image_edit=True, services=services)
    assert full.cost_usd == pytest.approx(
        p.fal_nano_banana_edit_per_image + 20 * p.fal_tts_per_second + 20 * p.fal_infinitalk_per_second, abs=1e-4
    )
    own_audio = estimate_video(20, with_image_edit=False, with_speech=False, services=services)
    assert own_audio.cost_usd == pytest.approx(20 * p.fal_infinitalk_per_second, abs=1e-4)
    assert full.unpriced == own_audio.unpriced == ()


def test_local_providers_cost_nothing_and_unknown_ones_are_named(services: Services) -> None:
    _with_vendors(services, {"image_edit": ("local", "x"), "speech": ("local", "x"), "lipsync": ("local", "x")})
    assert estimate_video(45, with_image_edit=True, services=services).cost_usd == 0.0
    _with_vendors(services, {"lipsync": ("acme", "x")})
    assert estimate_video(45, with_image_edit=True, services=services).unpriced == ("lipsync",)


def test_time_uses_defaults_then_the_users_history(services: Services, owner: str) -> None:
    before = estimate_video(10, with_image_edit=False, services=services, user_id=owner)
    expected = sum(
        fixed + per_s * 10 for step, (fixed, per_s) in estimates.DEFAULT_STEP_SECONDS.items() if step != "image_edit"
    )
    assert before.seconds == pytest.approx(expected, abs=0.1) and not before.from_history
    assert estimate_video(10, with_image_edit=True, services=services).seconds > before.seconds

    _make_video(services, owner, _actor(services))
    _set_step_seconds(services, "tts", 5.0)
    _set_step_seconds(services, "lip_sync", 50.0)
    after = estimate_video(10, with_image_edit=False, services=services, user_id=owner)
    init, finalize = estimates.DEFAULT_STEP_SECONDS["init"][0], estimates.DEFAULT_STEP_SECONDS["finalize"][0]
    assert after.from_history and after.seconds == pytest.approx(init + 5.0 + 50.0 + finalize, abs=0.1)


def test_possibly_charged_calls_are_listed_apart_and_left_out_of_the_spent_total(
    services: Services, owner: str
) -> None:
    stranger = ensure_user(services.db, "stranger@example.com")
    with services.db.session() as session:
        session.add(CostRecord(owner_id=owner, provider="fal", capability="lipsync", amount_usd=0.4))
        session.add(
            CostRecord(
                owner_id=owner, provider="wavespeed", capability="lipsync", amount_usd=0.0, status="possibly_charged"
            )
        )
        session.add(
            CostRecord(owner_id=stranger, provider="fal", capability="tts", amount_usd=0.0, status="possibly_charged")
        )

    assert metrics.total_cost(user_id=owner, services=services) == pytest.approx(0.4)
    uncertain = metrics.possibly_charged_calls(user_id=owner, services=services)
    assert list(uncertain.columns) == ["when", "provider", "capability", "work", "job_id"]
    assert list(uncertain["provider"]) == ["wavespeed"]  # the stranger's call is not the owner's to see
    assert metrics.possibly_charged_calls(user_id=stranger, services=services)["capability"].tolist() == ["tts"]
