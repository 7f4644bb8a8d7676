"""The Copilot addresses the creator's own avatars by name (SQLite and PostgreSQL): the chat's ad
gets that avatar's photos through the wizard's service; a teammate's unshared avatar is not
offered, and naming it sets nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.adapters.db.database import Database
from core.adapters.db.models.copilot import CopilotChat
from core.domain.ad_views import AdView
from core.ports_services import Services
from core.services.accounts import team
from core.services.accounts.identity import ensure_user
from core.services.ads import wizard
from core.services.avatars import manage
from core.services.copilot import chats, facts, turns
from core.services.talking.projects import create_project
from seeds.loader import seed_actors
from tests.avatar_support import three_views
from tests.copilot.support import copilot_services
from tests.ugc_support import ugc_settings


@pytest.fixture
def studio(tmp_path: Path, db: Database) -> Iterator[Services]:
    services = copilot_services(ugc_settings(tmp_path / "data", ugc_storyboard_similarity_min=0.0), db)
    seed_actors(services, with_previews=False)
    yield services


def _say(studio: Services, chat: str, user: str, text: str) -> turns.Turn:
    turn = turns.send(chat, text, user_id=user, services=studio)
    if turn.reply is not None:
        "".join(turn.reply)
    return turn


def _ad(studio: Services, chat: str, user: str) -> AdView:
    ad_id = chats.get_chat(chat, user_id=user, services=studio).ad_id or ""
    return wizard.get_ad(ad_id, user_id=user, services=studio, with_scenes=False)


def test_naming_an_own_avatar_makes_it_the_ads_avatar(studio: Services) -> None:
    owner = ensure_user(studio.db, "owner@example.com")
    project = create_project("Launch", owner_id=owner, services=studio).id
    avatar = manage.create_avatar(project, "Dana", three_views(), consent=True, user_id=owner, services=studio)
    chat = chats.create_chat(project, user_id=owner, services=studio)
    with studio.db.session() as session:
        known = facts.facts_of(session, session.get(CopilotChat, chat), owner)  # type: ignore[arg-type]
    assert known["avatars"] == ["Dana"] and "Ava" in " ".join(known["actors"])
    _say(studio, chat, owner, "a TikTok for Glow Serum with Dana please")
    ad = _ad(studio, chat, owner)
    assert ad.avatar is not None and ad.avatar.name == "Dana"
    photos = [p.image_key for p in manage.get_avatar(avatar, user_id=owner, services=studio).photos]
    assert len(ad.avatar.reference_keys) == len(photos) and not set(ad.avatar.reference_keys) & set(photos)
    front = manage.get_avatar(avatar, user_id=owner, services=studio).front_key
    assert studio.storage.read_bytes(ad.avatar.reference_keys[0]) == studio.storage.read_bytes(front)


def test_a_teammates_unshared_avatar_is_not_offered_and_naming_it_sets_nothing(studio: Services) -> None:
    owner = ensure_user(studio.db, "owner@example.com")
    mate = ensure_user(studio.db, "mate@example.com")
    project = create_project("Launch", owner_id=owner, services=studio).id
    team.invite_member(project, "mate@example.com", "editor", user_id=owner, services=studio)
    manage.create_avatar(project, "Zed", three_views(), consent=True, user_id=mate, services=studio)
    chat = chats.create_chat(project, user_id=owner, services=studio)
    with studio.db.session() as session:
        assert facts.facts_of(session, session.get(CopilotChat, chat), owner)["avatars"] == []  # type: ignore[arg-type]
    _say(studio, chat, owner, "a TikTok for Glow Serum with Zed please")
    ad_id = chats.get_chat(chat, user_id=owner, services=studio).ad_id
    assert ad_id is None or _ad(studio, chat, owner).avatar is None
