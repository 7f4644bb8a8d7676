"""Choose one provider per capability from settings: the cloud one whose key is set, else local.

Called only from `core.bootstrap` (the composition root) and the seed loader.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from core.config import Settings
from core.ports_services import CAPABILITIES, ProviderChoice, Providers
from core.vendor_choice import choose_vendor

logger = logging.getLogger(__name__)


def build_providers(settings: Settings, *, media: Any, storage: Any) -> Providers:
    choices: dict[str, ProviderChoice] = {}
    for capability in CAPABILITIES:
        vendor, note = choose_vendor(settings, capability)
        made = _build(settings, capability, vendor, media=media, storage=storage)
        if made is None:
            continue  # no adapter for this capability yet
        provider, model = made
        choices[capability] = ProviderChoice(
            capability=capability,
            provider=provider,
            vendor=vendor,
            model=model,
            key_present=vendor != "local",
            note=note,
        )
    return Providers(choices=choices, fallbacks=_fallbacks(settings, choices, media, storage))


def _fallbacks(
    settings: Settings, choices: dict[str, ProviderChoice], media: Any, storage: Any
) -> dict[str, list[ProviderChoice]]:
    from core.adapters.providers.fallback_chains import build_fallbacks

    def builder_for(capability: str, vendor: str) -> Builder | None:
        if vendor == "local":
            return _local_builder(capability)
        cloud = _cloud_builder(capability, vendor)
        if cloud is None:
            return None
        return lambda fallback_settings, media: cloud(fallback_settings, media, storage)

    chains: dict[str, list[ProviderChoice]] = {}
    for capability, primary in choices.items():
        built = build_fallbacks(settings, capability, primary.provider, media, builder_for)
        chains[capability] = [
            ProviderChoice(capability, provider, vendor, model, key_present=vendor != "local", note=f"fallback {n}")
            for n, (provider, vendor, model) in enumerate(built, start=1)
        ]
    return {capability: chain for capability, chain in chains.items() if chain}


Builder = Callable[[Settings, Any], tuple[Any, str]]  # (settings, media)
CloudBuilder = Callable[[Settings, Any, Any], tuple[Any, str]]  # (settings, media, storage)


def _build(settings: Settings, capability: str, vendor: str, *, media: Any, storage: Any) -> tuple[Any, str] | None:
    """(provider, model id) from the local or the cloud builder; None where no adapter exists."""
    if vendor == "local":
        local = _local_builder(capability)
        return local(settings, media) if local else None
    cloud = _cloud_builder(capability, vendor)
    return cloud(settings, media, storage) if cloud else None


def _local_builder(capability: str) -> Builder | None:
    def speech(settings: Settings, media: Any) -> tuple[Any, str]:
        from core.adapters.providers.local.speech import LocalSpeechSynthesizer

        return LocalSpeechSynthesizer(media, max_chars=settings.script_max_chars), "eSpeak NG"

    def image_edit(settings: Settings, media: Any) -> tuple[Any, str]:
        from core.adapters.providers.local.image_edit import LocalImageEditor

        return LocalImageEditor(), "Pillow scene compositor"

    def lipsync(settings: Settings, media: Any) -> tuple[Any, str]:
        from core.adapters.providers.local.lipsync import LocalLipSyncer

        return LocalLipSyncer(media), "loudness-driven mouth animation"

    def image_gen(settings: Settings, media: Any) -> tuple[Any, str]:
        from core.adapters.providers.local.image_gen import LocalImageGenerator

        return LocalImageGenerator(), "offline storyboard compositor"

    def image_to_video(settings: Settings, media: Any) -> tuple[Any, str]:
        from core.adapters.providers.local.image_to_video import LocalImageAnimator

        return LocalImageAnimator(media, fps=settings.ugc_fps), "offline camera-move animator"

    def llm(settings: Settings, media: Any) -> tuple[Any, str]:
        from core.adapters.providers.local.llm import LocalScriptWriter

        return LocalScriptWriter(), "offline template writer"

    def vision(settings: Settings, media: Any) -> tuple[Any, str]:
        from core.adapters.providers.local.vision import LocalVisionAnalyzer

        return LocalVisionAnalyzer(max_pixels=settings.image_max_pixels), "offline Pillow analysis"

    def copilot(settings: Settings, media: Any) -> tuple[Any, str]:
        from core.adapters.providers.local.copilot import LocalCopilot

        return LocalCopilot(word_delay_s=settings.copilot_offline_word_delay_s), "offline rules and templates"

    def face_swap(settings: Settings, media: Any) -> tuple[Any, str]:
        from core.adapters.providers.local.face_swap import LocalFaceSwapper

        return LocalFaceSwapper(max_seconds=settings.face_swap_max_seconds), "offline face swap (OpenCV)"

    builders: dict[str, Builder] = {
        "face_swap": face_swap,
        "speech": speech,
        "image_edit": image_edit,
        "lipsync": lipsync,
        "image_gen": image_gen,
        "image_to_video": image_to_video,
        "llm": llm,
        "vision": vision,
        "copilot": copilot,
    }
    return builders.get(capability)


def _cloud_builder(capability: str, vendor: str) -> CloudBuilder | None:
    from core.adapters.providers import cloud

    return cloud.BUILDERS.get((capability, vendor))


def offline_speech(services: Any) -> Any:
    """The local synthesizer whatever the settings say (voice previews in the catalog)."""
    builder = _local_builder("speech")
    assert builder is not None
    return builder(services.settings, services.media)[0]
