"""Nothing typed is lost: script drafts, refused titles, and an estimate that follows the text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.ports_services import Services
from core.services.talking.projects import create_project, list_projects

ROOT = Path(__file__).resolve().parents[2]
OpenPage = Callable[..., AppTest]
SCRIPT = " ".join(["Honestly"] * 31) + " wow."  # 32 words


def _captions(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption)


def test_the_estimate_follows_the_script_without_pressing_a_button(
    open_page: OpenPage, app_services: Services, creator: str
) -> None:
    project = create_project("Launch", owner_id=creator, services=app_services)
    at = open_page("pages/project.py", project_id=project.id)
    assert "0 words" in _captions(at)
    at.text_area(key="composer_script").input(SCRIPT).run()  # the text is committed (blur or Ctrl+Enter)
    assert not at.exception, at.exception
    assert "32 words · about 13 s spoken" in _captions(at)
    assert "Check length and cost" not in [b.label for b in at.button], "no button is needed for the estimate"
    assert any(b.label == "Generate" for b in at.button)


def test_a_script_draft_survives_a_page_switch_and_a_reload(
    open_page: OpenPage, app_services: Services, creator: str
) -> None:
    project = create_project("Launch", owner_id=creator, services=app_services)
    other = create_project("Other", owner_id=creator, services=app_services)
    at = open_page("pages/project.py", project_id=project.id)
    at.text_area(key="composer_script").input(SCRIPT).run()

    at.switch_page("pages/home.py").run()
    at.switch_page("pages/project.py").run()
    assert at.text_area(key="composer_script").value == SCRIPT, "back from another page"

    at.query_params["project"] = other.id
    at.run()
    assert at.text_area(key="composer_script").value == "", "each project has its own draft"
    at.query_params["project"] = project.id
    at.run()
    assert at.text_area(key="composer_script").value == SCRIPT

    fresh = open_page("pages/project.py", project_id=project.id)  # a reload: a new session
    assert fresh.text_area(key="composer_script").value == SCRIPT


def test_a_refused_title_stays_in_its_box_with_the_reason(
    open_page: OpenPage, app_services: Services, creator: str
) -> None:
    at = open_page("pages/projects.py")
    at.text_input(key="new_project_title").input("\u200b\ufeff")
    next(b for b in at.button if b.label == "Create project").click().run()
    assert not at.exception, at.exception
    assert any("Give the project a title" in e.value for e in at.error)
    assert at.text_input(key="new_project_title").value == "\u200b\ufeff"

    at.text_input(key="new_project_title").input("x" * 130)
    next(b for b in at.button if b.label == "Create project").click().run()
    assert any("Keep the title under" in e.value for e in at.error)
    assert at.text_input(key="new_project_title").value == "x" * 130, "the refused title is kept to fix"

    at.text_input(key="new_project_title").input("Summer launch")
    next(b for b in at.button if b.label == "Create project").click().run()
    assert [p.title for p in list_projects(user_id=creator, services=app_services)] == ["Summer launch"]
    assert at.text_input(key="new_project_title").value == "", "a created project's title is cleared"
