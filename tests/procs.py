"""Process trees read from /proc: to SIGKILL a worker with its work horse (crash tests) and to
sum the memory of a worker and its children (benchmarks). Linux only."""

from __future__ import annotations

import contextlib
from pathlib import Path


def descendants(pids: list[int]) -> list[int]:
    """Every process below `pids` (RQ puts its horse in a session of its own, so groups miss it)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], list(pids)
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def tree_rss_mb(pids: list[int]) -> float:
    """Resident memory of `pids` and all their descendants, in MB (shared pages counted per process)."""
    total_kb = 0
    for pid in [*pids, *descendants(pids)]:
        with contextlib.suppress(OSError, ValueError, IndexError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
    return total_kb / 1024
