"""SIGKILL a real `python -m jobs.worker` mid-job; after a restart the job must finish,
with one provider submission per step and no duplicate rows or files.

Runs on PostgreSQL + Redis with the offline providers (real eSpeak speech and a real
FFmpeg lip-sync render, which is the "step writes its output" window).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.adapters.db.models.jobs import Job, JobStep
from core.adapters.db.models.talking import VideoAsset
from core.adapters.queue.rq_queue import RqQueue
from core.bootstrap import build_services
from core.ports_services import Services
from core.services.accounts.identity import ensure_user
from core.services.talking.projects import create_project
from core.services.talking.videos import VideoRequest, create_video
from jobs.pipelines import talking_video
from tests.conftest import REDIS_URL, make_settings
from tests.fakes import add_actor
from tests.procs import descendants

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PORTRAIT = ROOT / "seeds" / "actors" / "ava_base_01.png"
SCRIPT = (
    "Okay so I have been using this serum for two weeks and honestly my skin has never looked "
    "this good. It is light, it smells amazing, and it does not feel sticky at all."
)


def _env(data_dir: Path, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "DATA_DIR": str(data_dir),
        "RQ_QUEUE": "studio-crash",
        "HEARTBEAT_INTERVAL_S": "0.3",
        "STALE_AFTER_S": "2",
        "SWEEP_INTERVAL_S": "0.5",
        "STUDIO_SECRETS_FILE": "/nonexistent/secrets.toml",
        "PYTHONPATH": str(ROOT),
    }


class Workers:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = open(Path(env["DATA_DIR"]) / "worker.log", "ab")  # noqa: SIM115

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jobs.worker"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the worker and its work horse (RQ puts the horse in a session of its own)."""
        assert self.proc is not None
        for pid in [*descendants([self.proc.pid]), self.proc.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.kill()
        self.log.close()


@pytest.fixture
def crash_setup(tmp_path: Path, pg_database_url: str, redis_conn) -> Iterator[tuple[Services, Workers]]:  # type: ignore[no-untyped-def]
    from tests.conftest import truncate_all

    data_dir = tmp_path / "data"
    settings = make_settings(data_dir, database_url=pg_database_url, redis_url=REDIS_URL, rq_queue="studio-crash")
    services = build_services(settings, queue=RqQueue(redis_conn, queue_name="studio-crash"))
    truncate_all(services.db)
    workers = Workers(_env(data_dir, pg_database_url))
    yield services, workers
    workers.stop()
    services.close()


def _submit(services: Services) -> str:
    owner = ensure_user(services.db, "crash@example.com")
    project = create_project("Crash", owner_id=owner, services=services)
    return create_video(
        VideoRequest(
            project_id=project.id, actor_id=add_actor(services, portrait=PORTRAIT.read_bytes()), script=SCRIPT
        ),
        user_id=owner,
        services=services,
    )


def _job(services: Services, video_id: str) -> Job:
    with services.db.session() as session:
        video = session.get(VideoAsset, video_id)
        job = session.get(Job, video.job_id)  # type: ignore[union-attr]
        session.expunge(job)
        return job  # type: ignore[return-value]


def _wait_for(predicate, timeout_s: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_job_survives_sigkill_while_a_step_writes_its_output(crash_setup) -> None:  # type: ignore[no-untyped-def]
    kill_in_step = "lip_sync"  # the longest local step: FFmpeg is encoding the video
    services, workers = crash_setup
    video_id = _submit(services)
    workers.start()
    _wait_for(
        lambda: (job := _job(services, video_id)).current_step == kill_in_step and job.status == "running",
        90,
        f"the job to be inside {kill_in_step}",
    )
    workers.kill()
    assert _job(services, video_id).status == "running"  # nobody told the database

    workers.start()  # the restarted worker's sweeper notices the stale heartbeat
    _wait_for(lambda: _job(services, video_id).status in ("completed", "failed"), 180, "the job to finish")

    job = _job(services, video_id)
    assert job.status == "completed", job.error
    assert job.resumes >= 1
    with services.db.session() as session:
        completed = session.execute(
            select(JobStep.name, func.count())
            .where(JobStep.job_id == job.id, JobStep.status == "completed")
            .group_by(JobStep.name)
        ).all()
        steps = ("init", "image_edit", "tts", "lip_sync_plan", *talking_video.CHUNK_STEPS, "lip_sync_join", "finalize")
        assert dict(completed) == dict.fromkeys(steps, 1)
        assert session.scalar(select(func.count()).select_from(VideoAsset)) == 1
        video = session.get(VideoAsset, video_id)
        assert video is not None and video.video_key and video.duration_s and video.duration_s > 3
    job_files = sorted(p.name for p in services.settings.media_dir.rglob("*") if p.is_file() and job.id in str(p))
    assert job_files == ["finalize-poster.jpg", "lip_sync-video.mp4", "tts-speech.mp3"]
    assert not [p for p in services.settings.media_dir.rglob(".tmp-*")]
    info = services.media.probe(services.settings.media_dir / video.video_key)
    assert info.has_video and info.has_audio and abs(info.duration_s - video.duration_s) < 0.3


def test_job_survives_sigkill_while_waiting_on_a_provider(crash_setup) -> None:  # type: ignore[no-untyped-def]
    """Lip-sync through the WaveSpeed adapter against its stub: the worker dies while the
    prediction is in flight; the restarted worker polls the same prediction, never pays twice."""
    from tests.stubs import WaveSpeedStub

    services, workers = crash_setup
    with WaveSpeedStub(completes_after_s=4.0, walk_statuses=False) as wavespeed:
        workers.env.update(
            {
                "LIPSYNC_PROVIDER": "wavespeed",
                "WAVESPEED_API_KEY": "test-key",
                "WAVESPEED_BASE_URL": wavespeed.base_url,
                "DOWNLOAD_ALLOW_HTTP": "true",
                "DOWNLOAD_ALLOW_PRIVATE_HOSTS": '["127.0.0.1"]',
            }
        )
        video_id = _submit(services)
        workers.start()
        _wait_for(
            lambda: (job := _job(services, video_id)).current_step == "lip_sync" and job.status == "waiting",
            90,
            "the job to wait on WaveSpeed",
        )
        with services.db.session() as session:
            step = session.scalars(
                select(JobStep).where(JobStep.job_id == _job(services, video_id).id, JobStep.name == "lip_sync")
            ).one()
            assert (step.provider or "").startswith("wavespeed") and step.provider_request_id  # stored before the wait
        workers.kill()
        workers.start()
        _wait_for(lambda: _job(services, video_id).status in ("completed", "failed"), 120, "the job to finish")
        job = _job(services, video_id)
        assert job.status == "completed", job.error
        assert wavespeed.created_count() == 1  # exactly one paid submission for the step
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(VideoAsset)) == 1
        lip_sync_rows = session.scalars(
            select(JobStep.status).where(JobStep.job_id == job.id, JobStep.name == "lip_sync")
        ).all()
        assert lip_sync_rows.count("completed") == 1
