"""`python -m jobs.worker`: an RQ worker for the studio's queue, plus the sweeper and the
provider watcher (see jobs.watcher).

Start any number, on any machines that reach the same REDIS_URL and DATABASE_URL.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from rq import SimpleWorker, Worker
from rq.serializers import JSONSerializer

from core.adapters.db.database import Database
from core.bootstrap import build_services, describe, install_services
from core.config import Settings, get_settings
from core.errors import ConfigurationError
from core.ports_services import Services
from jobs import sweeper
from jobs.watcher import ProviderWatcher

logger = logging.getLogger("jobs.worker")


def _sweep_forever(services, interval_s: float, stop: threading.Event) -> None:  # type: ignore[no-untyped-def]
    while not stop.wait(interval_s):
        try:
            sweeper.sweep(services)
        except Exception:
            logger.exception("sweep failed")


REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def supervise(
    make_worker: Callable[[], Any],
    *,
    redis_conn: Any,
    burst: bool,
    max_backoff_s: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Run RQ workers one after another until a stop is asked for.

    RQ's work loop quits on most Redis errors (a restart, a failover, a network blip),
    and at start it cannot even register without Redis. Job truth lives in the database,
    so a fresh worker loses nothing: wait for Redis with backoff, then start again.
    """
    backoff = 1.0
    while True:
        worker = make_worker()
        try:
            worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")
        except REDIS_ERRORS as exc:
            logger.warning("the RQ worker lost Redis: %s", exc)
        if burst or getattr(worker, "_stop_requested", False):
            return
        while not _redis_up(redis_conn):
            logger.warning("Redis is not reachable; trying again in %.0fs", backoff)
            sleep(backoff)
            backoff = min(max_backoff_s, backoff * 2)
        backoff = 1.0
        logger.warning("Redis is reachable; starting a new RQ worker")


def _redis_up(redis_conn: Any) -> bool:
    try:
        return bool(redis_conn.ping())
    except REDIS_ERRORS:
        return False


def _services_for_worker(settings: Settings) -> Services:
    # One connection per watcher thread, plus the work loop, sweeper and heartbeats.
    db = Database(settings.effective_database_url, pool_size=settings.provider_watch_threads + 4)
    services = build_services(settings, db=db)
    install_services(services)
    return services


def _start_duties(services: Services, *, sweeper_on: bool, watcher_on: bool, stop: threading.Event) -> None:
    """The sweeper and the provider watcher, as threads of the calling process."""
    if sweeper_on:
        sweep_args = (services, services.settings.sweep_interval_s, stop)
        threading.Thread(target=_sweep_forever, args=sweep_args, daemon=True, name="sweeper").start()
    if watcher_on:
        watcher = ProviderWatcher(services, threads=services.settings.provider_watch_threads)
        threading.Thread(target=watcher.run_forever, daemon=True, name="provider-watcher").start()


def run_duties(sweeper_on: bool, watcher_on: bool, parent_pid: int | None = None) -> None:
    """Entry point of the companion process that runs the sweeper and the watcher (forking mode)."""
    parent_pid = parent_pid or os.getppid()  # before the slow start: the parent may be gone by then
    _configure_logging()
    services = _services_for_worker(get_settings())
    stop = threading.Event()
    _start_duties(services, sweeper_on=sweeper_on, watcher_on=watcher_on, stop=stop)
    wait_for_parent(parent_pid, stop)


def wait_for_parent(parent_pid: int, stop: threading.Event, every_s: float = 2.0) -> None:
    """Return once the worker that started this companion is gone. A daemonic child is ended by
    its parent's normal exit only; a worker killed outright (or a shutdown that skips atexit)
    left companions polling providers and sweeping jobs for hours."""
    while not stop.wait(every_s):
        if os.getppid() != parent_pid:
            logger.warning("the worker %s that started this sweeper/watcher is gone; stopping", parent_pid)
            stop.set()


def _keep_companion_alive(sweeper_on: bool, watcher_on: bool) -> None:
    """A forking RQ worker must stay single-threaded: a work horse forked while a watcher thread
    held a lock (an HTTP pool's, a provider cache's) inherits it locked and hangs for good. So in
    that mode the duties run in a spawned process of their own, restarted if it dies."""
    context = multiprocessing.get_context("spawn")

    def watch() -> None:
        while True:
            companion = context.Process(
                target=run_duties, args=(sweeper_on, watcher_on, os.getpid()), daemon=True, name="studio-duties"
            )
            companion.start()
            companion.join()
            logger.warning("the sweeper/watcher process exited (%s); starting it again", companion.exitcode)
            time.sleep(1.0)

    threading.Thread(target=watch, daemon=True, name="duties-supervisor").start()


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at INFO; some providers take the API key as a query parameter.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    parser.add_argument("--simple", action="store_true", help="run jobs in this process (no fork)")
    parser.add_argument("--no-sweeper", action="store_true")
    parser.add_argument("--no-watcher", action="store_true", help="do not watch waiting provider predictions")
    args = parser.parse_args(argv)
    _configure_logging()

    settings = get_settings()
    if not settings.uses_redis:
        raise ConfigurationError("Set REDIS_URL to run workers; without it the studio runs jobs itself.")
    services = _services_for_worker(settings)
    for line in describe(services):
        logger.info(line)
    services.db.migrate()

    stop = threading.Event()
    duties = {"sweeper_on": not args.no_sweeper, "watcher_on": not args.no_watcher}
    if args.simple:
        _start_duties(services, stop=stop, **duties)  # jobs run in this process: threads are safe here
    elif any(duties.values()):
        _keep_companion_alive(**duties)
    worker_class = SimpleWorker if args.simple else Worker
    queue = services.queue.queue  # type: ignore[attr-defined]
    try:
        supervise(
            lambda: worker_class([queue], connection=queue.connection, serializer=JSONSerializer),
            redis_conn=queue.connection,
            burst=args.burst,
        )
    finally:
        stop.set()


if __name__ == "__main__":
    main()
