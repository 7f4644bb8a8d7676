"""A creator's session in a real browser: a typed script survives a reload, the estimate follows
the text with no button, Ctrl+Enter generates, a second tab sees the new videos live, and the
gallery fits 3 cards a row at 1440 px and 4 at 1920 without wrapping their buttons. The server
runs behind the same network guard as the every-page test: nothing may leave the machine."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

from tests.browser.test_main_flow import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _settle
from tests.browser.test_no_outside_requests import guarded_studio  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCRIPT = "Three days in and my skin has never felt this calm. No sticky feel, no white cast. Honestly hooked."


LAYOUT = r"""() => {
  const rect = el => el.getBoundingClientRect();
  const plays = [...document.querySelectorAll('button')].filter(b => /(^|\s)Play$/.test(b.innerText.trim())).map(rect);
  const mores = [...document.querySelectorAll('[data-testid="stPopover"] button')].map(rect);
  return {
    columns: new Set(plays.map(p => Math.round(p.x / 10))).size,
    unwrapped: plays.every(p => mores.some(m => Math.abs(m.y - p.y) < 6 && m.x > p.x && m.x - p.right < 40)),
  };
}"""


def _layout(page) -> dict:  # type: ignore[no-untyped-def]
    """Cards a row (distinct left edges of the Play buttons) and whether each card's buttons share a line."""
    return page.evaluate(LAYOUT)


def test_typed_work_is_kept_and_a_second_tab_follows(guarded_studio: tuple[str, Path, Path]) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    url, guard_log, _server_log = guarded_studio
    ARTIFACTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1440, "height": 1000},
        )  # fmt: skip
        page = browser.new_page()
        page.set_default_timeout(60_000)
        try:
            page.goto(url)
            nav = page.get_by_test_id("stSidebarNavItems")
            nav.get_by_role("link", name="Projects", exact=True).click()
            page.get_by_placeholder("e.g. Summer sunscreen launch").fill("Launch")
            page.get_by_role("button", name="Create project").click()
            page.get_by_role("button", name="Open").first.click()

            script = page.get_by_placeholder("What should the actor say?", exact=False)
            script.fill(SCRIPT)
            script.press("Tab")  # commit the text: no "check" button needed
            expect(page.get_by_text(re.compile(r"19 words · about 8 s spoken"))).to_be_visible()

            page.reload()
            _settle(page)
            expect(page.get_by_placeholder("What should the actor say?", exact=False)).to_have_value(SCRIPT)

            second = browser.new_page()
            second.goto(page.url)  # the same project, by its URL
            _settle(second)
            expect(second.get_by_text("No videos yet.")).to_be_visible()

            page.get_by_placeholder("What should the actor say?", exact=False).click()
            page.keyboard.press("Control+Enter")  # Generate, from inside the script box
            expect(page.get_by_role("button", name="Play")).to_have_count(1, timeout=30_000)
            expect(second.get_by_role("button", name="Play")).to_have_count(1, timeout=20_000)  # live, untouched

            for count in (2, 3, 4):
                _settle(page)
                page.get_by_role("button", name="Generate").click()
                expect(page.get_by_role("button", name="Play")).to_have_count(count, timeout=30_000)
            # every card finished (a busy machine may take a while), so the layout is measured at rest
            # (status chips only: the gallery's status filter has "Queued" and "Generating" pills too)
            page.wait_for_function(
                # Counting the finished chips, not looking for unfinished ones: a chip slot is empty for
                # a moment while its fragment redraws, and "no Generating chip" was then true too early.
                """() => [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')]
                    .filter(e => /Completed$/.test(e.textContent.trim()) && !e.closest('button')).length >= 4""",
                timeout=180_000,
            )
            _settle(page)
            at_1440 = _layout(page)
            page.screenshot(path=str(ARTIFACTS / "gallery_1440.png"), full_page=True)
            page.set_viewport_size({"width": 1920, "height": 1080})
            page.wait_for_timeout(800)
            at_1920 = _layout(page)
            page.screenshot(path=str(ARTIFACTS / "gallery_1920.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "typed_work_failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    assert at_1440["columns"] >= 3, f"{at_1440} at 1440 px"
    assert at_1920["columns"] == 4, f"{at_1920} at 1920 px"
    assert at_1440["unwrapped"] and at_1920["unwrapped"], "a card's buttons sit on one line"
    assert guard_log.read_text() == "", guard_log.read_text()
