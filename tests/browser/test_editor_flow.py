"""The Editor in a real browser: open a finished ad, trim a clip, edit a caption, export it
(WebM, draft) and play the result.

The finished ad (real small clips, voice lines and captions) is made through the test support
in the studio's own data folder before the server starts; everything after that is Chromium.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
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
from tests.editor_support import finished_ad
data, work = Path(sys.argv[1]), Path(sys.argv[2])
settings = Settings(_env_file=None, data_dir=data)
services = build_services(settings, run_jobs=False)
services.db.migrate()
world = finished_ad(services, work, email=settings.local_user_email)
print(world.output_id)
services.close()
"""


@pytest.fixture
def studio_with_ad(tmp_path: Path) -> Iterator[tuple[str, str]]:
    _require_browser()
    work = tmp_path / "work"
    work.mkdir()
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path / "data"),
        "STUDIO_SECRETS_FILE": "/nonexistent/secrets.toml",
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        "PYTHONPATH": str(ROOT),
    }
    for name in ("DATABASE_URL", "REDIS_URL", "FAL_KEY", "WAVESPEED_API_KEY", "GEMINI_API_KEY", "KIE_API_KEY"):
        env.pop(name, None)
    seeded = subprocess.run(
        [sys.executable, "-c", SEED, str(tmp_path / "data"), str(work)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    output_id = seeded.stdout.strip().splitlines()[-1]
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
        yield f"http://127.0.0.1:{port}", output_id
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def _choose(page, label: str, option: str) -> None:  # type: ignore[no-untyped-def]
    _settle(page)
    page.get_by_test_id("stSelectbox").filter(has_text=label).first.click()
    page.get_by_role("option", name=option).first.click()


def test_trim_caption_export_and_play(studio_with_ad: tuple[str, str]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, output_id = studio_with_ad
    ARTIFACTS.mkdir(exist_ok=True)
    expect.set_options(timeout=60_000)
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1500, "height": 1600},
        )
        page = browser.new_page()
        page.set_default_timeout(60_000)
        try:
            page.goto(base)
            expect(page.get_by_role("heading", name="UGC Studio")).to_be_visible(timeout=120_000)
            page.goto(f"{base}/editor?output={output_id}")
            expect(page.get_by_role("heading", name="Editor")).to_be_visible(timeout=120_000)
            _settle(page)
            out_point = page.get_by_label("Out (s)", exact=True)
            out_point.fill("2.50")
            out_point.press("Tab")
            page.get_by_role("button", name="Apply trim").click()
            expect(page.get_by_text("Saved: Trim clip 1 (version 2).")).to_be_visible()
            _settle(page)
            page.get_by_role("tab", name="Captions").click()
            text = page.get_by_label("Text", exact=True).first
            text.fill("Glow changed my mornings")
            page.get_by_role("button", name="Save caption").click()
            expect(page.get_by_text("Saved: Edit caption (version 3).")).to_be_visible()
            _settle(page)
            page.get_by_role("tab", name="Export").click()
            _choose(page, "Resolution", "720p")
            _choose(page, "Format", "WebM (VP9/Opus)")
            _choose(page, "Quality", "draft")
            _settle(page)
            page.get_by_role("button", name="Export", exact=True).click()
            expect(page.get_by_text("Export started", exact=False)).to_be_visible()
            _settle(page)
            page.get_by_role("tab", name="Export").click()  # the rerun shows the first tab again
            expect(page.get_by_text("from version 3 · ready", exact=False)).to_be_visible(timeout=300_000)
            video = page.locator("video").last
            expect(video).to_be_visible()
            video.evaluate("v => { v.muted = true; return v.play(); }")
            page.wait_for_function(
                "() => { const v = [...document.querySelectorAll('video')].pop(); return v && v.currentTime > 0.3; }",
                timeout=60_000,
            )
            page.screenshot(path=str(ARTIFACTS / "editor.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "editor_failure.png"), full_page=True)
            raise
        finally:
            browser.close()
