"""Spend guardrails: ceilings per user and per team under concurrency, estimates equal to the ledger,
nothing paid once a ceiling is reached; the content guard refuses before any provider call."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from core.adapters.db.database import Database
from core.adapters.db.models.accounts import AuditEvent, SpendHold
from core.adapters.db.models.jobs import CostRecord, Job
from core.adapters.db.models.talking import VideoAsset
from core.config import Settings
from core.errors import ContentBlocked, QuotaExceeded
from core.ports_services import Services
from core.services.accounts import team
from core.services.accounts.identity import ensure_user
from core.services.safety.content_guard import find_blocked
from core.services.talking import gallery, projects, variants, videos
from core.services.talking.videos import VideoRequest
from core.services.usage import estimates, spend
from core.services.usage.spend import CostCeilingReached
from tests.conftest import make_services
from tests.fakes import FakeProvider, add_actor, fake_providers

TEN_WORDS = "one two three four five six seven eight nine ten"  # 4.0 s at 150 words a minute


@dataclass
class PricedFake(FakeProvider):
    """A fake that bills like the cloud adapters: per second of output, or per image."""

    per_unit: float = 0.0
    per_second: bool = True

    def cost_usd(self, request: Any, output: Any) -> float:
        return round(self.per_unit * (output.duration_s if self.per_second else 1.0), 6)


def priced_services(settings: Settings, db: Database, *, seconds: float = 4.0) -> Services:
    """Fakes standing in for fal (speech, lip-sync, image edit), priced from the settings' table."""
    prices = settings.prices
    prices.fal_tts_per_second, prices.fal_infinitalk_per_second = 0.125, 0.125  # 4 s + 4 s = $1.00
    prices.fal_nano_banana_edit_per_image = 0.25
    providers = fake_providers(
        speech=PricedFake("speech", name="fal", duration_s=seconds, per_unit=prices.fal_tts_per_second),
        lipsync=PricedFake("video", name="fal", duration_s=seconds, per_unit=prices.fal_infinitalk_per_second),
        image_edit=PricedFake("image", name="fal", per_unit=prices.fal_nano_banana_edit_per_image, per_second=False),
    )
    return make_services(settings, db, providers=providers)


def _burst(n: int, submit: Callable[[int], None]) -> list[str]:
    outcomes: list[str] = []
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        barrier.wait()
        try:
            submit(i)
            outcomes.append("ok")
        except CostCeilingReached:
            outcomes.append("refused")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def _count(services: Services, model: type) -> int:
    with services.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_fifty_concurrent_submissions_against_a_ceiling_for_ten(settings: Settings, db: Database) -> None:
    settings.daily_cost_ceiling_usd, settings.team_daily_cost_ceiling_usd, settings.daily_generation_quota = (
        10.0,
        0,
        1000,
    )
    services = priced_services(settings, db)
    owner = ensure_user(services.db, "busy@example.com")
    project = projects.create_project("Burst", owner_id=owner, services=services).id
    actor = add_actor(services)
    assert estimates.estimate_video(4.0, with_image_edit=False, services=services).cost_usd == 1.0

    outcomes = _burst(
        50,
        lambda i: videos.create_video(VideoRequest(project, actor, script=TEN_WORDS), user_id=owner, services=services),
    )
    assert outcomes.count("ok") == 10 and outcomes.count("refused") == 40
    assert _count(services, VideoAsset) == 10 and _count(services, Job) == 10 and _count(services, SpendHold) == 10
    with services.db.session() as session:
        refusals = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "refused.ceiling")
        )
    assert refusals == 40
    assert spend.spend_today(user_id=owner, services=services).committed_usd == 10.0


