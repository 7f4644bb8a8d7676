"""20 talking videos through RQ (2 workers) on PostgreSQL against fal and WaveSpeed stubs
that lose paid answers and spoil polls.

    .venv/bin/python -m bench.bench_paid_calls [--videos 20] [--faults 0.3] [--complete-after 3]

Each video is the real pipeline: image edit and speech on fal, lip-sync on WaveSpeed,
poster with FFmpeg. The stubs (tests/stubs) run in this process; `--faults` is both the
share of paid submits whose answer is dropped after the work was created (`lost`) and
the share of status/result reads answered 429, 5xx HTML, a hang past the read timeout or
a drop. The webhook receiver (`python -m jobs.webhooks`) runs as a third process, so the
stubs' signed callbacks can adopt the orphans. Reports completions, paid submits per step
(stub-created predictions / paid steps; the target is 1.00) and the p95 time from
submission to completion. `--no-webhooks` leaves the callback URL unset: a video whose
paid answer was lost then stops as "may have started" instead (never resubmitted).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("STUDIO_SECRETS_FILE", "/nonexistent/secrets.toml")

import httpx  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench.bench_generations import SCRIPT  # noqa: E402
from bench.bench_runner import _database, _drop  # noqa: E402
from core.adapters.db.models.jobs import CostRecord, Job, JobStep
from core.adapters.db.models.talking import VideoAsset  # noqa: E402
from core.bootstrap import build_services  # noqa: E402
from core.config import Settings  # noqa: E402
from core.services.accounts.identity import ensure_user  # noqa: E402
from core.services.talking.catalog import list_actors  # noqa: E402
from core.services.talking.projects import create_project  # noqa: E402
from core.services.talking.videos import VideoRequest, create_video  # noqa: E402
from seeds.loader import seed_actors  # noqa: E402
from tests.stubs import FalStub, WaveSpeedStub  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
PAID_STEPS_PER_VIDEO = 3  # image edit, speech, lip-sync


def _submit(services, videos: int) -> None:  # type: ignore[no-untyped-def]
    """Five creators, four videos each, every video with a new look (so all three paid steps run)."""
    actors = list_actors(services=services)
    for n in range(videos):
        owner = ensure_user(services.db, f"creator{n % 5}@example.com")
        project = create_project(f"Bench {n}", owner_id=owner, services=services)
        request = VideoRequest(
            project_id=project.id,
            actor_id=actors[n % len(actors)].id,
            script=SCRIPT,
            seed=n,
            image_prompt="in a bright kitchen",
        )
        create_video(request, user_id=owner, services=services)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _env(db_url: str, tmp: Path, fal: FalStub, wavespeed: WaveSpeedStub, hooks: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": db_url,
        "REDIS_URL": REDIS_URL,
        "DATA_DIR": str(tmp),
        "RQ_QUEUE": "bench-paid",
        "FAL_KEY": "test-key",
        "FAL_QUEUE_URL": fal.url,
        "FAL_REST_URL": fal.url,
        "FAL_CDN_URL": fal.url,
        "FAL_JWKS_URL": f"{fal.url}/.well-known/jwks.json",
        "FAL_WEBHOOK_USER_ID": fal.webhook_user_id,
        "WAVESPEED_API_KEY": "test-key",
        "WAVESPEED_BASE_URL": wavespeed.base_url,
        "WAVESPEED_WEBHOOK_SECRET": wavespeed.webhook_secret,
        "WEBHOOK_BASE_URL": hooks,
        "DOWNLOAD_ALLOW_HTTP": "true",
        "DOWNLOAD_ALLOW_PRIVATE_HOSTS": '["127.0.0.1"]',
        "PROVIDER_TIMEOUT_S": "2",
        "RETRY_BASE_S": "0.5",
        "RETRY_CAP_S": "4",
        "DAILY_GENERATION_QUOTA": "1000",
        "DAILY_COST_CEILING_USD": "0",
        "TEAM_DAILY_COST_CEILING_USD": "0",
    }


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def _wait_http(url: str, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            httpx.post(url, content=b"{}", timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def run(videos: int, faults: float, complete_after: float, webhooks: bool = True) -> dict[str, object]:
    from redis import Redis

    Redis.from_url(REDIS_URL).flushdb()
    stub_args = {"completes_after_s": complete_after, "walk_statuses": False, "record_requests": False}
    with tempfile.TemporaryDirectory() as tmp_name, FalStub(**stub_args) as fal, WaveSpeedStub(**stub_args) as ws:
        tmp = Path(tmp_name)
        for stub in (fal, ws):
            stub.lost_rate, stub.poll_fault_rate, stub.hang_s = faults, faults, 2.5
        db = _database("postgres", tmp)
        port = _free_port()
        env = _env(db.url, tmp, fal, ws, f"http://127.0.0.1:{port}" if webhooks else "")
        settings = Settings(
            _env_file=None,
            data_dir=tmp,
            database_url=db.url,
            redis_url=REDIS_URL,
            rq_queue="bench-paid",
            daily_generation_quota=1000,
        )
        services = build_services(settings, db=db)
        seed_actors(services, with_previews=False)
        procs = [_spawn(["-m", "jobs.webhooks", "--port", str(port)], env, tmp / "hooks.log")]
        # SimpleWorker: a forked work horse inherits the provider HTTP pool's locks from the
        # watcher threads and can hang on them (seen here; reported), so jobs run in-process.
        procs += [_spawn(["-m", "jobs.worker"], env, tmp / f"worker{n}.log") for n in range(2)]
        try:
            _wait_http(f"http://127.0.0.1:{port}/webhooks/kie")
            time.sleep(3)  # both workers up before the clock starts
            start = time.time()
            _submit(services, videos)
            deadline = start + 600
            while time.time() < deadline and _active(services):
                time.sleep(0.5)
            wall = time.time() - start
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
        result = {**_report(services, fal, ws, videos, faults, complete_after, wall), "webhooks": webhooks}
        services.close()
        _drop(db)
    return result


def _active(services) -> bool:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        active = select(Job.id).where(Job.status.in_(("queued", "running", "waiting"))).limit(1)
        return session.scalar(active) is not None


def _report(services, fal, ws, videos, faults, complete_after, wall) -> dict[str, object]:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        rows = session.execute(
            select(VideoAsset.status, VideoAsset.created_at, Job.finished_at, Job.error).join(
                Job, Job.id == VideoAsset.job_id
            )
        ).all()
        ledger = session.scalars(select(CostRecord.status)).all()
        submitted = session.execute(
            select(JobStep.job_id, JobStep.name).where(JobStep.provider.is_not(None)).distinct()
        ).all()
    times = sorted((f - c).total_seconds() for s, c, f, _ in rows if s == "completed" and f)
    failures = sorted({(e or {}).get("code", "") for s, _, _, e in rows if s != "completed"})
    created = fal.created_count() + ws.created_count()
    return {
        "bench": "paid_calls",
        "videos": videos,
        "runner": "rq (2 workers) + webhook receiver, PostgreSQL",
        "fault_rate": faults,
        "stub_completes_after_s": complete_after,
        "completed": sum(1 for s, *_ in rows if s == "completed"),
        "failed_codes": failures,
        "paid_submits_per_step": round(created / (videos * PAID_STEPS_PER_VIDEO), 3),
        "steps_that_submitted": len(submitted),
        "duplicate_paid_submits": created - len(submitted),
        "lost_answers_injected": fal.lost_served + ws.lost_served,
        "poll_faults_injected": fal.poll_faults + ws.poll_faults,
        "webhooks_delivered": sum(1 for _, code in fal.webhooks_sent + ws.webhooks_sent if code == 200),
        "ledger_possibly_charged": ledger.count("possibly_charged"),
        "p50_s": round(statistics.median(times), 1) if times else None,
        "p95_s": round(times[int(0.95 * (len(times) - 1))], 1) if times else None,
        "wall_s": round(wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--videos", type=int, default=20)
    parser.add_argument("--faults", type=float, default=0.3)
    parser.add_argument("--complete-after", type=float, default=3.0)
    parser.add_argument("--no-webhooks", action="store_true", help="no callback URL: lost answers stop and ask")
    args = parser.parse_args()
    print(json.dumps(run(args.videos, args.faults, args.complete_after, not args.no_webhooks)), flush=True)


if __name__ == "__main__":
    main()
