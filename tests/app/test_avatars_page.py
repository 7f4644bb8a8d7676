"""The Avatars page under AppTest: offline notice for training, an avatar with its coverage, a sheet, uploads."""

from __future__ import annotations

from core.ports_services import Services
from core.services.avatars import lora, manage
from core.services.talking.projects import create_project
from tests.app.test_pages import OpenPage, shown
from tests.avatar_support import front, png, three_views
from tests.stubs.fal import safetensors_bytes


def _vision(services: Services) -> None:
    """The real offline vision (face cascades) and media toolkit instead of the page tests' fakes."""
    from core.adapters.media.ffmpeg import FfmpegToolkit
    from core.adapters.providers.local.image_edit import LocalImageEditor
    from core.adapters.providers.local.vision import LocalVisionAnalyzer
    from core.ports_services import ProviderChoice

    services.media = FfmpegToolkit()
    services.providers.choices["image_edit"] = ProviderChoice("image_edit", LocalImageEditor(), "local", "x", False)
    services.providers.choices["vision"] = ProviderChoice("vision", LocalVisionAnalyzer(), "local", "offline", False)


def test_the_page_without_a_project_points_to_projects(open_page: OpenPage, creator: str) -> None:
    at = open_page("pages/avatars.py")
    assert at.title[0].value == "Avatars"
    assert any("Create a project first" in i.value for i in at.info)


def test_avatars_loras_and_the_offline_training_notice(
    open_page: OpenPage, app_services: Services, creator: str
) -> None:
    _vision(app_services)
    project = create_project("Twins", owner_id=creator, services=app_services).id
    ready = manage.create_avatar(project, "Dana", three_views(), consent=True, user_id=creator, services=app_services)
    manage.create_avatar(project, "Half", [png(front(0)), png(front(1)), png(front(2))], consent=True,
                         user_id=creator, services=app_services)  # fmt: skip
    lora.upload_lora(project, "Dana v1", "dana_person", safetensors_bytes(), user_id=creator, services=app_services)
    at = open_page("pages/avatars.py", project_id=project)
    assert not at.exception
    assert shown(at, "✅ Ready")
    assert shown(at, "missing Left profile, Right profile")
    assert any("needs a fal.ai key" in i.value for i in at.info)
    assert shown(at, "**Dana v1**")
    next(b for b in at.button if b.label == "Make a reference sheet").click().run()
    assert not at.exception
    assert shown(at, "composed from the photos (offline)")
    assert manage.get_avatar(ready, user_id=creator, services=app_services).coverage.ready


def test_creating_without_consent_is_refused_on_the_page(
    open_page: OpenPage, app_services: Services, creator: str
) -> None:
    _vision(app_services)
    project = create_project("Twins", owner_id=creator, services=app_services).id
    at = open_page("pages/avatars.py", project_id=project)
    at.text_input[0].input("Nobody")
    next(b for b in at.button if b.label == "Create avatar").click().run()
    assert not at.exception
    assert any("permission" in e.value for e in at.error), [e.value for e in at.error]
    assert manage.list_avatars(project, user_id=creator, services=app_services) == []


def test_the_twins_fal_prices_show_as_estimated(open_page: OpenPage, app_services: Services, creator: str) -> None:
    from core.ports_services import ProviderChoice

    _vision(app_services)
    for capability in ("lora_train", "face_swap"):
        app_services.providers.choices[capability] = ProviderChoice(capability, object(), "fal", "m", True)
    project = create_project("Twins", owner_id=creator, services=app_services).id
    at = open_page("pages/avatars.py", project_id=project)
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert any("per 1000 steps (estimated" in c for c in captions), captions
    assert any("per second of video (estimated" in c for c in captions), captions
