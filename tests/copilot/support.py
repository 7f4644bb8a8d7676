"""Services for copilot tests: the mass generator's real offline providers plus a copilot."""

from __future__ import annotations

from typing import Any

from core.adapters.db.database import Database
from core.adapters.providers.local.copilot import LocalCopilot
from core.config import Settings
from core.ports_services import ProviderChoice, Services
from tests.ugc_support import ugc_services


def copilot_services(settings: Settings, db: Database, copilot: Any = None) -> Services:
    services = ugc_services(settings, db)
    provider = copilot or LocalCopilot(word_delay_s=0.0)
    vendor = "local" if getattr(provider, "offline", True) else "google"
    services.providers.choices["copilot"] = ProviderChoice("copilot", provider, vendor, "copilot", vendor != "local")
    return services


def drain_to(services: Services, statuses: set[str], ad_id: str, *, user_id: str, rounds: int = 30) -> str:
    """Run the hand-driven queue until the ad reaches one of `statuses`."""
    from core.services.ads import wizard

    status = ""
    for _ in range(rounds):
        services.queue.drain()  # type: ignore[attr-defined]
        status = wizard.get_ad(ad_id, user_id=user_id, services=services, with_scenes=False).status.value
        if status in statuses:
            return status
    return status
