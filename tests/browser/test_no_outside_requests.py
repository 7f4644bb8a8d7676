"""Every page in a real browser, and nothing leaves the machine.

The studio is started as `dev.py run` would start it, without naming an address, so the
settings in .streamlit/config.toml decide where it listens and whether Streamlit looks up
the machine's public IP. A network guard in the server process (tests/browser/netguard.py)
records and refuses every connection or name lookup that is not loopback; Chromium's own
request log must name only the studio. Every page is opened from the sidebar, none may show
an exception box, and the favicon must be the studio's own file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.browser.test_main_flow import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    _free_port,
    _require_browser,
    _settle,
    _wait_for_port,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    "Home", "Projects", "Project", "Mass generator", "Scene studio", "Actor catalog", "Library",
    "Usage", "Settings", "Members", "Activity log", "Account",
]  # fmt: skip
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


@pytest.fixture
def guarded_studio(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    _require_browser()
    port = _free_port()
    guard_log = tmp_path / "netguard.log"
    guard_log.write_text("")
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path / "data"),
        "STUDIO_SECRETS_FILE": "/nonexistent/secrets.toml",
        "STUDIO_NETGUARD_LOG": str(guard_log),
        "PYTHONPATH": str(ROOT),
    }
    for name in ("DATABASE_URL", "REDIS_URL", "FAL_KEY", "WAVESPEED_API_KEY", "GEMINI_API_KEY", "KIE_API_KEY"):
        env.pop(name, None)
    server_log = tmp_path / "server.log"
    with open(server_log, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-c", "from tests.browser.netguard import serve_streamlit; serve_streamlit()",
             "run", "app.py", "--server.port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            _wait_for_port(port, server)
            yield f"http://127.0.0.1:{port}", guard_log, server_log
        finally:
            server.terminate()
            server.wait(timeout=20)


def test_every_page_opens_and_nothing_leaves_the_machine(guarded_studio: tuple[str, Path, Path]) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, guard_log, server_log = guarded_studio
    requested: list[str] = []
    problems: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1440, "height": 1000},
        )
        page = browser.new_page()
        page.on("request", lambda request: requested.append(request.url))
        page.set_default_timeout(60_000)
        try:
            page.goto(url + "/projects")  # a sub-page first: routed through app.py to Home
            nav = page.get_by_test_id("stSidebarNavItems")
            nav.get_by_role("link", name="Projects", exact=True).click()
            page.get_by_placeholder("e.g. Summer sunscreen launch").fill("Launch")
            page.get_by_role("button", name="Create project").click()
            expect(page.get_by_text("Launch").first).to_be_visible()
            for name in PAGES:
                nav.get_by_role("link", name=name, exact=True).click()
                _settle(page)
                page.wait_for_timeout(300)
                if page.locator("[data-testid='stException']").count():
                    problems.append(f"{name}: an exception box")
                if "Traceback" in page.inner_text("body"):
                    problems.append(f"{name}: a traceback")
            icon = page.evaluate("() => [...document.querySelectorAll('link[rel*=icon]')].map(l => l.href)")
            page.screenshot(path=str(ARTIFACTS / "every_page.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "every_page_failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    outside = sorted({u for u in requested if urlparse(u).scheme in ("http", "https", "ws", "wss")
                      and urlparse(u).hostname not in LOOPBACK_HOSTS})  # fmt: skip
    assert not problems, problems
    assert requested, "the request log recorded nothing"
    assert outside == [], f"the browser asked outside hosts: {outside}"
    assert icon and all(urlparse(h).hostname in LOOPBACK_HOSTS or h.startswith("data:") for h in icon), icon
    assert guard_log.read_text() == "", f"the server tried to reach outside:\n{guard_log.read_text()}"
    log = server_log.read_text(errors="replace")
    assert "External URL" not in log and "Network URL" not in log, log
    assert "Traceback" not in log, log
