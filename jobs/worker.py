"""`python -m jobs.worker`: an RQ worker for the studio's queue, plus the sweeper and the
provider watcher (see jobs.watcher).

Start any number, on any machines that reach the same REDIS_URL and DATABASE_URL.
"""

from __future__ import annotations

import argparse
import logging
import threading

from rq import SimpleWorker, Worker
from rq.serializers import JSONSerializer

from core.adapters.db.database import Database
from core.bootstrap import build_services, describe, install_services
from core.config import get_settings
from core.errors import ConfigurationError
from jobs import sweeper
from jobs.watcher import ProviderWatcher

logger = logging.getLogger("jobs.worker")


def _sweep_forever(services, interval_s: float, stop: threading.Event) -> None:  # type: ignore[no-untyped-def]
    while not stop.wait(interval_s):
        try:
            sweeper.sweep(services)
        except Exception:
            logger.exception("sweep failed")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    parser.add_argument("--simple", action="store_true", help="run jobs in this process (no fork)")
    parser.add_argument("--no-sweeper", action="store_true")
    parser.add_argument("--no-watcher", action="store_true", help="do not watch waiting provider predictions")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at INFO; some providers take the API key as a query parameter.
    logging.getLogger("httpx").setLevel(logging.WARNING)

    settings = get_settings()
    if not settings.uses_redis:
        raise ConfigurationError("Set REDIS_URL to run workers; without it the studio runs jobs itself.")
    # One connection per watcher thread, plus the work loop, sweeper and heartbeats.
    db = Database(settings.effective_database_url, pool_size=settings.provider_watch_threads + 4)
    services = build_services(settings, db=db)
    install_services(services)
    for line in describe(services):
        logger.info(line)
    services.db.migrate()

    stop = threading.Event()
    if not args.no_sweeper:
        threading.Thread(
            target=_sweep_forever, args=(services, settings.sweep_interval_s, stop), daemon=True
        ).start()
    if not args.no_watcher:
        watcher = ProviderWatcher(services, threads=settings.provider_watch_threads)
        threading.Thread(target=watcher.run_forever, daemon=True, name="provider-watcher").start()
    worker_class = SimpleWorker if args.simple else Worker
    queue = services.queue.queue  # type: ignore[attr-defined]
    worker = worker_class([queue], connection=queue.connection, serializer=JSONSerializer)
    try:
        worker.work(burst=args.burst, with_scheduler=True, logging_level="WARNING")
    finally:
        stop.set()


if __name__ == "__main__":
    main()
