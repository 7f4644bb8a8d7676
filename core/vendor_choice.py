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


# (capability, vendor) -> the setting naming the model that vendor runs (fallback chains set it,
# and a user's own key reports it)
MODEL_SETTINGS: dict[tuple[str, str], str] = {
    ("image_edit", "fal"): "fal_image_edit_model",
    ("image_edit", "google"): "google_image_model",
    ("speech", "fal"): "fal_tts_model",
    ("speech", "google"): "google_tts_model",
    ("lipsync", "fal"): "fal_lipsync_model",
    ("lipsync", "wavespeed"): "wavespeed_lipsync_model",
    ("image_gen", "fal"): "fal_image_gen_model",
    ("image_gen", "google"): "google_imagen_model",
    ("image_to_video", "google"): "google_veo_model",
    ("image_to_video", "kie"): "kie_video_model",
    ("llm", "google"): "google_llm_model",
    ("vision", "google"): "google_llm_model",
    ("copilot", "google"): "google_copilot_model",
}
