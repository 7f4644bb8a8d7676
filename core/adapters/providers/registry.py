"""Choose one provider per capability from settings: the cloud one whose key is set, else local.

Called only from `core.bootstrap` (the composition root) and the seed loader.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from core.bootstrap import CAPABILITIES, ProviderChoice, Providers
from core.config import Settings
from core.errors import ConfigurationError

logger = logging.getLogger(__name__)

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


def build_providers(settings: Settings, *, media: Any, storage: Any) -> Providers:
    choices: dict[str, ProviderChoice] = {}
    for capability in CAPABILITIES:
        vendor, note = choose_vendor(settings, capability)
        builder = _local_builder(capability) if vendor == "local" else _cloud_builder(capability, vendor)
        if builder is None:
            continue  # no adapter for this capability yet
        provider, model = builder(settings, media)
        choices[capability] = ProviderChoice(
            capability=capability,
            provider=provider,
            vendor=vendor,
            model=model,
            key_present=vendor != "local",
            note=note,
        )
    return Providers(choices=choices, fallbacks=_fallbacks(settings, choices, media))


def _fallbacks(settings: Settings, choices: dict[str, ProviderChoice], media: Any) -> dict[str, list[ProviderChoice]]:
    from core.adapters.providers.fallback_chains import build_fallbacks

    def builder_for(capability: str, vendor: str) -> Builder | None:
        return _local_builder(capability) if vendor == "local" else _cloud_builder(capability, vendor)

    chains: dict[str, list[ProviderChoice]] = {}
    for capability, primary in choices.items():
        built = build_fallbacks(settings, capability, primary.provider, media, builder_for)
        chains[capability] = [
            ProviderChoice(capability, provider, vendor, model, key_present=vendor != "local", note=f"fallback {n}")
            for n, (provider, vendor, model) in enumerate(built, start=1)
        ]
    return {capability: chain for capability, chain in chains.items() if chain}


Builder = Callable[[Settings, Any], tuple[Any, str]]


def _local_builder(capability: str) -> Builder | None:
    def speech(settings: Settings, media: Any) -> tuple[Any, str]:
        from core.adapters.providers.local_speech import LocalSpeechSynthesizer

        return LocalSpeechSynthesizer(media, max_chars=settings.script_max_chars), "eSpeak NG"

    def image_edit(settings: Settings, media: Any) -> tuple[Any, str]:
        from core.adapters.providers.local_image_edit import LocalImageEditor

        return LocalImageEditor(), "Pillow scene compositor"

    def lipsync(settings: Settings, media: Any) -> tuple[Any, str]:
        from core.adapters.providers.local_lipsync import LocalLipSyncer

        return LocalLipSyncer(media), "loudness-driven mouth animation"

    def image_gen(settings: Settings, media: Any) -> tuple[Any, str]:
        from core.adapters.providers.local_image_gen import LocalImageGenerator

        return LocalImageGenerator(), "offline storyboard compositor"

    def image_to_video(settings: Settings, media: Any) -> tuple[Any, str]:
        from core.adapters.providers.local_image_to_video import LocalImageAnimator

        return LocalImageAnimator(media, fps=settings.ugc_fps), "offline camera-move animator"

    def llm(settings: Settings, media: Any) -> tuple[Any, str]:
        from core.adapters.providers.local_llm import LocalScriptWriter

        return LocalScriptWriter(), "offline template writer"

    def vision(settings: Settings, media: Any) -> tuple[Any, str]:
        from core.adapters.providers.local_vision import LocalVisionAnalyzer

        return LocalVisionAnalyzer(max_pixels=settings.image_max_pixels), "offline Pillow analysis"

    def copilot(settings: Settings, media: Any) -> tuple[Any, str]:
        from core.adapters.providers.local_copilot import LocalCopilot

        return LocalCopilot(word_delay_s=settings.copilot_offline_word_delay_s), "offline rules and templates"

    def face_swap(settings: Settings, media: Any) -> tuple[Any, str]:
        from core.adapters.providers.local_face_swap import LocalFaceSwapper

        return LocalFaceSwapper(max_seconds=settings.face_swap_max_seconds), "offline face swap (OpenCV)"

    builders: dict[str, Builder] = {
        "face_swap": face_swap,
        "speech": speech, "image_edit": image_edit, "lipsync": lipsync, "image_gen": image_gen,
        "image_to_video": image_to_video, "llm": llm, "vision": vision, "copilot": copilot,
    }
    return builders.get(capability)


def _cloud_builder(capability: str, vendor: str) -> Builder | None:
    from core.adapters.providers import cloud

    return cloud.BUILDERS.get((capability, vendor))


def offline_speech(services: Any) -> Any:
    """The local synthesizer whatever the settings say (voice previews in the catalog)."""
    builder = _local_builder("speech")
    assert builder is not None
    return builder(services.settings, services.media)[0]