def test_a_team_ceiling_holds_across_members_submitting_at_once(settings: Settings, db: Database) -> None:
    settings.daily_cost_ceiling_usd, settings.team_daily_cost_ceiling_usd = 100.0, 5.0
    services = priced_services(settings, db)
    owner = ensure_user(services.db, "owner@example.com")
    editor = ensure_user(services.db, "editor@example.com")
    project = projects.create_project("Team", owner_id=owner, services=services).id
    team.invite_member(project, "editor@example.com", "editor", user_id=owner, services=services)
    actor = add_actor(services)

    def submit(i: int) -> None:
        videos.create_video(
            VideoRequest(project, actor, script=TEN_WORDS), user_id=(owner, editor)[i % 2], services=services
        )

    outcomes = _burst(16, submit)
    assert outcomes.count("ok") == 5
    with pytest.raises(CostCeilingReached, match="this project's team has \\$0.00 left of the \\$5.00 daily limit"):
        submit(1)
    other = projects.create_project("Elsewhere", owner_id=editor, services=services).id
    videos.create_video(VideoRequest(other, actor, script=TEN_WORDS), user_id=editor, services=services)  # another team


def test_a_ceiling_stops_a_batch_before_it_spends(settings: Settings, db: Database) -> None:
    settings.daily_cost_ceiling_usd = 2.5
    services = priced_services(settings, db)
    owner = ensure_user(services.db, "a@example.com")
    project = projects.create_project("Batch", owner_id=owner, services=services).id
    actor = add_actor(services)
    made, refused = [], []
    for _ in range(5):
        try:
            made.append(
                videos.create_video(VideoRequest(project, actor, script=TEN_WORDS), user_id=owner, services=services)
            )
        except CostCeilingReached as exc:
            refused.append(exc.message)
    services.queue.drain()  # type: ignore[attr-defined]
    assert len(made) == 2 and len(refused) == 3
    assert "would cost about $1.00, and you have $0.50 left of the $2.50 daily limit" in refused[0]
    assert "Nothing was charged" in refused[0] and "midnight UTC" in refused[0]
    assert services.providers.speech.submits == 2 and services.providers.lipsync.submits == 2


def test_the_estimate_equals_the_ledger(settings: Settings, db: Database) -> None:
    services = priced_services(settings, db)
    owner = ensure_user(services.db, "a@example.com")
    project = projects.create_project("Ledger", owner_id=owner, services=services).id
    actor = add_actor(services)
    request = VideoRequest(project, actor, script=TEN_WORDS, image_prompt="on a beach at noon")
    seconds = videos.spoken_seconds(TEN_WORDS, settings.words_per_minute)
    video_estimate = estimates.estimate_video(seconds, with_image_edit=True, services=services, user_id=owner)
    variant_estimate = estimates.estimate_variant(services=services, user_id=owner)
    videos.create_video(request, user_id=owner, services=services)
    variants.create_variant(project, actor, "in a kitchen", user_id=owner, services=services)
    services.queue.drain()  # type: ignore[attr-defined]
    with services.db.session() as session:
        ledger = float(session.scalar(select(func.sum(CostRecord.amount_usd))) or 0)
        held = session.execute(select(SpendHold.reserved_usd, SpendHold.spent_usd)).all()
    assert video_estimate.cost_usd == 1.25 and not video_estimate.unpriced
    assert ledger == pytest.approx(video_estimate.cost_usd + variant_estimate.cost_usd) == pytest.approx(1.5)
    assert all(reserved == pytest.approx(spent) for reserved, spent in held)
    assert spend.spend_today(user_id=owner, services=services).committed_usd == pytest.approx(1.5)


def test_a_finished_job_counts_what_it_spent_and_frees_the_rest(settings: Settings, db: Database) -> None:
    settings.daily_cost_ceiling_usd = 2.0
    services = priced_services(settings, db, seconds=2.0)  # renders shorter than estimated: $0.50 spent of $1.00 held
    owner = ensure_user(services.db, "a@example.com")
    project = projects.create_project("Thrifty", owner_id=owner, services=services).id
    actor = add_actor(services)

    def submit() -> str:
        return videos.create_video(VideoRequest(project, actor, script=TEN_WORDS), user_id=owner, services=services)

    submit()
    assert spend.spend_today(user_id=owner, services=services).committed_usd == 1.0  # held while it runs
    services.queue.drain()  # type: ignore[attr-defined]
    assert spend.spend_today(user_id=owner, services=services).committed_usd == 0.5
    submit()  # 0.5 spent + 1.0 held
    with pytest.raises(CostCeilingReached):
        submit()


