"""The Library lists finished ads beside talking videos: one newest-first list, a type filter,
one search over project title, product name, script and prompt, pagination, and ad details."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from core.adapters.db.database import Database
from core.adapters.db.models.ads import AdOutput
from core.adapters.db.models.base import utcnow
from core.adapters.db.models.talking import VideoAsset
from core.errors import NotFound
from core.ports_services import Services
from core.services.accounts.identity import ensure_user
from core.services.ads import wizard
from core.services.library import items
from core.services.library.items import AdCard, LibraryQuery
from tests.ugc_support import actor_id, scripted_ad, ugc_services, ugc_settings


@pytest.fixture
def services(tmp_path: Path, db: Database) -> Services:
    return ugc_services(ugc_settings(tmp_path / "data"), db)


def _finish(services: Services, ad_id: str, minutes_ago: int) -> str:
    with services.db.session() as session:
        output = AdOutput(
            ad_id=ad_id,
            job_id="j",
            aspect="9:16",
            video_key="video/x.mp4",
            duration_s=15.0,
            width=270,
            height=480,
            created_at=utcnow() - timedelta(minutes=minutes_ago),
        )
        session.add(output)
        session.flush()
        return output.id


def _video(services: Services, project_id: str, owner: str, script: str, minutes_ago: int) -> str:
    with services.db.session() as session:
        video = VideoAsset(
            owner_id=owner,
            project_id=project_id,
            actor_id=actor_id(services),
            source_type="text",
            source_text=script,
            status="completed",
            created_at=utcnow() - timedelta(minutes=minutes_ago),
        )
        session.add(video)
        session.flush()
        return video.id


def test_ads_and_videos_share_one_list_filtered_searched_and_paged(services: Services) -> None:
    user, ad_id = scripted_ad(services)
    project_id = wizard.get_ad(ad_id, user_id=user, services=services).project_id
    output = _finish(services, ad_id, minutes_ago=1)
    older = _video(services, project_id, user, "Coffee that wakes you gently.", minutes_ago=5)
    everything = items.list_library(LibraryQuery(), user_id=user, services=services)
    assert [type(i).__name__ for i in everything.items] == ["AdCard", "VideoView"] and everything.total == 2
    assert isinstance(everything.items[0], AdCard) and everything.items[0].output_id == output

    def only(**kw: object) -> list[str | None]:
        page = items.list_library(LibraryQuery(**kw), user_id=user, services=services)  # type: ignore[arg-type]
        return [getattr(i, "output_id", getattr(i, "id", None)) for i in page.items]

    assert only(kind="ad") == [output] and only(kind="talking") == [older]
    assert only(search="glow serum") == [output]  # the product name
    assert only(search="vitamin c") == [output]  # the brief's prompt
    line = wizard.get_ad(ad_id, user_id=user, services=services).scenes[0].script.dialogue
    word = max(line.split(), key=len).strip(",.!?'").lower()
    assert output in only(search=word) and older not in only(search=word)  # the script
    assert set(only(search="launch")) == {output, older}  # the project title
    assert only(search="coffee") == [older]
    assert only(statuses=("failed",)) == []
    paged = items.list_library(LibraryQuery(page=2, page_size=1), user_id=user, services=services)
    assert paged.pages == 2 and [getattr(i, "id", None) for i in paged.items] == [older]


def test_an_ads_details_list_its_scenes_and_only_for_people_who_may_see_it(services: Services) -> None:
    user, ad_id = scripted_ad(services)
    output = _finish(services, ad_id, minutes_ago=0)
    details = items.ad_details(output, user_id=user, services=services)
    assert details.card.product_name == "Glow Serum" and len(details.scenes) == 3
    assert all(s.dialogue for s in details.scenes) and details.details["Length"] == "15.0 s"
    assert "vitamin C" in details.prompt
    stranger = ensure_user(services.db, "x@example.com")
    with pytest.raises(NotFound):
        items.ad_details(output, user_id=stranger, services=services)
    assert items.list_library(LibraryQuery(), user_id=stranger, services=services).total == 0
