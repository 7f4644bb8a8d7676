"""The Copilot in a real browser: send one message and watch the answer stream in; stop the
next one mid-way. The studio is started as in the main-flow test (offline providers)."""

from __future__ import annotations

import tempfile
import time

import pytest

from tests.browser.test_main_flow import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _settle, studio_url

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["studio_url"]  # the fixture, shared with the main-flow test

LAST_ANSWER = """() => {
  const bubbles = [...document.querySelectorAll('[data-testid="stChatMessage"]')];
  return bubbles.length ? bubbles[bubbles.length - 1].innerText : "";
}"""


def _send(page, text: str) -> None:  # type: ignore[no-untyped-def]
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(text)
    box.press("Enter")


def _lengths_while_streaming(page, seconds: float) -> list[int]:  # type: ignore[no-untyped-def]
    """Lengths of the last answer, sampled for `seconds` from the moment it starts to grow."""
    seen: list[int] = []
    first = len(page.evaluate(LAST_ANSWER))
    give_up = time.monotonic() + 60  # the rerun that starts the answer can be slow on a busy machine
    deadline = None
    while time.monotonic() < (deadline or give_up):
        seen.append(len(page.evaluate(LAST_ANSWER)))
        if deadline is None and seen[-1] != first:
            deadline = time.monotonic() + seconds
        time.sleep(0.05)
    return seen


@pytest.fixture(autouse=True)
def unhurried_offline_copilot(monkeypatch: pytest.MonkeyPatch) -> None:
    """The offline answer types at 0.02 s a word and was over before a busy machine showed Stop;
    at this pace it streams for about ten seconds, so the click always lands mid-answer."""
    monkeypatch.setenv("COPILOT_OFFLINE_WORD_DELAY_S", "0.2")


def test_one_message_gets_a_streamed_answer_and_stop_really_stops(studio_url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1400, "height": 1000},
        )
        page = browser.new_page()
        page.set_default_timeout(60_000)
        try:
            page.goto(studio_url)
            nav = page.get_by_test_id("stSidebarNavItems")
            # exact names: the routed navigation, not the page-folder list shown before app.py runs
            expect(nav.get_by_role("link", name="Copilot", exact=True)).to_be_visible(timeout=90_000)
            _settle(page)
            nav.get_by_role("link", name="Projects", exact=True).click()
            page.get_by_placeholder("e.g. Summer sunscreen launch").fill("Serum launch")
            page.get_by_role("button", name="Create project").click()
            _settle(page)
            nav.get_by_role("link", name="Copilot", exact=True).click()
            expect(page.get_by_text("Chat", exact=True).first).to_be_visible()
            _settle(page)

            _send(page, "what makes a good hook?")
            lengths = _lengths_while_streaming(page, 4.0)
            growing = sorted({n for n in lengths if n > 0})
            assert len(growing) >= 3, lengths  # the answer arrived in pieces, not at once
            expect(page.get_by_text("offline copilot", exact=False).last).to_be_visible()
            expect(page.get_by_text("first second", exact=False).last).to_be_visible()
            _settle(page)

            _send(page, "tell me more about hooks")
            stop = page.get_by_role("button", name="Stop generating")
            stop.click(timeout=45_000)  # the rerun that starts the answer can be slow on a busy machine
            expect(page.get_by_text("(stopped)", exact=False).last).to_be_visible(timeout=20_000)
            page.screenshot(path=str(ARTIFACTS / "copilot_chat.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "copilot_chat_failure.png"), full_page=True)
            raise
        finally:
            browser.close()
