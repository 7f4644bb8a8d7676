"""A 2x2x2 batch in a real browser: pick 2 videos, 2 sounds and 2 hooks on the Variant factory
page, every combination, start, wait for 8 ready variants, build and download the ZIP.

The library is filled through the services in the studio's own data folder before the
server starts (uploading through the browser is covered by the page tests' services); the
batch itself is made entirely in Chromium.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.test_main_flow import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    _free_port,
    _require_browser,
    _settle,
    _wait_for_port,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SEED = """
import sys
from pathlib import Path
from core.bootstrap import build_services
from core.config import Settings
from core.services.talking import projects
from core.services.accounts.identity import ensure_user
from core.adapters.db.models.variant_factory import LibraryUpload
from core.services.variant_factory import audio, hooks, uploads
from jobs import engine
data, clips = Path(sys.argv[1]), Path(sys.argv[2])
settings = Settings(_env_file=None, data_dir=data)
services = build_services(settings, run_jobs=False)
services.db.migrate()
user = ensure_user(services.db, settings.local_user_email, display_name="Creator")
project = projects.create_project("Glow launch", owner_id=user, services=services).id
for name in ("one", "two"):
    upload = uploads.queue_video_upload(project, (clips / f"{name}.mp4").read_bytes(), title=f"Clip {name}",
                                        user_id=user, services=services)
    with services.db.session() as session:
        job_id = session.get(LibraryUpload, upload).job_id
    engine.advance(job_id, services)  # the upload's job, run here (this seed has no worker)
for name in ("t1", "t2"):
    audio.upload_audio(project, (clips / f"{name}.mp3").read_bytes(), title=f"Tone {name}", user_id=user,
                       services=services)
hooks.add_hooks(project, "Stop scrolling\\nYou need this", category="curiosity", user_id=user, services=services)
services.close()
"""


@pytest.fixture
def seeded_studio(tmp_path: Path) -> Iterator[str]:
    from tests.unit.test_variant_factory import make_clip, make_tone

    _require_browser()
    clips = tmp_path / "clips"
    clips.mkdir()
    make_clip(clips / "one.mp4", seconds=2.0)
    make_clip(clips / "two.mp4", seconds=2.0, size="192x320")
    make_tone(clips / "t1.mp3", 1.0)
    make_tone(clips / "t2.mp3", 2.5, 660)
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path / "data"),
        "STUDIO_SECRETS_FILE": "/nonexistent/secrets.toml",
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        "PYTHONPATH": str(ROOT),
    }
    for name in ("DATABASE_URL", "REDIS_URL", "FAL_KEY", "WAVESPEED_API_KEY", "GEMINI_API_KEY", "KIE_API_KEY"):
        env.pop(name, None)
    subprocess.run([sys.executable, "-c", SEED, str(tmp_path / "data"), str(clips)], cwd=ROOT, env=env, check=True)
    port = _free_port()
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_port(port, server)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def _open_page(page, title: str) -> None:  # type: ignore[no-untyped-def]
    """Click the nav link; a click during the first (booting) run can be swallowed, so retry."""
    from playwright.sync_api import expect

    for _ in range(4):
        expect(page.get_by_role("heading", name="UGC Studio")).to_be_visible(timeout=120_000)
        _settle(page)
        page.get_by_test_id("stSidebarNavItems").get_by_role("link", name=title).click()
        try:
            expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=15_000)
            return
        except AssertionError:
            page.goto(page.url.split("/variant_factory")[0])
    raise AssertionError(f"{title} did not open")


def _pick(page, label: str, options: list[str]) -> None:  # type: ignore[no-untyped-def]
    box = page.get_by_test_id("stMultiSelect").filter(has_text=label).first
    for option in options:
        _settle(page)
        box.click()
        page.get_by_role("option", name=option).first.click()
        page.keyboard.press("Escape")


def test_a_2x2x2_batch_is_made_and_its_zip_downloaded(seeded_studio: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    expect.set_options(timeout=60_000)  # the machine may be busy; Streamlit reruns take their time
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            accept_downloads=True,
            viewport={"width": 1400, "height": 1400},
        )
        page = browser.new_page()
        page.set_default_timeout(60_000)
        try:
            page.goto(seeded_studio)
            _open_page(page, "Variant factory")
            _pick(page, "…and/or videos", ["Clip one", "Clip two"])
            _pick(page, "…and/or audio", ["Tone t1", "Tone t2"])
            _pick(page, "Hooks by category", ["curiosity"])
            _settle(page)
            page.get_by_text("Every combination (the full matrix)").click()
            expect(page.get_by_text("8 variants", exact=False).first).to_be_visible()
            _settle(page)
            page.get_by_role("button", name="Start batch").click()
            expect(page.get_by_text("Batch started")).to_be_visible()
            page.get_by_role("tab", name="Batches").click()
            expect(page.get_by_text("ready 8", exact=False).first).to_be_visible(timeout=240_000)
            _settle(page)
            page.get_by_role("button", name="Build ZIP with manifest").click()
            download_button = page.get_by_role("button", name="Download ZIP")
            expect(download_button).to_be_visible(timeout=60_000)
            with page.expect_download() as info:
                download_button.click()
            path = tmp_path / "batch.zip"
            info.value.save_as(path)
            page.screenshot(path=str(ARTIFACTS / "variant_factory.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "variant_factory_failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        manifest = zf.read("manifest.csv").decode()
    assert len(names) == 9 and "manifest.csv" in names
    assert manifest.count("\n") == 9 and "Stop scrolling" in manifest
