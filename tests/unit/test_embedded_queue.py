"""The embedded runner (the default install) must never leave an enqueued job waiting."""

from __future__ import annotations

import threading
import time

from core.adapters.queue.embedded import EmbeddedQueue

RAN: list[str] = []
DONE = threading.Condition()
TICKS: list[float] = []


def record(job_id: str) -> None:
    with DONE:
        RAN.append(job_id)
        DONE.notify_all()


def tick() -> None:
    TICKS.append(time.monotonic())


def _wait_for_runs(count: int, timeout_s: float) -> bool:
    with DONE:
        return DONE.wait_for(lambda: len(RAN) >= count, timeout=timeout_s)


def test_a_job_enqueued_while_a_periodic_task_waits_runs_at_once() -> None:
    """One worker and one periodic task share the queue's lock. After the worker has run a
    job it waits again behind the periodic task; the next enqueue must still wake it."""
    RAN.clear()
    queue = EmbeddedQueue(workers=1, task=f"{__name__}.record", periodic=((f"{__name__}.tick", 3600.0),))
    try:
        for n in range(3):
            queue.enqueue(f"job-{n}")
            assert _wait_for_runs(n + 1, 2.0), f"job-{n} stayed queued; ran only {RAN}"
            time.sleep(0.05)  # let the worker go back to waiting
    finally:
        queue.shutdown()


def test_periodic_tasks_run_on_their_interval_and_stop_on_shutdown() -> None:
    TICKS.clear()
    queue = EmbeddedQueue(workers=1, task=f"{__name__}.record", periodic=((f"{__name__}.tick", 0.05),))
    time.sleep(0.4)
    queue.shutdown()
    count = len(TICKS)
    assert count >= 3
    time.sleep(0.2)
    assert len(TICKS) <= count + 1


def test_a_delayed_job_runs_after_its_delay_not_before() -> None:
    RAN.clear()
    queue = EmbeddedQueue(workers=1, task=f"{__name__}.record", periodic=((f"{__name__}.tick", 3600.0),))
    try:
        start = time.monotonic()
        queue.enqueue("later", delay_s=0.3)
        assert _wait_for_runs(1, 3.0)
        assert time.monotonic() - start >= 0.3
    finally:
        queue.shutdown()
