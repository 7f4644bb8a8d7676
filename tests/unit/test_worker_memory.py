"""A worker gives the heap's free pages back after a heavy step, so the next step's FFmpeg does
not run beside the high-water mark of the last one (the offline ad's storyboard left 430 MB
resident, 250 MB of it free heap)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.adapters.db.models.jobs import Job
from core.ports_services import Services
from jobs import engine, memory
from jobs.pipeline import Pipeline, Step, register

ROOT = Path(__file__).resolve().parents[2]
BLOCKS, BLOCK_FLOATS = 300, 250_000  # 300 blocks of 2 MB


def _rss_mb() -> int:
    return int(next(line for line in open("/proc/self/status") if line.startswith("VmRSS")).split()[1]) // 1024


def _fragment_the_heap() -> None:
    """Freed large blocks that glibc keeps: a freed 16 MB mapping raises its mmap threshold, so the
    2 MB blocks after it come from the heap, and one block still alive holds the heap's top."""
    np.ones(2_000_000)
    blocks = [np.ones(BLOCK_FLOATS) for _ in range(BLOCKS)]
    _fragment_the_heap.keep = blocks[-1]  # type: ignore[attr-defined]


register(Pipeline(kind="test_heavy_step", steps=(Step("heavy", lambda ctx: _fragment_the_heap() or {}),)))


@pytest.mark.skipif(memory._malloc_trim() is None, reason="only glibc keeps freed heap like this")
def test_the_free_heap_goes_back_to_the_system() -> None:
    script = (
        "from tests.unit.test_worker_memory import _fragment_the_heap, _rss_mb; from jobs import memory;"
        "_fragment_the_heap(); before = _rss_mb(); released = memory.give_back_free_memory();"
        "print(before, _rss_mb(), released)"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    before, after, released = out.stdout.split()
    assert released == "True"
    assert int(before) > 500 and int(after) < int(before) - 400, out.stdout


@pytest.mark.skipif(memory._malloc_trim() is None, reason="only glibc keeps freed heap like this")
def test_the_engine_releases_it_after_a_heavy_step(
    services: Services, owner: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memory, "HEAVY_STEP_S", 0.0)  # the step is heavy in memory, not in time
    with services.db.session() as session:
        job = Job(owner_id=owner, kind="test_heavy_step")
        session.add(job)
        session.flush()
        job_id = job.id
    before = _rss_mb()
    engine.advance(job_id, services)
    assert _rss_mb() < before + 200  # 600 MB were allocated and freed inside the step
    with services.db.session() as session:
        assert session.get(Job, job_id).status == "completed"  # type: ignore[union-attr]
