"""Task entry points, referenced by dotted path from the queue adapters."""

from __future__ import annotations

import logging

from core.bootstrap import get_services
from jobs import engine, sweeper

logger = logging.getLogger(__name__)


def advance_job(job_id: str) -> None:
    engine.advance(job_id, get_services())


def sweep() -> dict[str, int]:
    return sweeper.sweep(get_services())
