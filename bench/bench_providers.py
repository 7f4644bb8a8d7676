"""Hundreds of lip-sync predictions watched by one RQ worker process, against the WaveSpeed stub.

    .venv/bin/python -m bench.bench_providers [--jobs 500] [--complete-after 30] [--transient 0.3]

Each job is one durable `lip_sync` step through the real `WaveSpeedLipSyncer` (media
upload, submit, polls, result download, probe). The stub completes every prediction
`--complete-after` seconds after it was created. Reports:
- latency from each stub completion to the job row reading `completed` (p50/p95/max);
  target p95 <= poll interval + 1 s;
- the worker's peak memory (worker process plus any work horse), target <= 300 MB;
- provider requests per job and paid submissions (stub-created predictions) per job.
With `--transient 0.3`, 30% of the stub's API responses are 429/503 at random: every
job must still complete and paid submissions must equal the number of steps.
The worker is `python -m bench.lipsync_worker` (the studio's worker with this pipeline).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.setdefault("STUDIO_SECRETS_FILE", "/nonexistent/secrets.toml")

from redis import Redis  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench.bench_runner import _database, _drop  # noqa: E402
from core.adapters.db.models.jobs import Job, JobStep  # noqa: E402
from core.bootstrap import build_services  # noqa: E402
from core.config import Settings  # noqa: E402
from core.domain.types import MediaKind  # noqa: E402
from core.ports import LipSyncRequest  # noqa: E402
from core.services.accounts.identity import ensure_user  # noqa: E402
from jobs.context import StepContext  # noqa: E402
from jobs.pipeline import Pipeline, Step, register  # noqa: E402
from tests.procs import tree_rss_mb  # noqa: E402
from tests.stubs import WaveSpeedStub  # noqa: E402
from tests.stubs.media import png_bytes, wav_bytes  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = "redis://127.0.0.1:6379/12"
KIND = "bench_lipsync"


def lip_sync(ctx: StepContext) -> dict[str, Any]:
    request = LipSyncRequest(
        image=ctx.fetch(ctx.payload["image_key"]), audio=ctx.fetch(ctx.payload["audio_key"]), audio_duration_s=2.0
    )
    video = ctx.call_provider("lipsync", request)
    return {"duration_s": video.duration_s}


register(Pipeline(kind=KIND, steps=(Step("lip_sync", lip_sync),), admission_limited=False))


def _env(settings: Settings, stub: WaveSpeedStub, poll_s: float) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": REDIS_URL,
        "DATA_DIR": str(settings.data_dir),
        "RQ_QUEUE": "bench-lipsync",
        "LIPSYNC_PROVIDER": "wavespeed",
        "WAVESPEED_API_KEY": "test-key",
        "WAVESPEED_BASE_URL": stub.base_url,
        "DOWNLOAD_ALLOW_HTTP": "true",
        "DOWNLOAD_ALLOW_PRIVATE_HOSTS": '["127.0.0.1"]',
        "BENCH_POLL_S": str(poll_s),
        "STEP_MAX_ATTEMPTS": "12",
        "RETRY_BASE_S": "0.5",
        "RETRY_CAP_S": "4",
        "PYTHONPATH": str(ROOT),
        "DAILY_COST_CEILING_USD": "0",
        "TEAM_DAILY_COST_CEILING_USD": "0",  # spend guardrails off for the load run
    }


def _create_jobs(services, count: int) -> None:  # type: ignore[no-untyped-def]
    owner = ensure_user(services.db, "bench@example.com")
    image = services.storage.put_bytes(MediaKind.IMAGE, png_bytes(64, 96), name="bench/face", content_type="image/png")
    audio = services.storage.put_bytes(MediaKind.AUDIO, wav_bytes(2.0), name="bench/voice", content_type="audio/wav")
    ids = []
    with services.db.session() as session:
        for _ in range(count):
            job = Job(owner_id=owner, kind=KIND, payload={"image_key": image, "audio_key": audio})
            session.add(job)
            session.flush()
            ids.append(job.id)
    for job_id in ids:
        services.queue.enqueue(job_id)


def run(jobs: int, complete_after: float, transient: float, poll_s: float, simple: bool) -> dict[str, object]:
    Redis.from_url(REDIS_URL).flushdb()
    with (
        tempfile.TemporaryDirectory() as tmp_name,
        WaveSpeedStub(completes_after_s=complete_after, walk_statuses=False, record_requests=False) as stub,
    ):
        tmp = Path(tmp_name)
        db = _database("postgres", tmp)
        settings = Settings(
            _env_file=None, data_dir=tmp, database_url=db.url, redis_url=REDIS_URL, rq_queue="bench-lipsync"
        )
        services = build_services(settings, db=db)
        stub.transient_rate = transient
        args = [sys.executable, "-m", "bench.lipsync_worker"] + (["--simple"] if simple else [])
        worker = subprocess.Popen(
            args,
            cwd=ROOT,
            env=_env(settings, stub, poll_s),
            stdout=open(tmp / "worker.log", "wb"),  # noqa: SIM115  (closed with the temp folder)
            stderr=subprocess.STDOUT,
        )
        time.sleep(3)
        peak, stop = [0.0], threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], tree_rss_mb([worker.pid]))
                time.sleep(0.2)

        threading.Thread(target=sample, daemon=True).start()
        start = time.time()
        _create_jobs(services, jobs)
        deadline = start + complete_after + 600
        while time.time() < deadline and _pending(services) > 0:
            time.sleep(0.5)
        stop.set()
        worker.terminate()
        worker.wait(timeout=30)
        result = _report(services, stub, jobs, complete_after, transient, poll_s, simple, peak[0], time.time() - start)
        services.close()
        _drop(db)
    return result


def _pending(services) -> int:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        return len(session.scalars(select(Job.id).where(Job.status.not_in(("completed", "failed", "cancelled")))).all())


def _report(services, stub, jobs, complete_after, transient, poll_s, simple, peak_mb, wall) -> dict[str, object]:  # type: ignore[no-untyped-def]
    done_at = {p.id: p.created_wall + complete_after for p in stub.predictions.values()}
    latencies, statuses = [], []
    with services.db.session() as session:
        rows = session.execute(
            select(Job.status, Job.finished_at, JobStep.provider_request_id)
            .join(JobStep, JobStep.job_id == Job.id)
            .where(JobStep.status == "completed")
        ).all()
        statuses = session.scalars(select(Job.status)).all()
        errors = Counter(
            (e or {}).get("message", "")[:120] for e in session.scalars(select(Job.error).where(Job.status == "failed"))
        )
    for status, finished_at, request_id in rows:
        if status == "completed" and request_id in done_at:
            latencies.append(finished_at.timestamp() - done_at[request_id])
    latencies.sort()
    return {
        "bench": "provider_watch",
        "jobs": jobs,
        "worker": "SimpleWorker" if simple else "forking Worker",
        "poll_interval_s": poll_s,
        "stub_completes_after_s": complete_after,
        "transient_rate": transient,
        "completed": statuses.count("completed"),
        "failed": statuses.count("failed"),
        "latency_p50_s": round(statistics.median(latencies), 2) if latencies else None,
        "latency_p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 2) if latencies else None,
        "latency_max_s": round(latencies[-1], 2) if latencies else None,
        "worker_peak_rss_mb": round(peak_mb),
        "requests_per_job": round(sum(stub._hits.values()) / jobs, 1),
        "paid_submissions_per_job": round(sum(stub._created.values()) / jobs, 3),
        "transient_errors_served": stub._transient_served,
        "top_failures": errors.most_common(3),
        "wall_s": round(wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--complete-after", type=float, default=30.0)
    parser.add_argument("--transient", type=float, default=0.0)
    parser.add_argument("--poll", type=float, default=5.0)
    parser.add_argument("--forking", action="store_true", help="RQ's forking Worker instead of SimpleWorker")
    args = parser.parse_args()
    print(json.dumps(run(args.jobs, args.complete_after, args.transient, args.poll, not args.forking)), flush=True)


if __name__ == "__main__":
    main()
