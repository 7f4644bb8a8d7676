"""The composer under AppTest with the creator's own avatar: pick it, write, Generate, and the
video (made by the hand-driven queue) is of that avatar; its look offers no catalog variants."""

from __future__ import annotations

from sqlalchemy import select

from core.adapters.db.models.talking import VideoAsset
from core.ports_services import Services
from core.services.avatars import manage
from core.services.talking.projects import create_project
from tests.app.test_avatars_page import _vision
from tests.app.test_pages import OpenPage, chips, shown, submit
from tests.avatar_support import three_views


def _project_with_avatar(app_services: Services, creator: str) -> tuple[str, str]:
    fake_media = app_services.media
    _vision(app_services)  # the real face detector classifies the photos
    project = create_project("Twins", owner_id=creator, services=app_services).id
    avatar = manage.create_avatar(project, "Dana", three_views(), consent=True, user_id=creator, services=app_services)
    app_services.media = fake_media  # the fake providers' "videos" are not real MP4s
    return project, avatar


def test_a_project_without_avatars_shows_only_the_catalog(
    open_page: OpenPage, app_services: Services, creator: str
) -> None:
    project = create_project("Launch", owner_id=creator, services=app_services).id
    at = open_page("pages/project.py", project_id=project)
    assert not at.exception, at.exception
    assert not [s for s in at.segmented_control if s.key == "composer_who"]
    assert at.selectbox[0].label == "Actor"


def test_the_composer_makes_a_video_of_an_own_avatar(open_page: OpenPage, app_services: Services, creator: str) -> None:
    project, avatar = _project_with_avatar(app_services, creator)
    at = open_page("pages/project.py", project_id=project)
    assert not at.exception, at.exception
    at.segmented_control(key="composer_who").set_value("own").run()
    assert not at.exception, at.exception
    picker = next(s for s in at.selectbox if s.label == "Avatar")
    assert picker.value == avatar and "Dana" in picker.format_func(avatar)
    assert shown(at, "consent recorded")
    assert at.segmented_control(key="composer_look").options == ["Avatar photo", "New setting"]
    at.segmented_control(key="composer_look").set_value("prompt").run()
    assert any(t.label == "Where is Dana?" for t in at.text_input)
    at.segmented_control(key="composer_look").set_value("catalog").run()
    at.text_area(key="composer_script").input("Hi, it's me, and this serum is my new favourite.")
    submit(at, "Generate")
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    with app_services.db.session() as session:
        video = session.scalar(select(VideoAsset))
        assert video is not None and video.avatar_id == avatar and video.actor_id is None
    app_services.queue.drain()  # type: ignore[attr-defined]
    at.run()
    assert not at.exception, at.exception
    assert any("Completed" in chip for chip in chips(at))
    assert shown(at, "**Dana**")
