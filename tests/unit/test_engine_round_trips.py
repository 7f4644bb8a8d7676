"""The runner's own cost: a step's bookkeeping is a few statements in one transaction.

Round trips, not milliseconds, are what a test can check on any machine: the step overhead
benchmark (`bench/bench_runner.py`) times them. Before this bound a no-op step cost two
commits and nine statements (claim re-reads, a select of the step rows per step, a read
before every write).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, select

from core.adapters.db.models.jobs import Job, JobStep
from core.ports_services import Services
from jobs import engine
from jobs.pipeline import Pipeline, Step, register

STEPS = 5
register(
    Pipeline(
        kind="test_round_trips",
        steps=tuple(Step(f"s{i}", lambda ctx, i=i: {"i": i}) for i in range(STEPS)),
        admission_limited=False,
    )
)


@contextmanager
def _counted(services: Services) -> Iterator[dict[str, int]]:
    counts = {"statements": 0, "commits": 0}

    def statement(conn, cursor, text, *args) -> None:  # type: ignore[no-untyped-def]
        if not text.lstrip().upper().startswith("BEGIN"):
            counts["statements"] += 1

    def commit(conn) -> None:  # type: ignore[no-untyped-def]
        counts["commits"] += 1

    event.listen(services.db.engine, "before_cursor_execute", statement)
    event.listen(services.db.engine, "commit", commit)
    try:
        yield counts
    finally:
        event.remove(services.db.engine, "before_cursor_execute", statement)
        event.remove(services.db.engine, "commit", commit)


def test_a_step_costs_one_commit_and_a_few_statements(services: Services, owner: str) -> None:
    services.settings.heartbeat_interval_s = 600  # no beat inside this short pass
    with services.db.session() as session:
        job = Job(owner_id=owner, kind="test_round_trips")
        session.add(job)
        session.flush()
        job_id = job.id
    with _counted(services) as counts:
        engine.advance(job_id, services)
    # claim + one per step + finish + the look for a queued job to kick
    assert counts["commits"] <= STEPS + 3
    assert counts["statements"] <= 3 * STEPS + 8
    with services.db.session() as session:
        rows = session.scalars(select(JobStep).where(JobStep.job_id == job_id).order_by(JobStep.name)).all()
        assert [(r.name, r.status, r.output) for r in rows] == [(f"s{i}", "completed", {"i": i}) for i in range(STEPS)]
        assert session.get(Job, job_id).status == "completed"  # type: ignore[union-attr]


def test_a_rerun_after_a_crash_keeps_finished_outputs_and_reuses_the_open_attempt(
    services: Services, owner: str
) -> None:
    """The snapshot read at the claim stands in for a select per step; a resumed job must still see it all."""
    with services.db.session() as session:
        job = Job(owner_id=owner, kind="test_round_trips", status="running")
        session.add(job)
        session.flush()
        job_id = job.id
        session.add(JobStep(job_id=job_id, name="s0", status="completed", attempt=1, output={"i": 0}))
        session.add(JobStep(job_id=job_id, name="s1", status="retrying", attempt=1))
        session.add(
            JobStep(job_id=job_id, name="s1", status="running", attempt=2, provider="fal", provider_request_id="r-1")
        )
    engine.advance(job_id, services)
    with services.db.session() as session:
        rows = session.scalars(select(JobStep).where(JobStep.job_id == job_id)).all()
        by_name = sorted((r.name, r.attempt, r.status, r.provider_request_id) for r in rows)
        assert by_name == [
            ("s0", 1, "completed", None),
            ("s1", 1, "retrying", None),
            ("s1", 2, "completed", "r-1"),  # the interrupted attempt, reused: no second submit
            ("s2", 1, "completed", None),
            ("s3", 1, "completed", None),
            ("s4", 1, "completed", None),
        ]
