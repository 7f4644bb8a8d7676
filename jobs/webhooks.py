"""`python -m jobs.webhooks`: the fast path for long provider waits.

A small ASGI app (Starlette on uvicorn) that verifies WaveSpeed's HMAC and fal's Ed25519
signatures, drops anything older than 5 minutes or already seen, and hands the waiting
job to the runner at once. Submits name their step attempt in the callback URL
(`?attempt=<token>`, see jobs.paid_calls), so a webhook for a prediction whose submit
answer was lost adopts it instead of the studio paying again. The receiver never
finalizes a result itself: the woken engine pass polls the provider and collects, and the
engine's claim makes a webhook racing a scheduled poll converge on one pass. An event is
remembered as seen only after its job was woken, so a failed wake is retried by the
provider. Polling stays the fallback when a webhook never arrives.
"""

from __future__ import annotations

import argparse
import json
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

from core.adapters.db.models.jobs import JobStep
from core.adapters.providers.http.webhooks import JwksCache, WebhookEvent, WebhookRejected, verify_fal, verify_wavespeed
from core.domain.types import StepStatus
from core.ports_services import Services
from jobs import paid_calls
from jobs.media_links import media_routes

logger = logging.getLogger(__name__)

REPLAY_WINDOW_S = 600  # longer than the 5-minute timestamp tolerance either way


class SeenIds(Protocol):
    def seen(self, event_id: str) -> bool: ...

    def remember(self, event_id: str) -> None: ...


class MemorySeenIds:
    """One receiver process: remembered ids expire after the replay window."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def seen(self, event_id: str) -> bool:
        now = self._clock()
        with self._lock:
            self._seen = {k: t for k, t in self._seen.items() if now - t < REPLAY_WINDOW_S}
            return event_id in self._seen

    def remember(self, event_id: str) -> None:
        with self._lock:
            self._seen[event_id] = self._clock()


class RedisSeenIds:
    """Several receivers behind a load balancer share what they have seen."""

    def __init__(self, redis: Any) -> None:
        self._redis = redis

    def seen(self, event_id: str) -> bool:
        return bool(self._redis.exists(f"studio:webhook:{event_id}"))

    def remember(self, event_id: str) -> None:
        self._redis.set(f"studio:webhook:{event_id}", 1, ex=REPLAY_WINDOW_S)


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


def route_event(services: Services, attempt: str | None, vendor_id: str) -> str | None:
    """The URL's step attempt token adopts or wakes; without one, the request id wakes."""
    if not vendor_id:
        return None
    if attempt:
        return paid_calls.on_webhook(services, attempt, vendor_id)
    return wake_waiting_job(services, vendor_id)


def kie_task_id(body: bytes) -> WebhookEvent:
    """KIE signs nothing (providers.md 4): only the unguessable attempt token in the URL vouches
    for a callback, and the engine still reads the task's state from KIE with our key."""
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise WebhookRejected("The KIE callback body is not JSON.") from exc
    data = found if isinstance(payload, dict) and isinstance(found := payload.get("data"), dict) else {}
    task_id = str(data.get("taskId") or (payload.get("taskId") if isinstance(payload, dict) else "") or "")
    if not task_id:
        raise WebhookRejected("The KIE callback names no task.")
    return WebhookEvent(event_id=f"kie:{task_id}", request_id=task_id, payload=payload)


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
        if seen.seen(event.event_id):
            return JSONResponse({"error": "replayed", "message": "This webhook was already received."}, status_code=409)
        try:
            job_id = route_event(services, request.query_params.get("attempt"), event.request_id)
        except Exception:  # not remembered as seen: the provider's retry of this delivery will work
            logger.exception("webhook %s could not wake its job", event.event_id)
            return JSONResponse({"error": "unavailable", "message": "Try again later."}, status_code=503)
        seen.remember(event.event_id)
        return JSONResponse({"status": "accepted", "matched": bool(job_id)})

    async def wavespeed(request: Request) -> JSONResponse:
        secret = settings.wavespeed_webhook_secret.get_secret_value()
        return await accept(request, lambda h, b: verify_wavespeed(h, b, secret, clock()))

    async def fal(request: Request) -> JSONResponse:
        if jwks is None:
            return JSONResponse({"error": "not_configured"}, status_code=503)
        user_id = settings.fal_webhook_user_id or None

        def verify(headers: dict[str, str], body: bytes) -> WebhookEvent:
            try:
                return verify_fal(headers, body, jwks.keys(), clock(), expected_user_id=user_id)
            except WebhookRejected:
                # fal may have rotated its keys; the cache refetches at most once a minute
                return verify_fal(headers, body, jwks.keys(refresh=True), clock(), expected_user_id=user_id)

        return await accept(request, verify)

    async def kie(request: Request) -> JSONResponse:
        if not request.query_params.get("attempt"):
            return JSONResponse({"error": "webhook_rejected", "message": "No step attempt named."}, status_code=401)
        return await accept(request, lambda h, b: kie_task_id(b))

    return Starlette(
        routes=[
            Route("/webhooks/wavespeed", wavespeed, methods=["POST"]),
            Route("/webhooks/fal", fal, methods=["POST"]),
            Route("/webhooks/kie", kie, methods=["POST"]),
            *media_routes(services),  # expiring links to local files (jobs.media_links)
        ]
    )


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
