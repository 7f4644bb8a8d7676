#!/usr/bin/env python3
"""Set-up and entry points for a fresh machine that has only Python >= 3.11.

    python3 dev.py run     install what is missing, migrate, seed, serve on http://localhost:8501
                           (--host/--port, or STUDIO_HOST and PORT, choose where it listens)
    python3 dev.py test    install what is missing (with test tools), run the whole test suite
    python3 dev.py check   install what is missing (with test tools), then ruff check, ruff format --check, mypy
    python3 dev.py worker  start an RQ worker (needs REDIS_URL)

Dependencies come from pyproject.toml, pinned by constraints.txt, into ./.venv.
Only the standard library is used here, so this file runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".studio-deps"


def _requirements(with_test: bool) -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    if with_test:
        requirements += project["optional-dependencies"]["test"]
    return requirements


def ensure_environment(*, with_test: bool) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036  (dev.py runs on the system Python, before any venv)
        sys.exit("UGC Studio needs Python 3.11 or newer.")
    if not PYTHON.exists():
        print("[setup] creating .venv", flush=True)
        venv.create(VENV, with_pip=True)
    requirements = _requirements(with_test)
    digest = hashlib.sha256(("\n".join(requirements) + (ROOT / "constraints.txt").read_text()).encode()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    print("[setup] installing dependencies (first run takes a few minutes)", flush=True)
    subprocess.run(
        [
            str(PYTHON),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "-q",
            "-c",
            str(ROOT / "constraints.txt"),
            *requirements,
        ],
        check=True,
    )
    STAMP.write_text(digest)


# The product code mypy checks (the tests are not type-checked).
TYPED_CODE = ("core", "jobs", "components", "pages", "app.py", "scripts", "seeds")


def _run(*args: str) -> int:
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", "PYTHONPATH": str(ROOT)}
    return subprocess.call([str(PYTHON), *args], cwd=ROOT, env=env)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "run"
    if command == "run":
        ensure_environment(with_test=False)
        # Migrates, seeds and serves on 127.0.0.1 unless STUDIO_HOST or --host opens it.
        return _run("-m", "scripts.serve", *argv[1:])
    if command == "test":
        ensure_environment(with_test=True)
        return _run("-m", "pytest", *argv[1:])
    if command == "check":
        ensure_environment(with_test=True)
        if argv[1:]:
            return _run("-m", "mypy", *argv[1:])
        # Lint, formatting (checked, never rewritten here) and types, stopping at the first failure.
        for tool in (("ruff", "check", "."), ("ruff", "format", "--check", "."), ("mypy", *TYPED_CODE)):
            if code := _run("-m", *tool):
                return code
        return 0
    if command == "worker":
        ensure_environment(with_test=False)
        return _run("-m", "jobs.worker", *argv[1:])
    sys.exit(f"unknown command {command!r}; use run, test, check or worker")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
