"""The editor's voice line said again with a cloud voice (Gemini TTS against its stub on
127.0.0.1), on SQLite and PostgreSQL: the estimate is shown before, the job is admitted and
its call lands in the ledger once; a lost answer is "possibly charged", never sent again by
itself, and leaves the edit unchanged; a reached ceiling refuses before anything is created."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from core.adapters.db.models.accounts import SpendHold
from core.adapters.db.models.jobs import CostRecord, Job
from core.ports_services import Services
from core.services.editor import edits, voice
from core.services.usage.spend import CostCeilingReached
from jobs import engine
from tests.editor_support import finished_ad, talking_video
from tests.providers.test_paid_calls import _ava, google_speech
from tests.stubs import FalStub, GoogleStub, WaveSpeedStub


def _edit(services: Services, tmp_path: Path) -> tuple[str, str, str]:
    """A talking video of the catalog's Ava (her voice is bound for Gemini) opened in the editor."""
    world = finished_ad(services, tmp_path / "media", email="paid@example.com")
    _ava(services)
    (tmp_path / "media").mkdir(exist_ok=True)
    video_id = talking_video(services, tmp_path / "media", world)
    edit_id = edits.open_edit("video", video_id, user_id=world.owner, services=services)
    item = edits.get_edit(edit_id, user_id=world.owner, services=services).document.voice.items[0]
    return world.owner, edit_id, item.id


def _ledger(services: Services) -> list[tuple[str, str]]:
    with services.db.session() as session:
        return [(c.capability, c.status) for c in session.scalars(select(CostRecord))]


@pytest.fixture
def stubs() -> Iterator[tuple[FalStub, WaveSpeedStub]]:
    with FalStub(completes_after_s=0.0) as fal, WaveSpeedStub(completes_after_s=0.0) as wavespeed:
        yield fal, wavespeed


@pytest.fixture
def google() -> Iterator[GoogleStub]:
    with GoogleStub() as stub:
        yield stub


@pytest.fixture
def paid(tmp_path: Path, db: Any, stubs: Any, google: GoogleStub) -> Services:
    (tmp_path / "media").mkdir()
    return google_speech(tmp_path, db, stubs, google)


def test_a_cloud_line_is_estimated_admitted_and_charged_once(
    paid: Services,
    google: GoogleStub,
    tmp_path: Path,
) -> None:
    owner, edit_id, item_id = _edit(paid, tmp_path)
    words = "Try the serum for a week and see."
    estimate = voice.estimate_line(words, user_id=owner, services=paid)
    assert estimate > 0  # a cloud voice: the estimate is shown before the click
    job_id = voice.start_line(edit_id, item_id, words, user_id=owner, services=paid)
    with paid.db.session() as session:
        hold = session.scalar(select(SpendHold).where(SpendHold.job_id == job_id))
        assert hold is not None and hold.reserved_usd == pytest.approx(estimate)
    paid.queue.drain()  # type: ignore[attr-defined]
    [job] = voice.line_jobs(edit_id, user_id=owner, services=paid)
    assert job.status == "completed", job.error
    assert google.count("generate") == 1
    assert _ledger(paid) == [("speech", "charged")]
    after = edits.get_edit(edit_id, user_id=owner, services=paid)
    assert after.version == 2 and after.document.voice.items[0].text == words


def test_a_lost_answer_is_possibly_charged_and_never_sent_again(
    paid: Services,
    google: GoogleStub,
    tmp_path: Path,
) -> None:
    owner, edit_id, item_id = _edit(paid, tmp_path)
    before = edits.get_edit(edit_id, user_id=owner, services=paid)
    google.faults.add("generate", "lost")  # Gemini said the line; its answer was dropped
    job_id = voice.start_line(edit_id, item_id, "A line whose answer is lost.", user_id=owner, services=paid)
    paid.queue.drain()  # type: ignore[attr-defined]
    engine.advance(job_id, paid)  # a second look (a sweeper, a resumed worker) does not resend it
    paid.queue.drain()  # type: ignore[attr-defined]
    [job] = voice.line_jobs(edit_id, user_id=owner, services=paid)
    assert job.status == "failed" and job.possibly_charged, job
    assert google.count("generate") == 1
    assert _ledger(paid) == [("speech", "possibly_charged")]
    after = edits.get_edit(edit_id, user_id=owner, services=paid)
    assert after.version == before.version and after.document == before.document


def test_a_reached_ceiling_refuses_before_anything_is_created(
    paid: Services, google: GoogleStub, tmp_path: Path
) -> None:
    paid.settings.daily_cost_ceiling_usd = 0.0001
    owner, edit_id, item_id = _edit(paid, tmp_path)
    with pytest.raises(CostCeilingReached, match="Nothing was charged"):
        voice.start_line(edit_id, item_id, "A long enough line to cost something.", user_id=owner, services=paid)
    with paid.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Job).where(Job.kind == voice.VOICE_JOB)) == 0
    assert google.count("generate") == 0
    assert edits.get_edit(edit_id, user_id=owner, services=paid).version == 1


def test_a_line_removed_before_its_turn_is_not_paid_for(paid: Services, google: GoogleStub, tmp_path: Path) -> None:
    """The line was queued, then deleted from the edit before a worker reached it: nothing is sent
    to the voice service (its answer could not be saved anywhere), and the job says why."""
    owner, edit_id, item_id = _edit(paid, tmp_path)
    voice.start_line(edit_id, item_id, "Words nobody will hear.", user_id=owner, services=paid)
    before = edits.get_edit(edit_id, user_id=owner, services=paid)
    removed = replace(before.document.voice, items=())
    edits.change(
        edit_id,
        "Remove the voice",
        lambda d: replace(d, voice=removed, captions=()),
        base_version=before.version,
        user_id=owner,
        services=paid,
    )
    paid.queue.drain()  # type: ignore[attr-defined]
    [job] = voice.line_jobs(edit_id, user_id=owner, services=paid)
    assert job.status == "failed" and "no longer in the edit" in (job.error or "")
    assert google.count("generate") == 0 and _ledger(paid) == []
