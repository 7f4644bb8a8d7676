"""What the Settings page shows per capability, and its 'Test connection' button."""

from __future__ import annotations

from core.ports_services import Services


def try_connection(capability: str, *, services: Services) -> str:
    """A plain sentence on success; raises a StudioError saying what went wrong."""
    choice = services.providers.choices[capability]
    return services.connections(services.settings, choice.vendor, choice.model)
