"""Run one benchmark command several times and report it the way docs/benchmarks.md does.

    .venv/bin/python -m bench.repeat [--runs 3] -- .venv/bin/python -m bench.bench_runner --jobs 30

Each run is a fresh process. A benchmark prints one JSON object per line; lines that name
the same measurement (the same non-numeric fields, e.g. `{"bench": ..., "db": ...}`) are
gathered across runs and every numeric field is reported as min / median / max. Beside
them: the commit, the load average at the start and end of all runs, and wall and CPU
time (user + sys of the whole process tree, FFmpeg children included) per run, so a
figure measured on a loaded machine says so.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

Key = tuple[tuple[str, str], ...]


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True)
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _children_cpu() -> float:
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return kids.ru_utime + kids.ru_stime


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run_once(command: list[str]) -> tuple[list[dict[str, Any]], float, float]:
    cpu0, started = _children_cpu(), time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - started, _children_cpu() - cpu0
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"the benchmark exited with {done.returncode}")
    lines = []
    for line in done.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                parsed = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(parsed, dict):
                lines.append(flatten(parsed))
    return lines, wall, cpu


def flatten(line: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested figures (`{"ours": {"wall_s": ...}}`) become dotted fields (`ours.wall_s`), so
    they are gathered across runs too; a list of per-run samples is detail, not a key."""
    flat: dict[str, Any] = {}
    for name, value in line.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{name}."))
        elif not isinstance(value, list):
            flat[f"{prefix}{name}"] = value
    return flat


def _key(line: dict[str, Any]) -> Key:
    return tuple(sorted((k, str(v)) for k, v in line.items() if not _numeric(v)))


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def summarise(runs: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    gathered: dict[Key, list[dict[str, Any]]] = {}
    for lines in runs:
        for line in lines:
            gathered.setdefault(_key(line), []).append(line)
    out = []
    for key, lines in gathered.items():
        figures: dict[str, Any] = dict(key)
        for field in sorted({k for line in lines for k, v in line.items() if _numeric(v)}):
            values = sorted(line[field] for line in lines if _numeric(line.get(field)))
            figures[field] = {"min": values[0], "median": statistics.median(values), "max": values[-1]}
        figures["runs"] = len(lines)
        out.append(figures)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the benchmark command after --")
    load_start, runs, walls, cpus = _load(), [], [], []
    for _ in range(args.runs):
        lines, wall, cpu = run_once(command)
        runs.append(lines)
        walls.append(round(wall, 2))
        cpus.append(round(cpu, 2))
    report = {
        "command": " ".join(command),
        "commit": _commit(),
        "cpus": os.cpu_count(),
        "load_start": load_start,
        "load_end": _load(),
        "wall_s_per_run": walls,
        "cpu_s_per_run": cpus,
        "figures": summarise(runs),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
