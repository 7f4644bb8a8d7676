"""Fallbacks in the ad pipeline (issue 18): storyboard frames move to the fallback image model
while the primary is down, and each frame says which provider drew it (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.adapters.db.database import Database
from core.errors import ProviderError, TransientError
from core.ports_services import ProviderChoice
from core.services.ads import generation, wizard
from tests.fakes import FakeProvider
from tests.ugc_support import scripted_ad, ugc_services, ugc_settings


def _to_gate(tmp_path: Path, db: Database, primary: FakeProvider, backup: FakeProvider) -> tuple[Any, Any]:
    settings = ugc_settings(tmp_path / "data", ugc_storyboard_similarity_min=0.0, fallback_after_attempts=1)
    services = ugc_services(settings, db, image_gen=primary)
    services.providers.fallbacks["image_gen"] = [
        ProviderChoice("image_gen", backup, "fake", "backup", key_present=True, note="fallback 1")
    ]
    user, ad_id = scripted_ad(services)
    generation.start_generation(ad_id, user_id=user, services=services)
    services.queue.drain()  # type: ignore[attr-defined]
    return services, wizard.get_ad(ad_id, user_id=user, services=services)


def test_frames_move_to_the_fallback_while_the_primary_is_down(tmp_path: Path, db: Database) -> None:
    outage = [TransientError("fake is busy (error 503).", status_code=503) for _ in range(20)]
    primary = FakeProvider("image", name="fake:primary", faults=list(outage))
    backup = FakeProvider("image", name="fake:backup")

    _services, ad = _to_gate(tmp_path, db, primary, backup)

    frames = [f for scene in ad.scenes for f in scene.frames]
    assert len(frames) == 6 and {f.made_by for f in frames} == {"fake:backup"}
    assert backup.submits == 6 and primary.submits == 0
    assert len(primary.faults) == 19  # tried once; then skipped while its circuit is open


def test_a_refused_prompt_stays_with_the_primary(tmp_path: Path, db: Database) -> None:
    refusal = ProviderError("fake refused the prompt (error 400).", provider="fake", status_code=400)
    primary = FakeProvider("image", name="fake:primary", faults=[refusal])
    backup = FakeProvider("image", name="fake:backup")

    _services, ad = _to_gate(tmp_path, db, primary, backup)

    frames = [f for scene in ad.scenes for f in scene.frames]
    assert backup.submits == 0 and primary.submits == 5  # the refused frame failed alone
    assert {f.made_by for f in frames if f.status.value == "ready"} == {"fake:primary"}
    assert [f.error for f in frames if f.status.value == "failed"] == ["fake refused the prompt (error 400)."]
