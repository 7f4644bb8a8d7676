"""The screens under AppTest: fake providers, the hand-driven queue, the seeded catalog."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from core.adapters.db.models.jobs import CostRecord, Job
from core.adapters.db.models.talking import VideoAsset
from core.ports_services import Services
from core.services.talking.projects import create_project, list_projects
from core.services.talking.videos import VideoRequest, create_video

PAGES = [
    "pages/home.py",
    "pages/projects.py",
    "pages/project.py",
    "pages/actors.py",
    "pages/library.py",
    "pages/usage.py",
    "pages/settings.py",
]

OpenPage = Callable[..., AppTest]


def texts(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown] + [c.value for c in at.caption]


def shown(at: AppTest, needle: str) -> bool:
    return any(needle in text for text in texts(at))


def chips(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if "-badge[:material/" in m.value]


def charts(at: AppTest) -> int:
    return len(at.get("vega_lite_chart"))


def submit(at: AppTest, label: str) -> AppTest:
    return next(b for b in at.button if b.label == label).click().run()


@pytest.mark.parametrize("page", PAGES)
def test_every_page_launches(open_page: OpenPage, page: str) -> None:
    at = open_page(page)
    assert not at.exception, at.exception
    assert at.title, f"{page} has no title"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_launches_with_a_project_and_a_finished_video(
    open_page: OpenPage, app_services: Services, creator: str, page: str
) -> None:
    project = create_project("Launch", owner_id=creator, services=app_services)
    actor_id = _first_actor_id(app_services)
    create_video(
        VideoRequest(project.id, actor_id, script="Hi there, this works."), user_id=creator, services=app_services
    )
    app_services.queue.drain()
    at = open_page(page, project_id=project.id)
    assert not at.exception, at.exception


def test_creating_a_project_lists_it(open_page: OpenPage, app_services: Services, creator: str) -> None:
    at = open_page("pages/projects.py")
    assert shown(at, "No projects yet")
    at.text_input[0].input("Summer sunscreen launch")
    submit(at, "Create project")
    assert not at.exception, at.exception
    assert shown(at, "#### Summer sunscreen launch")
    assert [p.title for p in list_projects(user_id=creator, services=app_services)] == ["Summer sunscreen launch"]


def test_an_empty_title_is_refused_in_plain_words(open_page: OpenPage) -> None:
    at = open_page("pages/projects.py")
    submit(at, "Create project")
    assert any("Give the project a title" in e.value for e in at.error)


def test_catalog_filters_combine_gender_and_scene(open_page: OpenPage) -> None:
    at = open_page("pages/actors.py")
    everyone = _actor_names(at)
    assert len(everyone) >= 2

    at.pills(key="catalog_genders").set_value(["female"]).run()
    women = _actor_names(at)
    assert women and set(women) < set(everyone)

    at.pills(key="catalog_tags").set_value(["airport"]).run()
    both = _actor_names(at)
    assert both and set(both) < set(women), "a scene tag must narrow the gender filter further"

    at.pills(key="catalog_genders").set_value(["male"]).run()
    assert set(_actor_names(at)).isdisjoint(women)


def test_composer_refuses_a_script_over_the_limit(open_page: OpenPage, app_services: Services, creator: str) -> None:
    project = create_project("Launch", owner_id=creator, services=app_services)
    at = open_page("pages/project.py", project_id=project.id)
    at.text_area(key="composer_script").input("a" * 1501)
    submit(at, "Generate")
    assert not at.exception, at.exception
    assert any("1,501 characters" in e.value and "1,500" in e.value for e in at.error)
    assert app_services.queue.enqueued == []


def test_generate_queues_a_job_and_the_chip_turns_completed(
    open_page: OpenPage, app_services: Services, creator: str
) -> None:
    project = create_project("Launch", owner_id=creator, services=app_services)
    at = open_page("pages/project.py", project_id=project.id)
    assert shown(at, "No videos yet")
    at.text_area(key="composer_script").input("Three days in and my skin has never felt this calm.")
    submit(at, "Generate")
    assert not at.exception, at.exception
    assert len(app_services.queue.enqueued) == 1
    assert any("Queued" in chip for chip in chips(at))

    app_services.queue.drain()
    at.run()
    assert not at.exception, at.exception
    assert any("Completed" in chip for chip in chips(at))
    with app_services.db.session() as session:
        job = session.scalar(select(Job))
        assert job is not None and job.status == "completed"


def test_the_project_survives_a_refresh_through_the_url(
    open_page: OpenPage, app_services: Services, creator: str
) -> None:
    project = create_project("From the link", owner_id=creator, services=app_services)
    at = AppTest.from_file(str(_app_path()), default_timeout=30)
    at.query_params["project"] = project.id
    at.run()
    at.switch_page("pages/project.py").run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["From the link"]
    assert at.session_state["project_id"] == project.id


def test_details_regenerate_and_delete_from_the_gallery(
    open_page: OpenPage, app_services: Services, creator: str
) -> None:
    project = create_project("Launch", owner_id=creator, services=app_services)
    actor_id = _first_actor_id(app_services)
    video_id = create_video(
        VideoRequest(project.id, actor_id, script="Short and sweet."), user_id=creator, services=app_services
    )
    app_services.queue.drain()
    at = open_page("pages/project.py", project_id=project.id)

    at.button(key=f"play_{video_id}").click().run()
    assert not at.exception, at.exception
    assert shown(at, "Total cost")

    at.button(key=f"regen_{video_id}").click().run()
    assert not at.exception, at.exception
    with app_services.db.session() as session:
        versions = session.scalars(select(VideoAsset).order_by(VideoAsset.version)).all()
        assert [(v.version, v.parent_id) for v in versions] == [(1, None), (2, video_id)]

    at.button(key=f"del_{video_id}").click().run()
    assert not at.exception, at.exception
    with app_services.db.session() as session:
        assert session.get(VideoAsset, video_id) is None


def test_a_video_in_flight_is_cancelled_from_its_card(
    open_page: OpenPage, app_services: Services, creator: str
) -> None:
    project = create_project("Oops", owner_id=creator, services=app_services)
    video_id = create_video(
        VideoRequest(project.id, _first_actor_id(app_services), script="Wrong script."),
        user_id=creator,
        services=app_services,
    )
    at = open_page("pages/project.py", project_id=project.id)
    assert not [b for b in at.button if b.key == f"regen_{video_id}"]  # nothing to regenerate yet
    at.button(key=f"cancel_{video_id}").click().run()
    assert not at.exception, at.exception
    app_services.queue.drain()
    with app_services.db.session() as session:
        video = session.get(VideoAsset, video_id)
        job = session.get(Job, video.job_id)  # type: ignore[union-attr]
        assert job is not None and job.cancel_requested and job.status == "cancelled"


def test_a_video_stopped_on_an_unconfirmed_paid_call_retries_only_on_consent(
    open_page: OpenPage, app_services: Services, creator: str
) -> None:
    from core.errors import AnswerLost

    speech = app_services.providers.get("speech")
    speech.faults.append(AnswerLost("The connection dropped.", provider="fake"))  # answer lost after sending
    project = create_project("Launch", owner_id=creator, services=app_services)
    video_id = create_video(
        VideoRequest(project.id, _first_actor_id(app_services), script="Short and sweet."),
        user_id=creator,
        services=app_services,
    )
    app_services.queue.drain()
    at = open_page("pages/project.py", project_id=project.id)
    assert not at.exception, at.exception
    assert shown(at, "may have started this")
    assert speech.submits == 0 and app_services.queue.drain() == 0  # nothing resubmitted on its own

    at.button(key=f"retry_paid_{video_id}").click().run()
    assert not at.exception, at.exception
    app_services.queue.drain()
    with app_services.db.session() as session:
        assert session.get(VideoAsset, video_id).status == "completed"  # type: ignore[union-attr]
    assert speech.submits == 1


def test_library_search_narrows_across_projects(open_page: OpenPage, app_services: Services, creator: str) -> None:
    actor_id = _first_actor_id(app_services)
    for title, script in (("One", "Sunscreen that feels like nothing."), ("Two", "Coffee that wakes you gently.")):
        project = create_project(title, owner_id=creator, services=app_services)
        create_video(VideoRequest(project.id, actor_id, script=script), user_id=creator, services=app_services)
    at = open_page("pages/library.py")
    assert shown(at, "2 videos")
    at.text_input(key="library_search").input("coffee").run()
    assert shown(at, "1 video ·")
    assert shown(at, "Coffee that wakes you gently.")


def test_usage_renders_charts_after_a_completed_job(open_page: OpenPage, app_services: Services, creator: str) -> None:
    _one_finished_video(app_services, creator)
    at = open_page("pages/usage.py")
    assert not at.exception, at.exception
    assert [m.value for m in at.metric][:2] == ["1", "1"]
    assert charts(at) >= 3  # per day, step times, cost per day
    # the jobs-per-day chart carries its numbers and a CSV export (streamlit-extras' chart container)
    assert {t.label for t in at.tabs} >= {":material/bar_chart: Chart", ":material/table: Numbers"}
    assert any(list(df.value.columns) == ["day", "status", "jobs"] for df in at.dataframe)


def test_usage_shows_possibly_charged_calls_apart_from_what_was_spent(
    open_page: OpenPage, app_services: Services, creator: str
) -> None:
    _one_finished_video(app_services, creator)
    with app_services.db.session() as session:
        session.add(
            CostRecord(
                owner_id=creator, provider="wavespeed", capability="lipsync", amount_usd=0.0, status="possibly_charged"
            )
        )
    at = open_page("pages/usage.py")
    assert not at.exception, at.exception
    by_label = {m.label: m.value for m in at.metric}
    assert by_label["Possibly charged"] == "1"
    assert any("may have been charged" in w.value for w in at.warning)
    assert any(list(df.value.columns) == ["when", "provider", "capability", "work"] for df in at.dataframe)


def _one_finished_video(services: Services, creator: str) -> None:
    project = create_project("Launch", owner_id=creator, services=services)
    create_video(
        VideoRequest(project.id, _first_actor_id(services), script="It just works."),
        user_id=creator,
        services=services,
    )
    services.queue.drain()


def _actor_names(at: AppTest) -> list[str]:
    """Names on the actor cards, recognised against the seeded catalog."""
    from core.services.talking.catalog import list_actors

    catalog = {f"**{a.display_name}**" for a in list_actors(services=_installed())}
    return [m.value.strip("*") for m in at.markdown if m.value in catalog]


def _installed() -> Services:
    from core.bootstrap import get_services

    return get_services()


def _first_actor_id(services: Services) -> str:
    from core.services.talking.catalog import list_actors

    return list_actors(services=services)[0].id


def _app_path():  # type: ignore[no-untyped-def]
    from tests.app.conftest import APP

    return APP


def test_prepare_uploaded_audio_refuses_61_seconds_with_the_limit(app_services: Services, creator: str) -> None:
    from core.errors import MediaRejected
    from core.services.talking.videos import prepare_uploaded_audio
    from tests.fakes import FakeMedia

    app_services.media = FakeMedia(duration_s=61)
    with pytest.raises(MediaRejected, match="limit is 60 s"):
        prepare_uploaded_audio(b"ID3" + b"\0" * 64, user_id=creator, services=app_services)


@pytest.mark.parametrize(("seconds", "accepted"), [(12.0, True), (61.0, False)])
def test_composer_checks_an_upload_by_its_content(
    open_page: OpenPage, app_services: Services, creator: str, seconds: float, accepted: bool
) -> None:
    from tests.fakes import FakeMedia

    app_services.media = FakeMedia(duration_s=seconds)
    project = create_project("Launch", owner_id=creator, services=app_services)
    at = open_page("pages/project.py", project_id=project.id)
    at.segmented_control(key="composer_voice").set_value("audio").run()
    at.file_uploader(key="composer_upload").upload("voice.mp3", b"ID3" + b"\0" * 64, "audio/mpeg").run()
    assert not at.exception, at.exception
    if not accepted:
        assert any("limit is 60 s" in e.value for e in at.error)
        submit(at, "Generate")
        assert any("Upload your recording" in e.value for e in at.error)
        assert app_services.queue.enqueued == []
        return
    assert any("Recording ready: 12.0 s" in s.value for s in at.success)
    submit(at, "Generate")
    assert not at.exception, at.exception
    with app_services.db.session() as session:
        video = session.scalar(select(VideoAsset))
        assert video is not None and video.source_type == "audio" and video.source_audio_key


def test_an_inline_image_prompt_saves_a_reusable_variant(
    open_page: OpenPage, app_services: Services, creator: str
) -> None:
    from core.services.talking.variants import list_variants

    project = create_project("Launch", owner_id=creator, services=app_services)
    at = open_page("pages/project.py", project_id=project.id)
    at.segmented_control(key="composer_look").set_value("prompt").run()
    at.text_input(key="composer_prompt").input("in a bright kitchen")
    at.text_area(key="composer_script").input("Breakfast in two minutes, no mess.")
    submit(at, "Generate")
    assert not at.exception, at.exception
    app_services.queue.drain()
    saved = list_variants(project.id, user_id=creator, services=app_services)
    assert [v.prompt for v in saved] == ["in a bright kitchen"]

    at.segmented_control(key="composer_look").set_value("variant").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="composer_variant").value == saved[0].id


def test_catalog_variants_are_made_listed_and_reused(open_page: OpenPage, app_services: Services, creator: str) -> None:
    project = create_project("Launch", owner_id=creator, services=app_services)
    actor_id = _first_actor_id(app_services)
    at = open_page("pages/actors.py", project_id=project.id)
    at.button(key=f"variants_{actor_id}").click().run()
    at.text_input[0].input("at an airport gate")
    submit(at, "Make variant")
    assert not at.exception, at.exception
    assert shown(at, "Making the image")

    app_services.queue.drain()
    at.run()
    use = [b for b in at.button if b.key and b.key.startswith("use_variant_")]
    assert len(use) == 1
    use[0].click().run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Launch"]  # switched to the project page
    assert at.segmented_control(key="composer_look").value == "variant"


def _chips_script() -> None:
    """A page of chips for every video; session_state['stale'] hands the fragment an outdated reading once."""
    import streamlit as st

    from components.job_progress import WatchedChip, job_progress
    from core.bootstrap import get_services
    from core.domain.types import JobStatus, JobView, VideoStatus
    from core.services.talking.gallery import GalleryQuery, list_videos

    services = get_services()
    st.session_state["runs"] = st.session_state.get("runs", 0) + 1
    items = list_videos(GalleryQuery(), user_id=st.session_state["uid"], services=services).items
    chips = {}
    for video in items:
        assert video.job is not None
        status, job = video.status, video.job
        if st.session_state.pop("stale", False):
            status, job = VideoStatus.QUEUED, JobView(job.id, JobStatus.QUEUED, None, 0.0, None)
        chips[job.id] = WatchedChip(st.empty(), status, job)
    st.text(f"polling={job_progress(chips, user_id=st.session_state['uid'], services=services, key='chips')}")


def _polling(at: AppTest) -> str:
    return next(t.value for t in at.text if t.value.startswith("polling="))


def test_chips_poll_only_while_a_job_is_in_flight(app_services: Services, creator: str) -> None:
    project = create_project("Launch", owner_id=creator, services=app_services)
    create_video(
        VideoRequest(project.id, _first_actor_id(app_services), script="Hello."), user_id=creator, services=app_services
    )
    at = AppTest.from_function(_chips_script, default_timeout=30)
    at.session_state["uid"] = creator
    at.run()
    assert not at.exception, at.exception
    assert _polling(at) == "polling=True" and any("Queued" in c for c in chips(at))

    app_services.queue.drain()
    at.run()
    assert _polling(at) == "polling=False" and any("Completed" in c for c in chips(at))


def test_a_job_that_ended_since_the_page_read_it_reruns_the_page(app_services: Services, creator: str) -> None:
    project = create_project("Launch", owner_id=creator, services=app_services)
    create_video(
        VideoRequest(project.id, _first_actor_id(app_services), script="Hello."), user_id=creator, services=app_services
    )
    app_services.queue.drain()
    at = AppTest.from_function(_chips_script, default_timeout=30)
    at.session_state["uid"] = creator
    at.session_state["stale"] = True
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["runs"] == 2, "the fragment must ask for a full rerun when a watched job ends"
    assert _polling(at) == "polling=False"


def test_chip_text_names_the_step_and_progress_and_the_failure_reason() -> None:
    from components.status_chip import chip_for
    from core.domain.types import ErrorInfo, JobStatus, JobView, VideoStatus

    running = JobView("j", JobStatus.RUNNING, "lip_sync", 0.6, None)
    assert chip_for(VideoStatus.QUEUED, running).text == "Generating · lip sync · 60%"
    assert chip_for(VideoStatus.GENERATING, running).colour == "blue"
    failed = JobView("j", JobStatus.FAILED, "tts", 0.3, ErrorInfo("provider_failed", "The voice service refused."))
    chip = chip_for(VideoStatus.GENERATING, failed)
    assert (chip.text, chip.reason, chip.colour, chip.active) == ("Failed", "The voice service refused.", "red", False)
    assert chip_for(VideoStatus.COMPLETED).text == "Completed"


def test_settings_tests_a_connection_and_says_what_answered(open_page, creator) -> None:  # type: ignore[no-untyped-def]
    at = open_page("pages/settings.py")
    test_buttons = [b for b in at.button if b.key and b.key.startswith("test_")]
    assert test_buttons, "one Test button per capability"
    test_buttons[0].click().run()
    assert not at.exception
    messages = [m.value for m in at.success] + [m.value for m in at.error]
    assert messages, "the result is shown in plain words"


def test_settings_shows_each_actors_voice_per_provider_and_tests_them(open_page, creator) -> None:  # type: ignore[no-untyped-def]
    at = open_page("pages/settings.py")
    table = next(d.value for d in at.dataframe if "Actor" in d.value.columns)
    assert {
        "eSpeak NG (offline) (in use)",
        "Gemini TTS",
        "Google Cloud TTS",
        "ElevenLabs (fal)",
        "MiniMax (fal)",
    } <= set(table.columns)
    assert len(table) >= 1 and all(table["Gemini TTS"])
    at.button(key="test_voices").click().run()
    assert not at.exception and any("Every actor has" in m.value for m in at.success)


def test_the_library_holds_finished_ads_beside_videos(
    open_page: OpenPage, app_services: Services, creator: str
) -> None:
    from core.adapters.db.models.ads import AdOutput
    from core.services.ads import product, wizard

    project = create_project("Serums", owner_id=creator, services=app_services)
    create_video(VideoRequest(project.id, _first_actor_id(app_services), script="Coffee that wakes you."),
                 user_id=creator, services=app_services)  # fmt: skip
    ad_id = wizard.open_wizard(project.id, user_id=creator, services=app_services)
    product.save_product_info(ad_id, name="Glow Serum", brand="Lumi", user_id=creator, services=app_services)
    with app_services.db.session() as session:
        output = AdOutput(ad_id=ad_id, job_id="j", aspect="9:16", video_key="video/x.mp4", duration_s=15.0)
        session.add(output)
        session.flush()
        output_id = output.id
    at = open_page("pages/library.py")
    assert shown(at, "2 videos") and shown(at, "Glow Serum")
    at.segmented_control(key="library_kind").set_value("ad").run()
    assert shown(at, "1 video ·") and not shown(at, "Coffee that wakes you.")
    at.segmented_control(key="library_kind").set_value("all").run()
    at.text_input(key="library_search").input("glow").run()
    assert shown(at, "1 video ·")
    at.button(key=f"adplay_{output_id}").click().run()
    assert not at.exception, at.exception
    assert [t.label for t in at.tabs] == ["Preview", "Versions", "Scenes", "Details"]
