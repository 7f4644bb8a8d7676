"""The Streamlit Community Cloud path: requirements.txt alone is enough to run every page.

Builds a fresh venv from `requirements.txt` (no dev.py, no test tools), then starts
`app.py` on an empty data folder and opens every page (tests/deploy/launch_every_page.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements.txt"

pytestmark = pytest.mark.slow


def test_a_venv_from_requirements_txt_alone_runs_every_page(tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(REQUIREMENTS)],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "REDIS_URL", "PYTHONPATH", "VIRTUAL_ENV"))
    }
    env.update(
        DATA_DIR=str(tmp_path / "data"),
        STUDIO_SECRETS_FILE=str(tmp_path / "no-secrets.toml"),
        STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
        HOME=str(tmp_path),
    )
    launch = subprocess.run(
        [str(python), str(ROOT / "tests" / "deploy" / "launch_every_page.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert launch.returncode == 0, launch.stdout[-3000:] + launch.stderr[-3000:]
    assert "0 failed" in launch.stdout
    assert (tmp_path / "data" / "studio.db").exists()  # the app migrated and seeded itself
    assert sys.executable != str(python)
