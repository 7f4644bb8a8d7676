"""The default runner: worker threads inside this process, with a timer for delayed work.

Good for a laptop or a Streamlit Cloud demo. Job truth lives in the database, so a
process restart loses nothing: the sweeper re-enqueues what was in flight.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time

from core.adapters.queue.tasks import ADVANCE_JOB, resolve

logger = logging.getLogger(__name__)


class EmbeddedQueue:
    name = "embedded"

    def __init__(
        self,
        *,
        workers: int = 2,
        task: str = ADVANCE_JOB,
        periodic: tuple[tuple[str, float], ...] = (),
    ) -> None:
        self._task_path = task
        self._heap: list[tuple[float, int, str]] = []
        self._due: dict[str, float] = {}  # job id -> earliest due time already queued
        self._running: set[str] = set()
        self._seq = itertools.count()
        # Only worker threads wait on `_cond`, so `notify()` always wakes one that can run
        # the job; periodic tasks sleep on their own event (a wake-up they took was lost).
        self._cond = threading.Condition()
        self._stopped = False
        self._stop_event = threading.Event()
        self._threads = [
            threading.Thread(target=self._work, name=f"studio-worker-{i}", daemon=True) for i in range(workers)
        ]
        self._periodic = [
            threading.Thread(target=self._every, args=(path, interval), daemon=True, name=f"studio-{path}")
            for path, interval in periodic
        ]
        for thread in self._threads + self._periodic:
            thread.start()

    def enqueue(self, job_id: str, *, delay_s: float = 0.0) -> None:
        due = time.monotonic() + max(0.0, delay_s)
        with self._cond:
            if job_id in self._due and self._due[job_id] <= due:
                return  # already queued to run no later than this
            self._due[job_id] = due
            heapq.heappush(self._heap, (due, next(self._seq), job_id))
            self._cond.notify()

    def _next_job(self) -> str | None:
        with self._cond:
            while not self._stopped:
                now = time.monotonic()
                if self._heap and self._heap[0][0] <= now:
                    due, _, job_id = heapq.heappop(self._heap)
                    if self._due.get(job_id) != due:
                        continue  # superseded by an earlier entry
                    if job_id in self._running:
                        # Never run one job in two threads; retry shortly.
                        heapq.heappush(self._heap, (now + 0.2, next(self._seq), job_id))
                        continue
                    del self._due[job_id]
                    self._running.add(job_id)
                    return job_id
                timeout = self._heap[0][0] - now if self._heap else None
                self._cond.wait(timeout)
            return None

    def _work(self) -> None:
        while (job_id := self._next_job()) is not None:
            try:
                resolve(self._task_path)(job_id)
            except Exception:
                logger.exception("job %s raised out of the runner", job_id)
            finally:
                with self._cond:
                    self._running.discard(job_id)

    def _every(self, path: str, interval_s: float) -> None:
        # Wait first: the process migrates and seeds right after building its services.
        while not self._stop_event.wait(interval_s):
            try:
                resolve(path)()
            except Exception:
                logger.exception("periodic task %s failed", path)

    def pending(self) -> int:
        with self._cond:
            return len(self._due) + len(self._running)

    def check(self) -> str:
        alive = sum(t.is_alive() for t in self._threads)
        if self._threads and not alive:
            raise RuntimeError("no embedded worker thread is alive")
        return f"embedded threads ({alive} workers, {self.pending()} jobs in hand)"

    def shutdown(self) -> None:
        self._stop_event.set()
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
