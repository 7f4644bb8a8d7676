"""SIGKILL a real worker while a LoRA training waits on fal (the stub keeps it IN_PROGRESS for
many polls); the restarted worker polls the same training and never submits a second one."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from core.adapters.db.models.jobs import Job, JobStep
from core.adapters.queue.rq_queue import RqQueue
from core.bootstrap import build_services
from core.services.accounts.identity import ensure_user
from core.services.avatars import lora, manage
from core.services.talking.projects import create_project
from tests.avatar_support import three_views
from tests.conftest import REDIS_URL, make_settings, truncate_all
from tests.integration.test_crash import Workers, _env, _wait_for, pytestmark  # noqa: F401  (same marks)
from tests.stubs import FalStub
from tests.stubs.fal import TRAINER, safetensors_bytes


def _fal_env(stub: FalStub) -> dict[str, str]:
    return {
        "FAL_KEY": "test-key",
        "FAL_QUEUE_URL": stub.url,
        "FAL_REST_URL": stub.url,
        "FAL_CDN_URL": stub.url,
        "LORA_TRAIN_POLL_S": "0.3",
        "DOWNLOAD_ALLOW_HTTP": "true",
        "DOWNLOAD_ALLOW_PRIVATE_HOSTS": '["127.0.0.1"]',
    }


def _job(services, lora_id: str) -> Job:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        job = session.scalars(select(Job).where(Job.subject_id == lora_id)).one()
        session.expunge(job)
        return job


def test_training_survives_a_worker_killed_mid_wait(tmp_path: Path, pg_database_url: str, redis_conn) -> None:  # type: ignore[no-untyped-def]
    with FalStub() as fal:
        fal.min_polls[TRAINER] = 30
        data_dir = tmp_path / "data"
        settings = make_settings(
            data_dir, database_url=pg_database_url, redis_url=REDIS_URL, rq_queue="studio-crash",
            fal_key="test-key", fal_queue_url=fal.url, fal_rest_url=fal.url, fal_cdn_url=fal.url,
            vision_provider="local", image_edit_provider="local",
        )  # fmt: skip
        services = build_services(settings, queue=RqQueue(redis_conn, queue_name="studio-crash"))
        truncate_all(services.db)
        workers = Workers({**_env(data_dir, pg_database_url), **_fal_env(fal)})
        try:
            owner = ensure_user(services.db, "crash@example.com")
            project = create_project("Crash", owner_id=owner, services=services).id
            avatar = manage.create_avatar(project, "Dana", three_views(), consent=True, user_id=owner,
                                          services=services)  # fmt: skip
            lora_id = lora.train_lora(project, "Dana", "dana_person", avatar_id=avatar, user_id=owner,
                                      services=services)  # fmt: skip
            workers.start()
            _wait_for(
                lambda: _job(services, lora_id).status == "waiting"
                and sum(p.polls for p in fal.predictions.values()) >= 3,
                90, "the training to wait on fal",
            )  # fmt: skip
            with services.db.session() as session:
                step = session.scalars(select(JobStep).where(JobStep.name == "train")).one()
                assert step.provider_request_id and (step.provider or "").startswith("fal:")
            workers.kill()
            workers.start()
            _wait_for(lambda: _job(services, lora_id).status in ("completed", "failed"), 120, "the training to end")
            job = _job(services, lora_id)
            assert job.status == "completed", job.error
            assert fal.created_count(TRAINER) == 1 and fal.count("submit") == 1
            view = lora.get_lora(lora_id, user_id=owner, services=services)
            assert view.status == "ready"
            assert services.storage.read_bytes(view.weights_key or "") == safetensors_bytes()
        finally:
            workers.stop()
            services.close()
