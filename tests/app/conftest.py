"""Pages under AppTest with fake providers, a hand-driven queue and a seeded catalog (no voice previews)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.adapters.db.database import Database
from core.bootstrap import install_services
from core.config import Settings
from core.ports_services import Services
from core.services.accounts.identity import ensure_user
from seeds.loader import seed_actors
from tests.conftest import make_services

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


@pytest.fixture
def app_services(settings: Settings, sqlite_db: Database) -> Iterator[Services]:
    services = make_services(settings, sqlite_db)
    seed_actors(services, with_previews=False)
    services._booted = True  # type: ignore[attr-defined]  # studio() must not migrate and seed again
    install_services(services)
    yield services
    install_services(None)


@pytest.fixture
def creator(app_services: Services) -> str:
    """The embedded single user that `current_user_id()` signs in."""
    return ensure_user(app_services.db, app_services.settings.local_user_email, display_name="Creator")


@pytest.fixture
def open_page(app_services: Services) -> Callable[..., AppTest]:
    """`open_page("pages/x.py", project_id=...)` runs app.py, then switches to that page."""

    def _open(page: str, **session: object) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=30)
        for key, value in session.items():
            at.session_state[key] = value
        at.run()
        assert not at.exception, at.exception
        at.switch_page(page).run()
        return at

    return _open
