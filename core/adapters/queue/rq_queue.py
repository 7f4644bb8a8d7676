"""RQ on Redis: any number of `python -m jobs.worker` processes on any machines.

Jobs are enqueued by dotted path with the JSON serializer (pickle would let anyone who
can write to Redis run code on the workers).

Delayed work (provider polls, retry backoffs) is not put in Redis at all by default: the
job row's `run_after` is the schedule, and each worker's provider watcher
(`jobs.watcher`) leases due jobs from the database, polls providers concurrently and
enqueues a job only when it has real work. `delays_in_db=False` uses RQ's scheduler
instead (one engine pass per poll).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from rq import Queue
from rq.serializers import JSONSerializer

from core.adapters.queue.tasks import ADVANCE_JOB

logger = logging.getLogger(__name__)

# A step never holds a worker for long: provider waits are scheduled polls, so each RQ job
# is one pass of the engine. The bound still covers a slow FFmpeg encode.
JOB_TIMEOUT_S = 900


class RqQueue:
    name = "rq"

    def __init__(
        self, redis: Any, *, queue_name: str = "studio", task: str = ADVANCE_JOB, delays_in_db: bool = True
    ) -> None:
        self.redis = redis
        self.queue = Queue(queue_name, connection=redis, serializer=JSONSerializer)
        self._task = task
        self.delays_in_db = delays_in_db

    def enqueue(self, job_id: str, *, delay_s: float = 0.0) -> None:
        options: dict[str, Any] = {
            "job_id": f"{job_id}-{uuid.uuid4().hex[:8]}",
            "job_timeout": JOB_TIMEOUT_S,
            "result_ttl": 60,
            "failure_ttl": 24 * 3600,
        }
        if delay_s > 0 and self.delays_in_db:
            return  # the job row's run_after is the schedule; a worker's watcher picks it up
        if delay_s > 0:
            self.queue.enqueue_in(timedelta(seconds=delay_s), self._task, job_id, **options)
        else:
            self.queue.enqueue(self._task, job_id, **options)

    def check(self) -> str:
        self.redis.ping()
        return f"rq on redis (queue '{self.queue.name}', {len(self.queue)} waiting)"

    def shutdown(self) -> None:
        return None
