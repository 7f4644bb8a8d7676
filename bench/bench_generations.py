"""20 text-to-video generations submitted at once with the offline providers.

    .venv/bin/python -m bench.bench_generations [--videos 20]

Runs the same submissions twice, side by side in one run: the embedded runner (2 worker
threads in this process) and RQ with 2 `python -m jobs.worker` processes, both on
PostgreSQL. Reports time from submission to the last completion and peak memory
(embedded: this process plus its FFmpeg children; RQ: the sum of the workers' and their
children's resident memory, sampled every 100 ms). One user submits four videos and
five users do so concurrently, so the per-user limit of 2 active generations applies.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("STUDIO_SECRETS_FILE", "/nonexistent/secrets.toml")

from sqlalchemy import func, select  # noqa: E402

from bench.bench_runner import _database, _drop  # noqa: E402
from core.adapters.db.models.talking import VideoAsset  # noqa: E402
from core.bootstrap import build_services, install_services  # noqa: E402
from core.config import Settings  # noqa: E402
from core.services.accounts.identity import ensure_user  # noqa: E402
from core.services.talking.catalog import list_actors  # noqa: E402
from core.services.talking.projects import create_project  # noqa: E402
from core.services.talking.videos import VideoRequest, create_video  # noqa: E402
from seeds.loader import seed_actors  # noqa: E402
from tests.procs import tree_rss_mb  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = "Okay so I tried this serum for a week. My skin feels calm, soft and bright. Honestly I am hooked on it now."
REDIS_URL = "redis://127.0.0.1:6379/13"


def _submit(services, videos: int) -> None:  # type: ignore[no-untyped-def]
    actors = list_actors(services=services)
    for n in range(videos):
        owner = ensure_user(services.db, f"creator{n % 5}@example.com")
        project = create_project(f"Bench {n}", owner_id=owner, services=services)
        request = VideoRequest(project_id=project.id, actor_id=actors[n % len(actors)].id, script=SCRIPT, seed=n)
        create_video(request, user_id=owner, services=services)


def _completed(services) -> int:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        return int(session.scalar(select(func.count()).where(VideoAsset.status == "completed")) or 0)


def _settings(tmp: Path, db_url: str, redis: bool) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tmp,
        database_url=db_url,
        redis_url=REDIS_URL if redis else "",
        rq_queue="bench-gen",
        daily_generation_quota=1000,
    )


def embedded(videos: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        db = _database("postgres", tmp)
        services = build_services(_settings(tmp, db.url, redis=False), db=db)
        install_services(services)
        seed_actors(services, with_previews=False)
        start = time.perf_counter()
        _submit(services, videos)
        while _completed(services) < videos:
            time.sleep(0.1)
        wall = time.perf_counter() - start
        services.queue.shutdown()
        install_services(None)
        _drop(db)
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "bench": "20_generations",
        "runner": "embedded (2 threads)",
        "videos": videos,
        "wall_s": round(wall, 1),
        "peak_rss_process_mb": round(self_mb),
        "peak_rss_largest_ffmpeg_mb": round(child_mb),
    }


def rq(videos: int) -> dict[str, object]:
    from redis import Redis

    Redis.from_url(REDIS_URL).flushdb()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        db = _database("postgres", tmp)
        settings = _settings(tmp, db.url, redis=True)
        services = build_services(settings, db=db)
        seed_actors(services, with_previews=False)
        env = {
            **os.environ,
            "DATABASE_URL": db.url,
            "REDIS_URL": REDIS_URL,
            "DATA_DIR": str(tmp),
            "RQ_QUEUE": "bench-gen",
            "PYTHONPATH": str(ROOT),
        }
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "jobs.worker"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(2)
        ]
        time.sleep(3)  # let both workers start before the clock does
        peak, stop = [0.0], threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], tree_rss_mb([w.pid for w in workers]))
                time.sleep(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        start = time.perf_counter()
        _submit(services, videos)
        while _completed(services) < videos:
            time.sleep(0.1)
        wall = time.perf_counter() - start
        stop.set()
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
        services.close()
        _drop(db)
    return {
        "bench": "20_generations",
        "runner": "rq (2 workers)",
        "videos": videos,
        "wall_s": round(wall, 1),
        "peak_rss_workers_total_mb": round(peak[0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--videos", type=int, default=20)
    args = parser.parse_args()
    print(json.dumps(rq(args.videos)), flush=True)
    print(json.dumps(embedded(args.videos)), flush=True)


if __name__ == "__main__":
    main()
