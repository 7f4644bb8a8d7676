"""What a generation will cost and roughly how long it takes, before the creator presses Generate.

Prices come only from `settings.prices`, looked up through `PRICE_TABLE`: one explicit
row per capability and vendor (and, where a vendor's models differ in price, per model).
Offline (`local`) providers cost nothing. Times come from the user's own history of
completed steps where there is any, else from `DEFAULT_STEP_SECONDS`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from core.config import Prices
from core.errors import ConfigurationError
from core.ports import billed_render_s, lipsync_chunks
from core.ports_services import Services

logger = logging.getLogger(__name__)

Unit = Literal["image", "second", "call"]


@dataclass(frozen=True, slots=True)
class PriceRow:
    capability: str
    vendor: str
    field: str  # a field of `Prices`
    unit: Unit
    model_contains: str = ""  # "" matches any model of the vendor
    # The vendor publishes no price for it (providers.md): ours is a guess, and says so.
    estimated: bool = False


# First match wins, so model-specific rows come before the vendor's general row.
PRICE_TABLE: tuple[PriceRow, ...] = (
    PriceRow("image_edit", "fal", "fal_nano_banana_edit_per_image", "image"),
    PriceRow("image_edit", "google", "google_image_per_image", "image"),
    PriceRow("speech", "fal", "fal_tts_per_second", "second"),
    PriceRow("speech", "google", "google_tts_per_second", "second"),
    PriceRow("speech", "gcloud", "google_cloud_tts_per_second", "second"),
    PriceRow("lipsync", "fal", "fal_infinitalk_per_second", "second"),
    PriceRow("lipsync", "wavespeed", "wavespeed_infinitetalk_per_second", "second"),
    PriceRow("image_gen", "fal", "fal_flux_schnell_per_image", "image", model_contains="schnell"),
    PriceRow("image_gen", "fal", "fal_flux_dev_per_image", "image"),
    PriceRow("image_gen", "google", "google_image_per_image", "image"),
    PriceRow("image_to_video", "google", "google_veo_per_second", "second"),
    PriceRow("image_to_video", "kie", "kie_video_per_second", "second"),
    PriceRow("llm", "google", "google_llm_per_call", "call"),
    PriceRow("vision", "google", "google_llm_per_call", "call"),
    PriceRow("copilot", "google", "google_copilot_per_call", "call"),
    # Digital twins: a training run is priced per 1000 steps (see estimate_lora_training).
    # providers.md §2.5-2.6 give these models' inputs and outputs but no price.
    PriceRow("lora_train", "fal", "fal_wan_trainer_per_1000_steps", "call", estimated=True),
    PriceRow("lora_image", "fal", "fal_wan_lora_image_per_image", "image", estimated=True),
    PriceRow("face_swap", "fal", "fal_pixverse_swap_per_second", "second", estimated=True),
)
LOCAL_VENDOR = "local"
PER_SECOND_CAPABILITIES = ("speech", "lipsync", "image_to_video", "face_swap")

# Step name -> (fixed seconds, seconds per second of speech), for users without history.
DEFAULT_STEP_SECONDS: dict[str, tuple[float, float]] = {
    "init": (1.0, 0.0),
    "image_edit": (15.0, 0.0),
    "tts": (3.0, 0.1),
    "lip_sync": (20.0, 1.5),
    "finalize": (2.0, 0.0),
}


@dataclass(frozen=True, slots=True)
class UnitPrice:
    usd: float
    unit: Unit
    field: str
    estimated: bool = False

    def label(self) -> str:
        if self.usd == 0:
            return "free (runs on this machine)"
        return f"${self.usd:.4f} per {self.unit}" + (f" ({ESTIMATED})" if self.estimated else "")


ESTIMATED = "estimated: the provider publishes no price"
NOTE_UNITS = {"lora_train": "1000 steps", "face_swap": "second of video"}


@dataclass(frozen=True, slots=True)
class Estimate:
    cost_usd: float
    seconds: float
    # Capabilities whose active provider has no price on file; their cost is not in cost_usd.
    unpriced: tuple[str, ...] = ()
    from_history: bool = False


def unit_price(capability: str, vendor: str, prices: Prices, *, model: str = "") -> UnitPrice | None:
    """The price in use for a capability's provider, or None when nothing on file matches."""
    if vendor == LOCAL_VENDOR:
        unit: Unit = "second" if capability in PER_SECOND_CAPABILITIES else "image"
        return UnitPrice(prices.local_per_unit, unit, "local_per_unit")
    for row in PRICE_TABLE:
        if row.capability == capability and row.vendor == vendor and row.model_contains in model:
            return UnitPrice(float(getattr(prices, row.field)), row.unit, row.field, row.estimated)
    return None


def _vendor_and_model(capability: str, services: Services, user_id: str | None) -> tuple[str, str] | None:
    """What the user's work runs on: their own keys may switch a capability to a paid vendor."""
    if user_id and services.user_providers is not None:
        return services.user_providers.choices_for(user_id, services.providers).get(capability)
    choice = services.providers.choices.get(capability)
    return (choice.vendor, choice.model) if choice else None


