"""Drafts on SQLite and PostgreSQL: per user, project and field; NUL dropped; blank removes."""

from __future__ import annotations

import pytest

from core.errors import NotFound
from core.ports_services import Services
from core.services.accounts import drafts
from core.services.accounts.identity import ensure_user
from core.services.talking import projects


def test_drafts_are_kept_per_user_and_project(services: Services, owner: str) -> None:
    one = projects.create_project("One", owner_id=owner, services=services).id
    two = projects.create_project("Two", owner_id=owner, services=services).id
    drafts.save_draft(one, "script", "Hello\x00 there", user_id=owner, services=services)
    drafts.save_draft(one, "script", "Hello there, again", user_id=owner, services=services)
    assert drafts.load_draft(one, "script", user_id=owner, services=services) == "Hello there, again"
    assert drafts.load_draft(two, "script", user_id=owner, services=services) == ""
    drafts.save_draft(two, "script", "Nul\x00 is dropped", user_id=owner, services=services)
    assert drafts.load_draft(two, "script", user_id=owner, services=services) == "Nul is dropped"

    stranger = ensure_user(services.db, "stranger@example.com")
    with pytest.raises(NotFound):
        drafts.save_draft(one, "script", "not mine", user_id=stranger, services=services)
    assert drafts.load_draft(one, "script", user_id=stranger, services=services) == ""

    drafts.save_draft(one, "script", "   ", user_id=owner, services=services)
    assert drafts.load_draft(one, "script", user_id=owner, services=services) == ""
