"""Sign-in under AppTest: the gate shows the form and nothing else; sign-in, sign-out, SSO, public mode;
the team, activity, account and key screens."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic import SecretStr
from streamlit.testing.v1 import AppTest

from core.ports_services import Services
from core.services.accounts import sessions, team
from core.services.connections import keys
from core.services.talking.projects import create_project
from tests.app.conftest import APP, ROOT

PASSWORD = "correct horse battery"
OpenPage = Callable[..., AppTest]


def _texts(at: AppTest) -> str:
    parts = [e.value for e in (*at.title, *at.markdown, *at.caption, *at.error, *at.info, *at.header, *at.subheader)]
    return "\n".join(str(p) for p in parts)


def _click(at: AppTest, label: str) -> AppTest:
    return next(b for b in at.button if b.label == label).click().run()


def _sign_in(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input(key="sign_in_email").input(email)
    at.text_input(key="sign_in_password").input(password)
    return _click(at, "Sign in")


@pytest.fixture
def local(app_services: Services) -> Services:
    app_services.settings.auth_local = True
    return app_services


def _only_the_sign_in_form(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Sign in"]
    assert {b.label for b in at.button} <= {"Sign in", "Create account"}
    assert not at.sidebar.children or not list(at.sidebar)  # no navigation, no account menu
    assert not at.dataframe and not at.metric and not at.selectbox


def test_a_page_opened_without_signing_in_shows_the_sign_in_form_and_nothing_else(local: Services) -> None:
    owner = sessions.sign_up("owner@example.com", PASSWORD, services=local)
    create_project("Top secret launch", owner_id=owner.user_id, services=local)
    at = AppTest.from_file(APP, default_timeout=30).run()
    _only_the_sign_in_form(at)
    with pytest.raises(ValueError, match=r"Known pages: \['Sign in'\]"):
        at.switch_page("pages/projects.py")  # no other page is even registered
    for page in ("projects", "project", "library", "usage", "settings", "team", "activity", "account", "home"):
        direct = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=30)
        direct.session_state["_routed_by_app"] = True  # a page run on its own, nobody signed in
        direct.query_params["project"] = "anything"
        direct.run()
        _only_the_sign_in_form(direct)
        assert "Top secret launch" not in _texts(direct)


def test_sign_in_opens_the_studio_and_sign_out_ends_the_session(local: Services) -> None:
    sessions.sign_up("maya@example.com", PASSWORD, services=local)
    at = AppTest.from_file(APP, default_timeout=30).run()
    _sign_in(at, "maya@example.com", "not the password")
    assert any("do not match" in e.value for e in at.error) and [t.value for t in at.title] == ["Sign in"]
    local.settings.login_backoff_base_s = 0
    _sign_in(at, "maya@example.com", PASSWORD)
    assert not at.exception, at.exception
    token = at.session_state["auth.token"]
    assert sessions.resolve_session(token, services=local) is not None
    assert "maya@example.com" in [c.value.split(" ", 1)[-1] for c in at.sidebar.caption]
    at.switch_page("pages/projects.py").run()
    assert [t.value for t in at.title] == ["Projects"]
    at.switch_page("pages/account.py").run()
    assert "Signed in as **maya@example.com**" in _texts(at)
    _click(at, "Sign out")
    _only_the_sign_in_form(at)
    assert sessions.resolve_session(token, services=local) is None
    assert "auth.token" not in at.session_state and "user_id" not in at.session_state


def test_sign_up_from_the_form(local: Services) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.text_input(key="sign_up_email").input("new@example.com")
    at.text_input(key="sign_up_password").input(PASSWORD)
    _click(at, "Create account")
    assert not at.exception, at.exception
    assert [t.value for t in at.title] != ["Sign in"]
    assert sessions.account(at.session_state["user_id"], services=local).email == "new@example.com"


def test_public_mode_without_sign_in_is_refused_in_plain_words(app_services: Services) -> None:
    app_services.settings.public_mode = True
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception, at.exception
    assert any("configured as public" in e.value and "AUTH_LOCAL" in e.value for e in at.error)
    assert not at.title and not at.button


def test_single_sign_on_maps_the_identity_to_an_account(app_services: Services) -> None:
    app_services.settings.auth_oidc = True
    at = AppTest.from_file(APP, default_timeout=30)
    at.user = {"is_logged_in": False}
    at.run()
    assert [t.value for t in at.title] == ["Sign in"] and [b.label for b in at.button] == [
        "Continue with single sign-on"
    ]
    at.user = {"is_logged_in": True, "email": "sso@example.com", "name": "Sam", "email_verified": True}
    at.run()
    assert not at.exception, at.exception
    assert sessions.account(at.session_state["user_id"], services=app_services).email == "sso@example.com"


@pytest.mark.parametrize("page", ["pages/team.py", "pages/activity.py", "pages/account.py"])
def test_the_new_pages_launch(open_page: OpenPage, app_services: Services, creator: str, page: str) -> None:
    project = create_project("Launch", owner_id=creator, services=app_services)
    team.invite_member(project.id, "pal@example.com", "viewer", user_id=creator, services=app_services)
    at = open_page(page, project_id=project.id)
    assert not at.exception, at.exception
    assert at.title


def test_the_owner_invites_from_the_members_page(open_page: OpenPage, app_services: Services, creator: str) -> None:
    project = create_project("Launch", owner_id=creator, services=app_services)
    at = open_page("pages/team.py", project_id=project.id)
    at.text_input[0].input("Editor@Example.com")
    at.radio[0].set_value("editor")
    _click(at, "Invite")
    assert not at.exception, at.exception
    members = team.list_members(project.id, user_id=creator, services=app_services)
    assert [(m.email, m.role.value, m.pending) for m in members][1:] == [("editor@example.com", "editor", True)]
    assert "editor@example.com" in _texts(at)


def test_a_key_entered_on_settings_is_stored_sealed_and_never_shown(
    open_page: OpenPage, app_services: Services, creator: str
) -> None:
    app_services.settings.master_key = SecretStr("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
    at = open_page("pages/settings.py")
    at.text_input(key="key_input_fal").input("fal-typed-in-the-form-123")
    next(b for b in at.button if b.label == "Save" and "fal" in str(b.form_id)).click().run()
    assert not at.exception, at.exception
    assert {s.vendor for s in keys.key_statuses(creator, services=app_services) if s.is_set} == {"fal"}
    assert "fal-typed-in-the-form-123" not in _texts(at)
    assert at.text_input(key="key_input_fal").proto.type == at.text_input(key="key_input_fal").proto.PASSWORD