def active_unit_price(capability: str, *, services: Services, user_id: str | None = None) -> UnitPrice | None:
    chosen = _vendor_and_model(capability, services, user_id)
    if chosen is None:
        return None
    vendor, model = chosen
    return unit_price(capability, vendor, services.settings.prices, model=model)


def _cost(capability: str, speech_seconds: float, services: Services, user_id: str | None = None) -> float | None:
    price = active_unit_price(capability, services=services, user_id=user_id)
    if price is None:
        return None
    if price.unit != "second":
        return price.usd
    if capability == "lipsync":
        speech_seconds = _lipsync_billed_s(speech_seconds, services, user_id)
    return price.usd * speech_seconds


def _lipsync_billed_s(speech_seconds: float, services: Services, user_id: str | None) -> float:
    """Lip-sync is paid per render: the chunks the talking-video pipeline cuts the speech into
    (`core.ports.lipsync_chunks`), each billed on the video it makes, as the ledger records them."""
    try:
        providers = services.providers_for(user_id)
    except ConfigurationError:  # their keys will not open: the job stops on it, loudly, before paying
        providers = services.providers
    chain = [choice.provider for choice in providers.chain("lipsync")]
    return sum(billed_render_s(chain[0], length) for _start, length in lipsync_chunks(chain, speech_seconds))


def speech_cost(seconds: float, *, services: Services, user_id: str | None) -> float:
    """What `seconds` of speech cost with the voice this user's work runs on (0 offline or unpriced),
    rounded as the estimates a creator sees before a paid line or voice-over."""
    return round(_cost("speech", seconds, services, user_id) or 0.0, 4)


def _steps(with_image_edit: bool, with_speech: bool) -> list[tuple[str, str | None]]:
    """(step name, capability) of the talking-video pipeline for these inputs."""
    steps: list[tuple[str, str | None]] = [("init", None)]
    if with_image_edit:
        steps.append(("image_edit", "image_edit"))
    if with_speech:
        steps.append(("tts", "speech"))
    return [*steps, ("lip_sync", "lipsync"), ("finalize", None)]


def _history(user_id: str | None, services: Services) -> dict[str, float]:
    if not user_id:
        return {}
    from core.services.usage.metrics import average_step_seconds

    return average_step_seconds(user_id=user_id, services=services)


def estimate_video(
    script_or_audio_seconds: float,
    *,
    with_image_edit: bool,
    services: Services,
    with_speech: bool = True,
    user_id: str | None = None,
) -> Estimate:
    """Cost and wall time of one talking video whose speech lasts `script_or_audio_seconds`.

    `with_speech=False` when the creator brings their own recording (no speech synthesis).
    """
    seconds_of_speech = max(0.0, float(script_or_audio_seconds))
    history = _history(user_id, services)
    cost, total, unpriced = 0.0, 0.0, []
    for step, capability in _steps(with_image_edit, with_speech):
        fixed, per_second = DEFAULT_STEP_SECONDS[step]
        total += history.get(step, fixed + per_second * seconds_of_speech)
        if capability is None:
            continue
        step_cost = _cost(capability, seconds_of_speech, services, user_id)
        if step_cost is None:
            unpriced.append(capability)
        else:
            cost += step_cost
    used_history = any(step in history for step, _ in _steps(with_image_edit, with_speech))
    return Estimate(round(cost, 4), round(total, 1), tuple(unpriced), used_history)


def estimate_variant(*, services: Services, user_id: str | None = None) -> Estimate:
    """One image edit that becomes a saved actor variant."""
    cost = _cost("image_edit", 0.0, services, user_id)
    fixed, _ = DEFAULT_STEP_SECONDS["image_edit"]
    return Estimate(round(cost or 0.0, 4), fixed, () if cost is not None else ("image_edit",))


def estimate_lora_training(steps: int, *, services: Services, user_id: str | None = None) -> float:
    """A LoRA training run: the per-1000-steps price times the steps (0 when no trainer is set up)."""
    price = active_unit_price("lora_train", services=services, user_id=user_id)
    return round((price.usd if price else 0.0) * steps / 1000, 4)


def estimate_face_swap(seconds: float, *, services: Services, user_id: str | None = None) -> float:
    price = active_unit_price("face_swap", services=services, user_id=user_id)
    return round((price.usd if price else 0.0) * seconds, 4)


def price_note(capability: str, *, services: Services, user_id: str | None = None) -> str:
    """What a creator reads next to a cost: the unit price in use, and whether it is only our estimate."""
    price = active_unit_price(capability, services=services, user_id=user_id)
    if price is None:
        return "no price on file"
    unit = NOTE_UNITS.get(capability, price.unit)
    if price.usd == 0:
        return price.label()
    return f"${price.usd:.4f} per {unit}" + (f" ({ESTIMATED})" if price.estimated else "")
