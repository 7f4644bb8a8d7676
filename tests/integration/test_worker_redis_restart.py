"""A worker outlives a Redis restart: nobody has to start a new one for work to move again.

Runs a private `redis-server` on a free loopback port (the shared one is left alone), a
real `python -m jobs.worker` against it and PostgreSQL, restarts that Redis, then hands
the worker a job.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from core.adapters.queue.rq_queue import RqQueue
from core.bootstrap import build_services
from tests.conftest import make_settings, unavailable
from tests.integration.test_crash import Workers, _env, _job, _submit, _wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateRedis:
    def __init__(self, port: int, data_dir: Path) -> None:
        self.port = port
        self.data_dir = data_dir
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("redis-server", FileNotFoundError("redis-server"))
        self.proc = subprocess.Popen(
            [
                str(binary),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.data_dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for(self._up, 10, "the private Redis to start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def _up(self) -> bool:
        try:
            return bool(Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except Exception:  # noqa: BLE001
            return False


@pytest.fixture
def restart_setup(tmp_path: Path, pg_database_url: str) -> Iterator[tuple[object, Workers, PrivateRedis]]:
    from tests.conftest import truncate_all

    port = _free_port()
    url = f"redis://127.0.0.1:{port}/0"
    server = PrivateRedis(port, tmp_path)
    server.start()
    data_dir = tmp_path / "data"
    settings = make_settings(data_dir, database_url=pg_database_url, redis_url=url, rq_queue="studio-restart")
    services = build_services(settings, queue=RqQueue(Redis.from_url(url), queue_name="studio-restart"))
    truncate_all(services.db)
    workers = Workers({**_env(data_dir, pg_database_url), "REDIS_URL": url, "RQ_QUEUE": "studio-restart"})
    yield services, workers, server
    workers.stop()
    services.close()
    server.stop()


def test_a_worker_carries_on_after_redis_restarts(restart_setup) -> None:  # type: ignore[no-untyped-def]
    services, workers, server = restart_setup
    workers.start()
    _wait_for(lambda: Redis(port=server.port).keys("rq:worker:*") != [], 60, "the worker to register")

    server.stop()
    time.sleep(4)  # long enough for RQ's loop to hit the dead connection
    server.start()
    assert workers.proc is not None and workers.proc.poll() is None, "the worker process died with Redis"

    video_id = _submit(services)  # enqueued on the restarted Redis
    _wait_for(lambda: _job(services, video_id).status in ("completed", "failed"), 180, "the job to finish")
    assert _job(services, video_id).status == "completed", _job(services, video_id).error
    assert workers.proc.poll() is None


def _threads(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/task").iterdir()))


def test_a_forking_worker_stays_single_threaded_and_its_duties_run_beside_it(restart_setup) -> None:  # type: ignore[no-untyped-def]
    """A work horse forked from a process whose watcher threads hold locks inherits them locked
    and can hang for good; the watcher and sweeper therefore live in a companion process."""
    from tests.procs import descendants

    services, workers, server = restart_setup
    workers.start()
    _wait_for(lambda: Redis(port=server.port).keys("rq:worker:*") != [], 60, "the worker to register")
    assert workers.proc is not None
    pid = workers.proc.pid
    # The sweeper and the watcher's threads live in a child process of their own.
    _wait_for(lambda: any(_threads(c) >= 3 for c in descendants([pid])), 60, "the companion's duties to start")
    assert _threads(pid) <= 4, f"{_threads(pid)} threads in the forking worker"  # main, RQ's pubsub, supervisors

    video_id = _submit(services)  # a forked horse runs it; the companion's sweeper and watcher see it through
    _wait_for(lambda: _job(services, video_id).status in ("completed", "failed"), 180, "the job to finish")
    assert _job(services, video_id).status == "completed", _job(services, video_id).error
