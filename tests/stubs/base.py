"""What every vendor stub shares: routing, per-endpoint counters, faults, predictions, files.

Knobs (constructor keywords, also plain attributes you may change while running):
- `completes_after_s`: time from creation to completion (queued for the first third).
- `walk_statuses`: when True, each status read advances at most one stage, so a test
  sees every documented status in order even with `completes_after_s=0`.
- `fail_rate`: share of created predictions that fail (seeded RNG, `seed`).
- `record_requests`: keep every request in `requests` as (label, StubRequest).
- `faults`: a `FaultPlan`; kinds: `rate_limit` (429 + Retry-After), `server_error` (500),
  `slow` (answer after `delay_s`), `drop` (close the socket unanswered, nothing done),
  `hang` (hold the request `delay_s` unanswered, then close; nothing done), `lost` (do the
  work, e.g. create the paid prediction, then close the socket: the answer is lost), `fail` (the next
  prediction fails), `unknown_status`, `terminal_status` (WaveSpeed), `bad_media` (a file
  endpoint serves HTML). `skip=n` lets n matching requests through before the fault.
Counters: `count(endpoint)` counts every request that reached an endpoint (faulted ones
too); `created_count(model=None)` counts predictions actually created (paid work).
Benchmarks: `transient_rate` (share answered 429/503 before any work), `lost_rate` (share
of paid submits whose answer is dropped after the work was created), `poll_fault_rate`
(share of status/result reads answered 429, 500/502/503, held past `hang_s` or dropped,
in equal parts), all seeded.
"""

from __future__ import annotations

import itertools
import random
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from tests.stubs.media import NOT_MEDIA
from tests.stubs.server import DropConnection, StubRequest, StubResponse, StubServer

TRANSPORT_FAULTS = frozenset({"rate_limit", "server_error", "slow", "drop", "hang"})
PAID_LABELS = frozenset({"submit", "veo_submit", "generate", "predict", "tts"})


@dataclass
class Fault:
    kind: str
    times: int = 1
    retry_after_s: float | None = 1.0
    delay_s: float = 2.0
    status: str = ""
    message: str = "The model failed to generate an output."
    skip: int = 0  # let this many matching requests through first


