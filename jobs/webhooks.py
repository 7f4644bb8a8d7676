"""`python -m jobs.webhooks`: the fast path for long provider waits.

A small ASGI app (Starlette on uvicorn) that verifies WaveSpeed's HMAC and fal's Ed25519
signatures, drops anything older than 5 minutes or already seen, and hands the waiting
job to the runner at once. It never finalizes anything itself: the next engine pass
polls the provider, and the engine's claim makes a webhook racing a scheduled poll
converge on one pass. Polling stays the fallback when a webhook never arrives.
"""

from __future__ import annotations

import argparse
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core.adapters.db.models import JobStep
from core.adapters.providers.webhooks import JwksCache, WebhookEvent, WebhookRejected, verify_fal, verify_wavespeed
from core.bootstrap import Services
from core.domain.types import StepStatus
from jobs.media_links import media_routes

logger = logging.getLogger(__name__)

REPLAY_WINDOW_S = 600  # longer than the 5-minute timestamp tolerance either way


class SeenIds(Protocol):
    def first_time(self, event_id: str) -> bool: ...


class MemorySeenIds:
    """One receiver process: remembered ids expire after the replay window."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def first_time(self, event_id: str) -> bool:
        now = self._clock()
        with self._lock:
            self._seen = {k: t for k, t in self._seen.items() if now - t < REPLAY_WINDOW_S}
            if event_id in self._seen:
                return False
            self._seen[event_id] = now
            return True


class RedisSeenIds:
    """Several receivers behind a load balancer share what they have seen."""

    def __init__(self, redis: Any) -> None:
        self._redis = redis

    def first_time(self, event_id: str) -> bool:
        return bool(self._redis.set(f"studio:webhook:{event_id}", 1, nx=True, ex=REPLAY_WINDOW_S))


def wake_waiting_job(services: Services, request_id: str) -> str | None:
    """Enqueue the job whose step waits on this provider request; its id, or None."""
    with services.db.session() as session:
        job_id = session.scalar(
            select(JobStep.job_id)
            .where(
                JobStep.provider_request_id.contains(request_id),
                JobStep.status.in_((StepStatus.WAITING.value, StepStatus.RUNNING.value)),
            )
            .limit(1)
        )
    if job_id:
        services.queue.enqueue(job_id)
    return job_id


def create_app(
    services: Services,
    *,
    seen: SeenIds,
    jwks: JwksCache | None = None,
    clock: Callable[[], float] = time.time,
) -> Starlette:
    settings = services.settings

    async def accept(request: Request, verify: Callable[[dict[str, str], bytes], WebhookEvent]) -> JSONResponse:
        body = await request.body()  # the raw bytes: signatures cover them, not re-serialized JSON
        try:
            event = verify(dict(request.headers), body)
        except WebhookRejected as exc:
            logger.warning("webhook rejected on %s: %s", request.url.path, exc.message)
            return JSONResponse({"error": exc.code, "message": exc.message}, status_code=401)
        if not seen.first_time(event.event_id):
            return JSONResponse({"error": "replayed", "message": "This webhook was already received."}, status_code=409)
        job_id = wake_waiting_job(services, event.request_id)
        return JSONResponse({"status": "accepted", "matched": bool(job_id)})

    async def wavespeed(request: Request) -> JSONResponse:
        secret = settings.wavespeed_webhook_secret.get_secret_value()
        return await accept(request, lambda h, b: verify_wavespeed(h, b, secret, clock()))

    async def fal(request: Request) -> JSONResponse:
        if jwks is None:
            return JSONResponse({"error": "not_configured"}, status_code=503)

        def verify(headers: dict[str, str], body: bytes) -> WebhookEvent:
            try:
                return verify_fal(headers, body, jwks.keys(), clock())
            except WebhookRejected:
                return verify_fal(headers, body, jwks.keys(refresh=True), clock())  # fal may have rotated keys

        return await accept(request, verify)

    return Starlette(routes=[
        Route("/webhooks/wavespeed", wavespeed, methods=["POST"]),
        Route("/webhooks/fal", fal, methods=["POST"]),
        *media_routes(services),  # expiring links to local files (jobs.media_links)
    ])


def main(argv: list[str] | None = None) -> None:
    import httpx
    import uvicorn

    from core.bootstrap import build_services, install_services

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8502)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    services = build_services()
    install_services(services)
    seen: SeenIds = MemorySeenIds()
    if services.settings.uses_redis:
        from redis import Redis

        seen = RedisSeenIds(Redis.from_url(services.settings.redis_url))
    jwks = JwksCache(httpx.Client(timeout=10.0), url=services.settings.fal_jwks_url)
    uvicorn.run(create_app(services, seen=seen, jwks=jwks), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
