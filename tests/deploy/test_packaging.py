"""`pip install .` works, and requirements.txt (Community Cloud's dependency file) is current."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from scripts.freeze_requirements import render

ROOT = Path(__file__).resolve().parents[2]


def test_requirements_txt_is_generated_from_pyproject_and_constraints() -> None:
    assert (ROOT / "requirements.txt").read_text() == render(), (
        "requirements.txt is stale: run `python -m scripts.freeze_requirements`"
    )
    pinned = (ROOT / "requirements.txt").read_text()
    assert "streamlit==" in pinned and "psycopg-binary==" in pinned
    assert "pytest" not in pinned and "playwright" not in pinned  # test tools stay out


@pytest.mark.slow
def test_pip_builds_a_wheel_with_every_package_and_its_data(tmp_path: Path) -> None:
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = tmp_path.glob("ugc_studio-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "core/bootstrap.py",
        "jobs/worker.py",
        "components/runtime.py",
        "core/adapters/db/migrations/env.py",
        "core/adapters/db/migrations/versions/0001_initial_schema.py",
        "seeds/actors.json",
        "seeds/actors/ava_base_01.png",
    ):
        assert needed in names, f"{needed} is missing from the wheel"
    assert not any(name.startswith(("tests/", "bench/")) for name in names)
