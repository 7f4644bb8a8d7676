"""Wall time, CPU time (user + sys of this process and its children) and peak memory while an action runs.

Peak memory is sampled from /proc every 50 ms: this process's own resident set, and the
sum over its child processes (FFmpeg), so "Python + FFmpeg together" is their sum at the
worst moment. The load average is recorded before and after (the machine is shared).
"""

from __future__ import annotations

import os
import resource
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.procs import descendants, tree_rss_mb


def _self_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def measure(action: Callable[[], Any]) -> tuple[Any, dict[str, Any]]:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu0 = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    peaks = {"python_mb": 0.0, "children_mb": 0.0, "together_mb": 0.0}
    done = threading.Event()

    def sample() -> None:
        pid = os.getpid()
        while not done.is_set():
            mine = _self_rss_mb()
            children = tree_rss_mb(descendants([pid])) if descendants([pid]) else 0.0
            peaks["python_mb"] = max(peaks["python_mb"], mine)
            peaks["children_mb"] = max(peaks["children_mb"], children)
            peaks["together_mb"] = max(peaks["together_mb"], mine + children)
            done.wait(0.05)

    before = load()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    try:
        result = action()
    finally:
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime - cpu0
    figures = {
        "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), **{k: round(v, 1) for k, v in peaks.items()},
        "load_before": before, "load_after": load(),
    }  # fmt: skip
    return result, figures
