"""Fallback chains per capability (`settings.fallback_chains`): the entries after the primary.

An entry is "vendor", "vendor:model" or "vendor:model@price", e.g.
"google:veo-3.1-fast-generate-preview@0.15". Each is built by the same registry builders as
the primary, over a copy of the settings with that model (and, when given, that unit price:
the ledger records what the fallback really costs; estimates keep the primary's price).
Entries whose vendor has no key, and repeats of an earlier entry, are left out.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.config import Settings
from core.errors import ConfigurationError
from core.vendor_choice import MODEL_SETTINGS

logger = logging.getLogger(__name__)

Builder = Callable[[Settings, Any], tuple[Any, str]]
BuilderFor = Callable[[str, str], Builder | None]

# (capability, vendor) -> the `Prices` field its builder charges by
PRICE_SETTINGS: dict[tuple[str, str], str] = {
    ("image_edit", "fal"): "fal_nano_banana_edit_per_image",
    ("image_edit", "google"): "google_image_per_image",
    ("speech", "fal"): "fal_tts_per_second",
    ("speech", "google"): "google_tts_per_second",
    ("speech", "gcloud"): "google_cloud_tts_per_second",
    ("lipsync", "fal"): "fal_infinitalk_per_second",
    ("lipsync", "wavespeed"): "wavespeed_infinitetalk_per_second",
    ("image_gen", "google"): "google_image_per_image",
    ("image_to_video", "google"): "google_veo_per_second",
    ("image_to_video", "kie"): "kie_video_per_second",
    ("llm", "google"): "google_llm_per_call",
    ("vision", "google"): "google_llm_per_call",
    ("copilot", "google"): "google_copilot_per_call",
}
_ENTRY = re.compile(r"^(?P<vendor>[a-z]+)(?::(?P<model>[A-Za-z0-9._/\-]+?))?(?:@(?P<price>\d+(?:\.\d+)?))?$")


@dataclass(frozen=True, slots=True)
class ChainEntry:
    vendor: str
    model: str = ""  # "" keeps the vendor's model from settings
    price: float | None = None


def parse_entry(capability: str, text: str) -> ChainEntry:
    match = _ENTRY.match((text or "").strip())
    if match is None:
        raise ConfigurationError(
            f'The fallback "{text}" for {capability.replace("_", " ")} is not "vendor", "vendor:model" '
            'or "vendor:model@price".'
        )
    model, price = match["model"] or "", match["price"]
    if model and (capability, match["vendor"]) not in MODEL_SETTINGS:
        raise ConfigurationError(f"{match['vendor']} has no model setting for {capability.replace('_', ' ')}.")
    if price is not None and (capability, match["vendor"]) not in PRICE_SETTINGS:
        raise ConfigurationError(f"{match['vendor']} has no price setting for {capability.replace('_', ' ')}.")
    return ChainEntry(match["vendor"], model, float(price) if price is not None else None)


def settings_for(settings: Settings, capability: str, entry: ChainEntry) -> Settings:
    """The settings an entry's provider is built from: its model and price laid over ours."""
    update: dict[str, Any] = {}
    if entry.model:
        update[MODEL_SETTINGS[(capability, entry.vendor)]] = entry.model
    if entry.price is not None:
        field = PRICE_SETTINGS[(capability, entry.vendor)]
        update["prices"] = settings.prices.model_copy(update={field: entry.price})
    return settings.model_copy(update=update) if update else settings


def build_fallbacks(
    settings: Settings, capability: str, primary: Any, media: Any, builder_for: BuilderFor
) -> list[tuple[Any, str, str]]:
    """(provider, vendor, model) per usable entry after `primary` (a provider), in order."""
    seen = {primary.name}
    built: list[tuple[Any, str, str]] = []
    for text in settings.fallback_chains.get(capability, []):
        entry = parse_entry(capability, text)
        if entry.vendor != "local" and not settings.has_key(entry.vendor):
            logger.warning("fallback %s for %s left out: no %s key is set", text, capability, entry.vendor)
            continue
        builder = builder_for(capability, entry.vendor)
        if builder is None:
            raise ConfigurationError(f"{entry.vendor} does not offer {capability.replace('_', ' ')}.")
        provider, model = builder(settings_for(settings, capability, entry), media)
        if provider.name in seen:
            continue
        seen.add(provider.name)
        built.append((provider, entry.vendor, model))
    return built
