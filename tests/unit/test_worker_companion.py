"""A forking worker's sweeper/watcher companion stops when its worker is gone, however the worker
ended: a worker killed outright left its companion polling providers and sweeping jobs for hours
(seen after the paid-calls bench stopped its workers)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


def test_the_companion_stops_when_its_worker_is_killed(tmp_path: Path) -> None:
    worker = (  # the worker's own supervisor starts the companion; then the worker is killed outright
        "import glob, os, signal, time;"
        "from jobs.worker import _keep_companion_alive;"
        "_keep_companion_alive(False, False); time.sleep(3.0);"
        "kids = [p for f in glob.glob('/proc/self/task/*/children') for p in open(f).read().split()];"
        "open(os.environ['KIDS_FILE'], 'w').write(' '.join(kids)); os.kill(os.getpid(), signal.SIGKILL)"
    )
    kids = tmp_path / "kids"
    env = {**os.environ, "DATA_DIR": str(tmp_path), "STUDIO_SECRETS_FILE": "/nonexistent/x", "KIDS_FILE": str(kids)}
    out = subprocess.DEVNULL  # the companion inherits the worker's stdio: a pipe would wait for it
    subprocess.run([sys.executable, "-c", worker], cwd=ROOT, env=env, stdout=out, stderr=out, timeout=60)
    companion = int(kids.read_text().split()[0])
    deadline = time.monotonic() + 15  # it looks every 2 s
    while _alive(companion) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(companion), "the companion outlived its killed worker"
