"""The bridge between Streamlit sessions and the process-wide services.

`studio()` boots once per process (migrate, seed, print what each subsystem uses) and
returns the services; `current_user_id()` is the signed-in user (in embedded mode,
the single local user). Tests install their own services with
`core.bootstrap.install_services` before running a page.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from core.bootstrap import describe, get_services
from core.logs import configure_logging
from core.ports_services import Services
from core.services.accounts.identity import ensure_user

logger = logging.getLogger(__name__)
ICON = str(Path(__file__).resolve().parents[1] / "assets" / "favicon.png")
_boot_lock = threading.Lock()


def studio() -> Services:
    services = get_services()
    with _boot_lock:
        if not getattr(services, "_booted", False):
            _boot(services)
            services._booted = True  # type: ignore[attr-defined]
    return services


def _boot(services: Services) -> None:
    from core.services.connections.keys import master_key_problem
    from seeds.loader import seed_actors

    configure_logging(services.settings.data_dir)
    services.db.migrate()
    seed_actors(services)
    if not os.environ.get("STUDIO_PREPARED"):  # `dev.py run` printed these lines already
        for line in describe(services):
            print(f"[studio] {line}", flush=True)
    if problem := master_key_problem(services):
        logger.error("master key: %s", problem)  # the console shows errors as well


ROUTED = "_routed_by_app"


def mark_routed() -> None:
    """Called by `app.py` before `st.navigation(...).run()`."""
    st.session_state[ROUTED] = True


def _ensure_routed() -> None:
    # A server whose very first request is a sub-page URL runs that file from `pages/` on
    # its own (Streamlit's legacy multipage mode, until `st.navigation` has run once).
    # Send such a run through app.py, which routes, gates and lays out every page.
    if not st.session_state.get(ROUTED):
        st.switch_page("app.py")


def signed_in_user_id(services: Services) -> str | None:
    """The acting user, or None when sign-in is configured and nobody is signed in.

    With no sign-in method configured this is the embedded single local user, which a
    studio configured as public refuses outright.
    """
    settings = services.settings
    if not settings.sign_in_configured:
        if settings.public_mode:
            st.error(
                "This studio is configured as public, and single-user embedded mode is refused there. "
                "Turn on sign-in (AUTH_LOCAL=true for email and password, or AUTH_OIDC=true with an "
                "[auth] section for single sign-on) before exposing it."
            )
            st.stop()
        if "user_id" not in st.session_state:
            st.session_state.user_id = ensure_user(services.db, settings.local_user_email, display_name="Creator")
        return st.session_state.user_id
    from components.accounts.auth import signed_in_account

    account = signed_in_account(services)
    if account is None:
        st.session_state.pop("user_id", None)
        return None
    st.session_state.user_id = account.id
    return account.id


def current_user_id() -> str:
    """The acting user. Every page asks, so the routing, sign-in and public-mode gates always hold:
    a page run without a signed-in user shows the sign-in form and nothing else."""
    _ensure_routed()
    services = studio()
    user_id = signed_in_user_id(services)
    if user_id is None:
        from components.accounts.auth import sign_in_screen

        sign_in_screen(services)
        st.stop()
    return user_id


def show_error(error: Exception) -> None:
    """Every error reaches the creator as plain words, with its code for support."""
    from core.errors import StudioError

    if isinstance(error, StudioError):
        st.error(f"{error.message}  \n`{error.code}`", icon="⚠️")
    else:
        unexpected_error(error)


def unexpected_error(error: BaseException) -> str:
    """A plain message with a short error id on the page; the full trace in the log under that id."""
    error_id = secrets.token_hex(4)
    logger.error("unexpected error %s in a page", error_id, exc_info=error)
    st.error(
        "Something went wrong on our side; nothing you typed was sent anywhere. Try again, and if it "
        f"keeps happening tell your admin the error id **{error_id}** (the details are in the studio log).",
        icon="⚠️",
    )
    return error_id


def guarded(run: Callable[[], None]) -> None:
    """Run the app (gate, routing and the page) behind an error boundary: no traceback reaches a page.

    Streamlit's own control flow (st.stop, st.rerun, st.switch_page) derives from
    BaseException, so it passes through untouched.
    """
    from core.errors import StudioError

    try:
        run()
    except StudioError as error:
        show_error(error)
    except Exception as error:
        unexpected_error(error)
