"""Runner step overhead and the status-chip query, on SQLite and PostgreSQL, embedded and RQ.

    .venv/bin/python -m bench.bench_runner [--jobs 40] [--rows 100000]

1. A 5-step no-op job: wall time from enqueue to the job row saying completed, divided
   by 5 (so it includes dispatch, claim, step rows, heartbeat thread and finish). Median
   over sequential jobs. Target <= 15 ms per step.
2. The query behind a page of 24 status chips over 100,000 job rows. Target <= 5 ms.
Prints one JSON line per measurement.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import insert

from core.adapters.db.database import Database
from core.adapters.db.models.base import utcnow
from core.adapters.db.models.jobs import Job
from core.adapters.db.models.projects import User
from core.adapters.queue.embedded import EmbeddedQueue
from core.bootstrap import build_services, install_services
from core.config import Settings
from core.ports_services import Services
from core.services.talking.gallery import job_statuses
from jobs.pipeline import Pipeline, Step, register
from tests.fakes import FakeMedia, fake_providers

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOOP = register(
    Pipeline(kind="bench_noop", steps=tuple(Step(f"s{i}", lambda ctx: {}) for i in range(5)), admission_limited=False)
)


def _database(kind: str, tmp: Path) -> Database:
    if kind == "sqlite":
        db = Database(f"sqlite:///{tmp / 'bench.db'}")
    else:
        import psycopg

        name = f"bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        db = Database(PG_URL.rsplit("/", 1)[0] + f"/{name}")
    db.migrate()
    return db


def _drop(db: Database) -> None:
    if not db.is_sqlite:
        import psycopg

        name = db.engine.url.database
        db.dispose()
        with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _queue(kind: str):  # type: ignore[no-untyped-def]
    if kind == "embedded":
        return EmbeddedQueue(workers=1)
    from redis import Redis

    from core.adapters.queue.rq_queue import RqQueue

    redis = Redis.from_url("redis://127.0.0.1:6379/14")
    redis.flushdb()
    return RqQueue(redis, queue_name="bench")


def _wait_done(services: Services, job_id: str, queue_kind: str) -> None:
    if queue_kind == "rq":
        from rq import SimpleWorker
        from rq.serializers import JSONSerializer

        q = services.queue.queue  # type: ignore[attr-defined]
        SimpleWorker([q], connection=q.connection, serializer=JSONSerializer).work(burst=True)
    while True:
        with services.db.session() as session:
            if session.get(Job, job_id).status == "completed":  # type: ignore[union-attr]
                return
        time.sleep(0.0005)


def step_overhead(db_kind: str, queue_kind: str, jobs: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp), heartbeat_interval_s=5)
        db = _database(db_kind, Path(tmp))
        services = build_services(
            settings, db=db, media=FakeMedia(), providers=fake_providers(), queue=_queue(queue_kind)
        )
        install_services(services)
        with db.session() as session:
            owner = User(email="bench@example.com")
            session.add(owner)
            session.flush()
            owner_id = owner.id
        per_step = []
        for _ in range(jobs):
            with db.session() as session:
                job = Job(owner_id=owner_id, kind="bench_noop")
                session.add(job)
                session.flush()
                job_id = job.id
            start = time.perf_counter()
            services.queue.enqueue(job_id)
            _wait_done(services, job_id, queue_kind)
            per_step.append((time.perf_counter() - start) / 5 * 1000)
        services.queue.shutdown()
        install_services(None)
        _drop(db)
    return {
        "bench": "step_overhead",
        "db": db_kind,
        "runner": queue_kind,
        "jobs": jobs,
        "median_ms_per_step": round(statistics.median(per_step), 2),
        "p90_ms_per_step": round(statistics.quantiles(per_step, n=10)[-1], 2),
    }


def status_read(db_kind: str, rows: int, repeats: int = 300) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp))
        db = _database(db_kind, Path(tmp))
        services = build_services(
            settings, db=db, media=FakeMedia(), providers=fake_providers(), queue=_queue("embedded")
        )
        with db.session() as session:
            owner = User(email="bench@example.com")
            session.add(owner)
            session.flush()
            owner_id = owner.id
        ids = [str(uuid.uuid4()) for _ in range(rows)]
        now = utcnow()
        with db.engine.begin() as conn:
            for start in range(0, rows, 5000):
                conn.execute(
                    insert(Job),
                    [
                        {
                            "id": i,
                            "owner_id": owner_id,
                            "kind": "talking_video",
                            "status": "completed",
                            "progress": 1.0,
                            "payload": {},
                            "resumes": 0,
                            "cancel_requested": False,
                            "created_at": now,
                            "updated_at": now,
                        }
                        for i in ids[start : start + 5000]
                    ],
                )
        timings = []
        for n in range(repeats):
            page = ids[(n * 24) % rows : (n * 24) % rows + 24]
            start = time.perf_counter()
            job_statuses(page, user_id=owner_id, services=services)
            timings.append((time.perf_counter() - start) * 1000)
        services.queue.shutdown()
        _drop(db)
    return {
        "bench": "status_read",
        "db": db_kind,
        "rows": rows,
        "page": 24,
        "median_ms": round(statistics.median(timings), 3),
        "p95_ms": round(statistics.quantiles(timings, n=20)[-1], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    for db_kind in ("sqlite", "postgres"):
        for queue_kind in ("embedded", "rq"):
            print(json.dumps(step_overhead(db_kind, queue_kind, args.jobs)), flush=True)
        print(json.dumps(status_read(db_kind, args.rows)), flush=True)


if __name__ == "__main__":
    main()