class FaultPlan:
    """Faults queued per endpoint label; each is used `times` times, then dropped. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, list[Fault]] = {}

    def add(self, endpoint: str, kind: str, *, times: int = 1, **options: Any) -> Fault:
        fault = Fault(kind=kind, times=times, **options)
        with self._lock:
            self._faults.setdefault(endpoint, []).append(fault)
        return fault

    def take(self, endpoint: str, kinds: Collection[str]) -> Fault | None:
        with self._lock:
            for fault in self._faults.get(endpoint, []):
                if fault.kind not in kinds or fault.times <= 0:
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                fault.times -= 1
                return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


@dataclass
class Prediction:
    id: str
    model: str
    inputs: dict[str, Any]
    created_at: float
    created_wall: float = 0.0  # time.time() at creation, for latency measurements
    polls: int = 0
    reached: int = 0
    fail: str | None = None
    fail_detail: Any = None
    terminal: str | None = None
    output: dict[str, Any] = field(default_factory=dict)


Route = tuple[str, "re.Pattern[str]", str, bool, Callable[..., StubResponse]]


class VendorStub:
    """Subclasses add routes with `route()` and implement `authorized` and `error`."""

    def __init__(
        self,
        *,
        api_key: str = "test-key",
        completes_after_s: float = 0.0,
        walk_statuses: bool = True,
        fail_rate: float = 0.0,
        seed: int = 0,
        record_requests: bool = True,
        host: str = "127.0.0.1",
    ) -> None:
        self.api_key = api_key
        self.completes_after_s = completes_after_s
        self.walk_statuses = walk_statuses
        self.fail_rate = fail_rate
        self.transient_rate = 0.0  # share of API responses answered 429/503 at random (benchmarks)
        self.lost_rate = 0.0  # share of paid submits processed, then answered by a dropped socket
        self.lost_served = 0
        self.poll_fault_rate = 0.0  # share of status/result reads answered 429, 5xx, a hang or a drop
        self.hang_s = 2.0
        self.webhook_delay_s = 0.05  # after completion, callbacks are POSTed (submit asked for one)
        self.webhooks_sent: list[tuple[str, int]] = []  # (url, status answered; 0 = unreachable)
        self.ingress_html: str | None = None  # set: paid submits get a gateway's HTML 502 (nothing created)
        self._poll_faults = 0
        self.poll_labels = frozenset({"status", "result", "veo_status"})
        self._transient_served = 0
        self.faults = FaultPlan()
        self.predictions: dict[str, Prediction] = {}
        self.files: dict[str, tuple[bytes, str]] = {}
        self.record_requests = record_requests  # False for long benchmarks: keeps memory flat
        self.requests: list[tuple[str, StubRequest]] = []
        self._hits: Counter[str] = Counter()
        self._created: Counter[str] = Counter()
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        self._ids = itertools.count(1)
        self._routes: list[Route] = []
        self.route("GET", r"/files/(?P<name>[A-Za-z0-9._-]+)", "file", self._serve_file, auth=False)
        self._server = StubServer(self._dispatch, host)

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        return self._server.url

    def start(self) -> VendorStub:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ counters

    def count(self, endpoint: str) -> int:
        with self._lock:
            return self._hits[endpoint]

    @property
    def poll_faults(self) -> int:
        """How many reads `poll_fault_rate` spoiled."""
        with self._lock:
            return self._poll_faults

    def created_count(self, model: str | None = None) -> int:
        with self._lock:
            return self._created[model] if model else sum(self._created.values())

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
            self._created.clear()
            self.requests.clear()
        self.faults.clear()

    # ------------------------------------------------------------------ routing

    def route(
        self, method: str, pattern: str, label: str, handler: Callable[..., StubResponse], *, auth: bool = True
    ) -> None:
        self._routes.append((method, re.compile(f"^{pattern}$"), label, auth, handler))

    def authorized(self, request: StubRequest) -> bool:
        raise NotImplementedError

    def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> StubResponse:
        raise NotImplementedError

    def _dispatch(self, request: StubRequest) -> StubResponse:
        for method, pattern, label, auth, handler in self._routes:
            match = pattern.match(request.path)
            if method != request.method or not match:
                continue
            with self._lock:
                self._hits[label] += 1
                if self.record_requests:
                    self.requests.append((label, request))
            faulted = self._transport_fault(label)
            if faulted is not None:
                return faulted
            if auth and not self.authorized(request):
                return self.error(401, "Invalid or missing API key")
            response = handler(request, **match.groupdict())
            if response.status < 300 and self._lose(label):
                raise DropConnection  # the work was done; only the answer is lost
            return response
        return self.error(404, f"No route for {request.method} {request.path}")

    def _lose(self, label: str) -> bool:
        lose = self.faults.take(label, {"lost"}) is not None
        if not lose and self.lost_rate and label in PAID_LABELS:
            with self._lock:
                lose = self._rng.random() < self.lost_rate
        if lose:
            with self._lock:
                self.lost_served += 1
        return lose

    def _read_fault(self, label: str) -> StubResponse | None:
        """Random faults on reads of a prediction (polls cost nothing, so clients may retry them)."""
        if label not in self.poll_labels or not self.poll_fault_rate:
            return None
        with self._lock:
            roll = self._rng.random() / self.poll_fault_rate
            self._poll_faults += roll < 1
        if roll >= 1:
            return None
        if roll < 0.25:
            return self.error(429, "Rate limit exceeded", {"Retry-After": "0"})
        if roll < 0.5:
            status = (500, 502, 503)[int(roll * 12) % 3]
            return StubResponse(
                status, b"<html><head><title>Bad Gateway</title></head></html>", {"Content-Type": "text/html"}
            )
        if roll < 0.75:
            time.sleep(self.hang_s)
        raise DropConnection

    def _transport_fault(self, label: str) -> StubResponse | None:
        if self.ingress_html is not None and label in PAID_LABELS:
            return StubResponse(502, self.ingress_html.encode(), {"Content-Type": "text/html"})
        fault = self.faults.take(label, TRANSPORT_FAULTS)
        if fault is None:
            read_fault = self._read_fault(label)
            if read_fault is not None:
                return read_fault
        if fault is None and self.transient_rate and label != "file":
            with self._lock:
                roll = self._rng.random()
            if roll < self.transient_rate:  # before any handler runs: nothing was created
                self._transient_served += 1
                if roll < self.transient_rate / 2:
                    return self.error(429, "Rate limit exceeded", {"Retry-After": "1"})
                return self.error(503, "Service temporarily unavailable")
        if fault is None:
            return None
        if fault.kind == "drop":
            raise DropConnection
        if fault.kind == "hang":
            time.sleep(fault.delay_s)
            raise DropConnection
        if fault.kind == "slow":
            time.sleep(fault.delay_s)
            return None
        if fault.kind == "rate_limit":
            headers = {"Retry-After": f"{fault.retry_after_s:g}"} if fault.retry_after_s is not None else {}
            return self.error(429, "Rate limit exceeded", headers)
        return self.error(500, "Internal server error")

    # ------------------------------------------------------------------ predictions

    def new_id(self) -> str:
        return f"{next(self._ids):04d}-{uuid.uuid4().hex[:12]}"

    def create(self, model: str, inputs: dict[str, Any], *, label: str = "submit") -> Prediction:
        prediction = Prediction(self.new_id(), model, inputs, time.monotonic(), time.time())
        fault = self.faults.take(label, {"fail"})
        with self._lock:
            if fault is not None:
                prediction.fail = fault.message
            elif self.fail_rate and self._rng.random() < self.fail_rate:
                prediction.fail = "The model failed to generate an output."
            self.predictions[prediction.id] = prediction
            self._created[model] += 1
        return prediction

    def stage(self, prediction: Prediction) -> int:
        """0 queued, 1 running, 2 finished; advances the prediction's poll count."""
        elapsed = time.monotonic() - prediction.created_at
        done_at = self.completes_after_s
        by_time = 2 if elapsed >= done_at else (1 if elapsed >= done_at / 3 else 0)
        with self._lock:
            stage = min(by_time, prediction.polls) if self.walk_statuses else by_time
            prediction.polls += 1
            prediction.reached = max(prediction.reached, stage)
            return prediction.reached

    def finished(self, prediction: Prediction) -> bool:
        """Whether a result read may succeed (without advancing the status walk)."""
        elapsed = time.monotonic() - prediction.created_at
        with self._lock:
            return prediction.reached >= 2 or (not self.walk_statuses and elapsed >= self.completes_after_s)

    def status_fault(self, label: str) -> Fault | None:
        return self.faults.take(label, {"unknown_status", "terminal_status"})

    # ------------------------------------------------------------------ webhooks

    def call_back(
        self, url: str, prediction: Prediction, make: Callable[[Prediction], tuple[bytes, dict[str, str]]]
    ) -> None:
        """POST a signed callback to `url` once the prediction is done (in a timer thread)."""
        import httpx

        def deliver() -> None:
            body, headers = make(prediction)
            try:
                status = httpx.post(
                    url, content=body, headers={"Content-Type": "application/json", **headers}, timeout=5.0
                ).status_code
            except httpx.HTTPError:
                status = 0
            with self._lock:
                self.webhooks_sent.append((url, status))

        timer = threading.Timer(self.completes_after_s + self.webhook_delay_s, deliver)
        timer.daemon = True
        timer.start()

    # ------------------------------------------------------------------ files

    def put_file(self, data: bytes, content_type: str, name: str | None = None) -> str:
        name = name or f"{uuid.uuid4().hex}"
        with self._lock:
            self.files[name] = (data, content_type)
        return f"{self.url}/files/{name}"

    def file_of(self, url: Any) -> tuple[bytes, str] | None:
        prefix = f"{self.url}/files/"
        if not isinstance(url, str) or not url.startswith(prefix):
            return None
        with self._lock:
            return self.files.get(url[len(prefix) :])

    def _serve_file(self, request: StubRequest, name: str) -> StubResponse:
        if self.faults.take("file", {"bad_media"}) is not None:
            return StubResponse(200, NOT_MEDIA, {"Content-Type": "text/html"})
        with self._lock:
            found = self.files.get(name)
        if found is None:
            return StubResponse(404, b"not found")
        return StubResponse(200, found[0], {"Content-Type": found[1]})