def test_no_paid_call_starts_once_the_ceiling_is_reached(settings: Settings, db: Database) -> None:
    settings.daily_cost_ceiling_usd = 1.0
    services = priced_services(settings, db)
    owner = ensure_user(services.db, "a@example.com")
    project = projects.create_project("Backstop", owner_id=owner, services=services).id
    video = videos.create_video(
        VideoRequest(project, add_actor(services), script=TEN_WORDS), user_id=owner, services=services
    )
    with services.db.session() as session:  # a job admitted some other way: no hold, and the day is spent
        session.execute(delete(SpendHold))
        session.add(CostRecord(owner_id=owner, provider="fal", capability="speech", amount_usd=1.0))
    services.queue.drain()  # type: ignore[attr-defined]
    view = gallery.video_details(video, user_id=owner, services=services)
    assert view.status.value == "failed" and view.error is not None and view.error.code == "cost_ceiling"
    assert services.providers.speech.submits == 0 and services.providers.lipsync.submits == 0


def test_the_quota_counts_generations_even_after_deleting_them(services: Services) -> None:
    services.settings.daily_generation_quota = 2
    owner = ensure_user(services.db, "a@example.com")
    project = projects.create_project("Quota", owner_id=owner, services=services).id
    actor = add_actor(services)
    first = videos.create_video(VideoRequest(project, actor, script="Hi"), user_id=owner, services=services)
    videos.create_video(VideoRequest(project, actor, script="Hi"), user_id=owner, services=services)
    videos.delete_video(first, user_id=owner, services=services)
    with pytest.raises(QuotaExceeded, match="2 videos today"):
        videos.create_video(VideoRequest(project, actor, script="Hi"), user_id=owner, services=services)


# --------------------------------------------------------------------------- content guard


def test_block_list_matches_whole_words_in_any_case_and_spacing() -> None:
    terms = ["self-harm", "gore", "sexually explicit"]
    assert find_blocked("Talk about SELF harm here", terms) == "self-harm"
    assert find_blocked("self‑harm", terms) == "self-harm"  # a non-ASCII hyphen is punctuation too
    assert find_blocked("so gorgeous, Gore-Tex aside", terms) == "gore"
    assert find_blocked("gorgeous light", terms) is None
    assert find_blocked("Sexually   Explicit!", terms) == "sexually explicit"


def test_blocked_words_are_refused_before_anything_is_stored_or_paid(services: Services) -> None:
    owner = ensure_user(services.db, "a@example.com")
    project = projects.create_project("Guarded", owner_id=owner, services=services).id
    actor = add_actor(services)
    with pytest.raises(ContentBlocked, match="The script contains “nude”"):
        videos.create_video(VideoRequest(project, actor, script="A Nude beach ad"), user_id=owner, services=services)
    with pytest.raises(ContentBlocked, match="The image prompt contains “gore”"):
        videos.create_video(
            VideoRequest(project, actor, script="Hi", image_prompt="gore everywhere"), user_id=owner, services=services
        )
    with pytest.raises(ContentBlocked, match="image prompt contains “naked”"):
        variants.create_variant(project, actor, "naked in a sauna", user_id=owner, services=services)
    assert _count(services, VideoAsset) == 0 and _count(services, Job) == 0
    with services.db.session() as session:
        lines = session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "refused.content")).all()
    assert [line["term"] for line in lines] == ["nude", "gore", "naked"]


def test_text_reaching_a_provider_by_any_path_is_checked_at_the_call(services: Services) -> None:
    owner = ensure_user(services.db, "a@example.com")
    project = projects.create_project("Guarded", owner_id=owner, services=services).id
    video = videos.create_video(
        VideoRequest(project, add_actor(services), script="Our new formula"), user_id=owner, services=services
    )
    services.settings.blocked_terms = ["formula"]  # the list changed while the job waited
    services.queue.drain()  # type: ignore[attr-defined]
    view = gallery.video_details(video, user_id=owner, services=services)
    assert view.error is not None and view.error.code == "content_blocked" and "“formula”" in view.error.message
    assert services.providers.speech.submits == 0
