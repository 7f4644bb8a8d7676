"""The gallery page as a creator sees it: navigation to the last of 24 posters, in Chromium.

    .venv/bin/python -m bench.bench_gallery_browser [--db sqlite|postgres] [--loads 5]

The server-side figure in `bench_gallery` (AppTest) leaves out the websocket, the browser's
layout and the poster requests. Here the studio runs as `streamlit run app.py` over the same
10,000 videos in 100 projects, and Debian's Chromium (headless, quiet flags) opens the
home page and follows its "Open <project>" link, again and again; a load is the time from
that click until 24 cards show their Play button and every poster in the page has loaded.
The first load (imports, first render) is reported apart.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("STUDIO_SECRETS_FILE", "/nonexistent/secrets.toml")

from bench.bench_gallery import _fill  # noqa: E402
from bench.bench_runner import _database, _drop  # noqa: E402
from bench.measure import load  # noqa: E402
from core.bootstrap import install_services  # noqa: E402
from core.config import Settings  # noqa: E402
from core.services.accounts.identity import ensure_user  # noqa: E402
from seeds.loader import seed_actors  # noqa: E402
from tests.browser.test_main_flow import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.conftest import make_services  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CARDS = 24
LOADED = """(cards) => {
  const plays = [...document.querySelectorAll('button')].filter(b => b.innerText.trim().endsWith('Play'));
  const posters = [...document.querySelectorAll('[data-testid="stMain"] img')];
  posters.forEach(i => { if (i.loading === 'lazy') i.loading = 'eager'; });  // below the fold counts too
  return plays.length >= cards && posters.length >= cards && posters.every(i => i.complete && i.naturalWidth > 0);
}"""

COUNTS = """() => ({
  plays: [...document.querySelectorAll('button')].filter(b => b.innerText.trim().endsWith('Play')).length,
  posters: [...document.querySelectorAll('[data-testid="stMain"] img')].map(i => [i.complete, i.naturalWidth]),
})"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(data_dir: Path, database_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        "PYTHONPATH": str(ROOT),
    }
    for name in ("REDIS_URL", "FAL_KEY", "WAVESPEED_API_KEY", "GEMINI_API_KEY", "KIE_API_KEY"):
        env.pop(name, None)
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true"]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return server
        if server.poll() is not None:
            raise SystemExit("the studio exited during start-up")
        time.sleep(0.3)
    server.terminate()
    raise SystemExit("the studio did not start listening")


def _page_loads(root: str, loads: int) -> list[float]:
    """Milliseconds from clicking the home page's "Open <project>" link to the last poster."""
    from playwright.sync_api import sync_playwright

    timings = []
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1400, "height": 1000},
        )
        page = browser.new_page()
        try:
            for _ in range(loads + 1):
                page.goto(root)
                link = page.get_by_role("link", name="Open “Project", exact=False)
                link.wait_for(timeout=120_000)
                started = time.perf_counter()
                link.click()
                try:
                    page.wait_for_function(LOADED, arg=CARDS, timeout=120_000, polling=20)
                except Exception:
                    print(page.evaluate(COUNTS), file=sys.stderr)
                    page.screenshot(path=str(Path(tempfile.gettempdir()) / "bench_gallery_browser.png"), full_page=True)
                    raise
                timings.append((time.perf_counter() - started) * 1000)
        finally:
            browser.close()
    return timings


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Streamlit can take longer than a polite wait to shut down on a loaded machine; then kill it,
    or the timings already taken are lost to a timeout in the clean-up."""
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=20)


def run(db_kind: str, loads: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        settings = Settings(_env_file=None, data_dir=data_dir)
        db = _database(db_kind, Path(tmp))
        services = make_services(settings, db)
        seed_actors(services, with_previews=False)
        install_services(services)
        owner = ensure_user(db, settings.local_user_email)
        _fill(services, owner)  # the home page links the newest project
        install_services(None)
        services.queue.shutdown()
        url = db.engine.url.render_as_string(hide_password=False)
        db.dispose()
        port = _free_port()
        server = _serve(data_dir, url, port)
        before = load()
        try:
            timings = _page_loads(f"http://127.0.0.1:{port}", loads)
        finally:
            _stop(server)
            _drop(db)
    first, rest = timings[0], sorted(timings[1:])
    return {
        "bench": "gallery_browser",
        "db": db_kind,
        "cards": CARDS,
        "first_load_ms": round(first, 1),
        "median_ms": round(statistics.median(rest), 1),
        "min_ms": round(rest[0], 1),
        "max_ms": round(rest[-1], 1),
        "load_before": before,
        "load_after": load(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], action="append")
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args()
    for db_kind in args.db or ["sqlite", "postgres"]:
        print(json.dumps(run(db_kind, args.loads)), flush=True)


if __name__ == "__main__":
    main()
