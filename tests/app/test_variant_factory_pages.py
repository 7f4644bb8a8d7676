"""The Media library and Variant factory pages under AppTest, with real FFmpeg for the media."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.adapters.media.ffmpeg import FfmpegToolkit
from core.ports_services import Services
from core.services.talking.projects import create_project
from core.services.variant_factory import audio, handoff, hooks, media, uploads
from tests.app.conftest import APP
from tests.app.test_pages import chips, shown, submit, texts
from tests.unit.test_variant_factory import make_clip, make_tone


@pytest.fixture
def factory(app_services: Services, creator: str, tmp_path: Path) -> tuple[Services, str, str]:
    app_services.media = FfmpegToolkit()  # real probing, posters and rendering
    project = create_project("Launch", owner_id=creator, services=app_services).id
    return app_services, creator, project


def estimated(at: AppTest, needle: str) -> bool:
    return any(needle in i.value for i in at.info)


def _seed(services: Services, user: str, project: str, tmp_path: Path) -> None:
    for name, size in (("one", "180x320"), ("two", "192x320")):
        data = make_clip(tmp_path / f"{name}.mp4", seconds=2.0, size=size).read_bytes()
        uploads.queue_video_upload(project, data, title=f"Clip {name}", user_id=user, services=services)
    services.queue.drain()  # type: ignore[attr-defined]
    for n in (1, 2):
        data = make_tone(tmp_path / f"t{n}.mp3", 1.0 + n, 300 * n).read_bytes()
        audio.upload_audio(project, data, title=f"Tone {n}", user_id=user, services=services)
    hooks.add_hooks(project, "Stop scrolling\nYou need this", category="curiosity", user_id=user, services=services)


def test_the_media_library_adds_filters_and_refuses_hooks(open_page, factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    services, user, project = factory
    _seed(services, user, project, tmp_path)
    at = open_page("pages/media_library.py", project_id=project)
    assert not at.exception, at.exception
    assert shown(at, "**Clip one**") and shown(at, "**Clip two**") and shown(at, "2 videos")
    at.text_input(key="vlib_query").input("two").run()
    assert shown(at, "1 video") and not shown(at, "**Clip one**")
    assert shown(at, "**Tone 1**") and shown(at, "2 hooks")

    area = next(a for a in at.text_area if a.label == "Hooks")
    area.input("A fresh hook\n\nstop SCROLLING\n" + "x" * 200)
    submit(at, "Add")
    assert not at.exception, at.exception
    assert any("Line 4" in e.value for e in at.error)
    assert hooks.list_hooks(project, user_id=user, services=services).total == 2  # nothing added
    area = next(a for a in at.text_area if a.label == "Hooks")
    area.input("A fresh hook\n\nstop SCROLLING\n")
    submit(at, "Add")
    assert any("Added 1; 1 duplicates and 1 empty" in s.value for s in at.success)
    assert shown(at, "3 hooks")
    at.multiselect(key="hlib_cats").set_value(["curiosity"]).run()
    assert shown(at, "2 hooks")


def test_uploads_show_live_chips_and_refusals_with_their_reason(open_page, factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    services, user, project = factory
    good = make_clip(tmp_path / "good.mp4", seconds=2.0).read_bytes()
    uploads.queue_video_upload(project, good, title="Fresh clip", user_id=user, services=services)
    fake = b"\x00\x00\x00\x18ftypisom" + b"\x00" * 400
    uploads.queue_video_upload(project, fake, title="Broken clip", user_id=user, services=services)
    at = open_page("pages/media_library.py", project_id=project)
    assert not at.exception, at.exception
    assert shown(at, "**Fresh clip** · ") and shown(at, "**Broken clip** · ") and shown(at, "0 videos")
    assert sum("Queued" in c for c in chips(at)) == 2
    services.queue.drain()  # type: ignore[attr-defined]  (the worker prepares both)
    at.run()
    assert not at.exception, at.exception
    assert shown(at, "**Fresh clip**") and shown(at, "1 video")
    assert any("not an audio or video file" in c.value for c in at.caption)
    next(b for b in at.button if b.label == "Dismiss").click().run()
    assert not at.exception, at.exception
    assert uploads.pending_uploads(project, user_id=user, services=services) == []
    assert not shown(at, "**Broken clip** · ")


def test_a_batch_from_the_factory_page_renders_and_zips(open_page, factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    services, user, project = factory
    _seed(services, user, project, tmp_path)
    at: AppTest = open_page("pages/variant_factory.py", project_id=project)
    assert not at.exception, at.exception
    videos = media.list_videos(project, user_id=user, services=services).items
    sounds = audio.list_audio(project, user_id=user, services=services).items
    at.multiselect(key="vf_videos").set_value([v.id for v in videos]).run()
    at.multiselect(key="vf_audio").set_value([a.id for a in sounds]).run()
    at.multiselect(key="vf_hcats").set_value(["curiosity"]).run()
    assert estimated(at, "**2 variants**")  # round-robin: the longest list
    at.radio(key="vf_mode").set_value("every_combination").run()
    at.text_input(key="vf_product").input("Glow").run()
    assert estimated(at, "**8 variants**") and estimated(at, "cost $0.00")
    submit(at, "Start batch")
    assert not at.exception, at.exception
    services.queue.drain()  # type: ignore[attr-defined]
    at.run()
    assert not at.exception, at.exception
    assert shown(at, "**8 variants**") and any(":green-badge[ready] 8" in t for t in texts(at))
    submit(at, "Build ZIP with manifest")
    assert not at.exception, at.exception
    [batch] = handoff.list_batches(project, user_id=user, services=services)
    assert batch.zip_key and any(b.label == "Download ZIP" for b in at.get("download_button"))
    with zipfile.ZipFile(services.storage.download_to(batch.zip_key, tmp_path / "b.zip")) as zf:
        assert len(zf.namelist()) == 9 and all(n.startswith(("Glow_curiosity_", "manifest")) for n in zf.namelist())


def test_usage_shows_studio_stats_and_the_sidebar_credits(open_page, factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from core.services.variant_factory import batches

    services, user, project = factory
    _seed(services, user, project, tmp_path)
    videos = [v.id for v in media.list_videos(project, user_id=user, services=services).items]
    request = batches.BatchRequest(project, video_ids=tuple(videos), hook_categories=("curiosity",))
    batches.create_batch(request, user_id=user, services=services)
    services.queue.drain()  # type: ignore[attr-defined]
    home = AppTest.from_file(APP, default_timeout=30).run()  # the sidebar is drawn by app.py itself
    assert not home.exception, home.exception
    assert any("Credits: $0.00 of $25.00 today" in str(b.proto) for b in home.sidebar.get("progress"))
    at = open_page("pages/usage.py")
    assert not at.exception, at.exception
    assert any(h.value == "Studio" for h in at.subheader)
    assert shown(at, "MB in all") and shown(at, "**Ad variants**")


def test_the_images_and_models_tabs_list_the_projects_media(open_page, factory) -> None:  # type: ignore[no-untyped-def]
    from core.adapters.db.models.avatars import LoraModel
    from core.services.ads import wizard
    from core.services.variant_factory import images
    from tests.ugc_support import product_png

    services, user, project = factory
    ad = wizard.open_wizard(project, user_id=user, services=services)
    images.upload_product_photos(ad, [product_png()], user_id=user, services=services)
    with services.db.session() as session:
        session.add(
            LoraModel(owner_id=user, project_id=project, name="Mia v1", trigger_phrase="mia person",
                      source="uploaded", status="ready", size_bytes=2_000_000)
        )  # fmt: skip
    at = open_page("pages/media_library.py", project_id=project)
    assert not at.exception, at.exception
    assert shown(at, "1 image") and shown(at, "Product photo · 300x400")
    assert shown(at, "**Mia v1** · trigger `mia person`") and any("Ready" in c for c in chips(at))
    at.selectbox(key="ilib_source").set_value("avatar").run()
    assert not at.exception, at.exception
    assert shown(at, "0 images")
