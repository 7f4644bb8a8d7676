"""Which vendor serves a capability, decided from the settings alone (no key is opened, nothing is built).

The provider registry builds the chosen adapters; services that only need to know the choice
(for example whether clips are rendered offline) ask here, so they never import a vendor adapter.
"""

from __future__ import annotations

from core.config import Settings
from core.errors import ConfigurationError

# Which vendors can serve each capability, in the order "auto" prefers them.
CLOUD_VENDORS: dict[str, tuple[str, ...]] = {
    "image_edit": ("fal", "google"),
    "speech": ("fal", "google", "gcloud"),
    "lipsync": ("wavespeed", "fal"),
    "image_gen": ("fal", "google"),
    "image_to_video": ("kie", "google"),
    "llm": ("google",),
    "vision": ("google",),
    "copilot": ("google",),
    "lora_train": ("fal",),
    "lora_image": ("fal",),
    "face_swap": ("fal",),
}


def choose_vendor(settings: Settings, capability: str) -> tuple[str, str]:
    """(vendor, note) for a capability; a chosen vendor without its key falls back to local."""
    wanted = getattr(settings, f"{capability}_provider")
    if wanted == "local":
        return "local", "chosen in settings"
    if wanted == "auto":
        for vendor in CLOUD_VENDORS[capability]:
            if settings.has_key(vendor):
                return vendor, "key found"
        return "local", "offline: no cloud key set"
    if wanted not in CLOUD_VENDORS[capability]:
        raise ConfigurationError(f"{wanted} does not offer {capability.replace('_', ' ')}.")
    if not settings.has_key(wanted):
        return "local", f"offline: {wanted} chosen but its key is missing"
    return wanted, "chosen in settings"
