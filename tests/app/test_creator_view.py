"""What a creator sees: no tracebacks, nothing leaves the machine, the studio listens on loopback."""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from core.config import Settings
from core.ports_services import Services
from scripts.serve import streamlit_command

ROOT = Path(__file__).resolve().parents[2]
OpenPage = Callable[..., AppTest]


def test_an_unexpected_error_shows_an_error_id_and_logs_the_trace(
    app_services: Services, creator: str, caplog: pytest.LogCaptureFixture
) -> None:
    with app_services.db.engine.begin() as connection:  # a real failure below the page: its table is gone
        connection.execute(text("DROP TABLE project_members"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.run()  # app.py routes to Home, which lists the creator's projects
    assert not at.exception, at.exception  # the boundary caught it: no traceback element on the page
    messages = [e.value for e in at.error]
    assert any("error id" in m for m in messages), messages
    error_id = next(m for m in messages if "error id" in m).split("**")[1]
    assert len(error_id) == 8
    assert "project_members" not in " ".join(messages), "no SQL or table names reach the page"
    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert logged and logged[0].exc_info is not None, "the full trace goes to the log under the id"
    assert "project_members" in logging.Formatter().formatException(logged[0].exc_info)


def test_streamlit_config_hides_developer_tools_and_error_details() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["toolbarMode"] == "minimal"
    assert config["client"]["showErrorDetails"] == "none"
    assert config["server"]["address"] == "127.0.0.1"  # also stops the external-IP lookup at start
    assert config["browser"]["gatherUsageStats"] is False


def test_the_studio_listens_on_loopback_unless_opened(settings: Settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert settings.studio_host == "127.0.0.1"
    command = streamlit_command(settings.studio_host, settings.port)
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    monkeypatch.setenv("STUDIO_HOST", "0.0.0.0")
    monkeypatch.setenv("PORT", "9000")
    opened = Settings(data_dir=settings.data_dir)
    assert (opened.studio_host, opened.port) == ("0.0.0.0", 9000)


def test_no_page_icon_loads_from_a_font_cdn() -> None:
    # Streamlit turns a `:material/...` favicon into a fonts.gstatic.com URL; the page config icon is a file.
    source = (ROOT / "app.py").read_text()
    config_line = next(line for line in source.splitlines() if "set_page_config" in line)
    assert ":material/" not in config_line
    from components.runtime import ICON

    assert Path(ICON).is_file() and Path(ICON).stat().st_size < 4096


@pytest.mark.parametrize(
    ("name", "says"),
    [("voice.exe", "is not a .mp3 or .wav file"), ("voice.mp3.exe", "is not a .mp3"), ("voi\x00ce.mp3", "hidden")],
)
def test_a_refused_file_name_gets_a_plain_message(
    open_page: OpenPage, app_services: Services, creator: str, name: str, says: str
) -> None:
    from core.services.talking.projects import create_project

    project = create_project("Launch", owner_id=creator, services=app_services)
    at = open_page("pages/project.py", project_id=project.id)
    at.segmented_control(key="composer_voice").set_value("audio").run()
    at.file_uploader(key="composer_upload").upload(name, b"MZ" + b"\0" * 64, "audio/mpeg").run()
    assert not at.exception, at.exception
    assert any(says in e.value for e in at.error), [e.value for e in at.error]
    assert app_services.queue.enqueued == [] and not at.success, "the file was not used"


def test_text_shown_back_is_literal_not_markdown(open_page: OpenPage, app_services: Services, creator: str) -> None:
    from components.labels import literal
    from core.services.talking.projects import create_project

    title = "**Big** [sale](http://evil.example) :red[now] $x$"
    create_project(title, owner_id=creator, services=app_services)
    at = open_page("pages/projects.py")
    heading = next(m.value for m in at.markdown if m.value.startswith("#### "))
    assert heading == "#### " + literal(title)
    assert "\\*\\*Big\\*\\*" in heading and "\\[sale\\](http\\://" in heading and "\\:red\\[" in heading


def test_voices_read_as_a_person_would_say_them(open_page: OpenPage) -> None:
    at = open_page("pages/actors.py")
    captions = " ".join(c.value for c in at.caption)
    assert "US female" in captions and ("fast" in captions or "natural pace" in captions)
    assert "en-us+f3" not in captions and "wpm" not in captions


def test_members_in_single_user_mode_says_invitations_need_sign_in(
    open_page: OpenPage, app_services: Services, creator: str
) -> None:
    from core.services.talking.projects import create_project

    project = create_project("Launch", owner_id=creator, services=app_services)
    at = open_page("pages/team.py", project_id=project.id)
    assert any("Invitations need sign-in to be on" in i.value for i in at.info)


def test_scene_studio_empty_state_links_to_the_mass_generator(
    open_page: OpenPage, app_services: Services, creator: str
) -> None:
    from core.services.talking.projects import create_project

    create_project("Launch", owner_id=creator, services=app_services)
    at = open_page("pages/scenes.py")
    links = [link.proto.page for link in at.get("page_link")]
    assert "wizard" in links, links


def test_copy_link_explains_how_to_turn_links_on_when_they_cannot_work(
    open_page: OpenPage, app_services: Services, creator: str
) -> None:
    from core.services.talking.projects import create_project
    from core.services.talking.videos import VideoRequest, create_video

    project = create_project("Launch", owner_id=creator, services=app_services)
    from sqlalchemy import select as _select

    from core.adapters.db.models.talking import Actor

    with app_services.db.session() as session:
        actor_id = session.scalar(_select(Actor.id))
    video_id = create_video(VideoRequest(project.id, actor_id, script="Hi."), user_id=creator, services=app_services)
    app_services.queue.drain()
    at = open_page("pages/project.py", project_id=project.id)
    assert not [b for b in at.button if b.key == f"link_{video_id}"], "no link button where links cannot work"
    assert any("Links are off" in c.value and "MEDIA_BASE_URL" in c.value for c in at.caption)
    app_services.settings.media_base_url = "http://127.0.0.1:8502"
    app_services.settings.link_signing_secret = SecretStr("s" * 32)
    at.run()
    assert [b for b in at.button if b.key == f"link_{video_id}"]


def test_start_up_prints_one_line_per_subsystem_and_alembic_goes_to_the_log(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    from scripts.prepare import prepare

    prepare(settings)
    printed = capsys.readouterr()
    lines = [line for line in printed.out.splitlines() if line.strip()]
    assert lines and all(line.startswith("[studio] ") for line in lines), lines
    assert len(lines) == len(set(lines)), "each subsystem once"
    assert any(line.startswith("[studio] database:") for line in lines)
    assert "alembic" not in (printed.out + printed.err).lower() and "Running upgrade" not in printed.err
    studio_log = next(
        Path(h.baseFilename)
        for h in logging.getLogger().handlers
        if getattr(h, "_studio", False) and hasattr(h, "baseFilename")
    )
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert "alembic" in studio_log.read_text()
