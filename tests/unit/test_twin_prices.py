"""Prices of the digital twins' fal models: providers.md documents none, so each says "estimated"."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import pytest

from core.config import Prices
from core.domain.ads import AssetKind
from core.ports_services import ProviderChoice, Services
from core.services.ads import spend
from core.services.usage import estimates
from core.services.usage.estimates import unit_price

TWINS = ("lora_train", "lora_image", "face_swap")


def _services(vendor: str, prices: Prices | None = None) -> Services:
    choices = {cap: ProviderChoice(cap, object(), vendor, "m", True) for cap in (*TWINS, "lipsync")}
    fake = SimpleNamespace(
        providers=SimpleNamespace(choices=choices),
        user_providers=None,
        settings=SimpleNamespace(prices=prices or Prices()),
    )
    return cast(Services, fake)


@pytest.mark.parametrize("capability", TWINS)
def test_the_twins_fal_prices_are_marked_estimated(capability: str) -> None:
    price = unit_price(capability, "fal", Prices())
    assert price is not None and price.estimated and price.usd > 0
    assert "estimated" in price.label()
    assert "estimated" in estimates.price_note(capability, services=_services("fal"))


def test_a_price_from_the_table_is_not_called_estimated_and_offline_is_free() -> None:
    infinitalk = unit_price("lipsync", "fal", Prices())
    assert infinitalk is not None and not infinitalk.estimated and "estimated" not in infinitalk.label()
    assert estimates.price_note("face_swap", services=_services("local")) == "free (runs on this machine)"


def test_the_notes_name_the_unit_each_model_is_charged_by() -> None:
    services = _services("fal", Prices(fal_wan_trainer_per_1000_steps=2.5, fal_pixverse_swap_per_second=0.2))
    assert estimates.price_note("lora_train", services=services).startswith("$2.5000 per 1000 steps (estimated")
    assert estimates.price_note("face_swap", services=services).startswith("$0.2000 per second of video")
    assert estimates.estimate_lora_training(2000, services=services) == 5.0


def test_storyboard_frames_with_a_lora_are_priced_as_lora_images() -> None:
    prices: spend.UnitPrices = {
        "image_gen": estimates.UnitPrice(0.003, "image", "fal_flux_schnell_per_image"),
        "lora_image": estimates.UnitPrice(0.04, "image", "fal_wan_lora_image_per_image", True),
        "vision": estimates.UnitPrice(0.0, "image", "local_per_unit"),
    }
    plain = spend.estimate_work([spend.AssetWork(AssetKind.FRAME, 3, 0.0)], prices)
    with_lora = spend.estimate_work([spend.AssetWork(AssetKind.FRAME, 3, 0.0, lora=True)], prices)
    assert plain.cost_usd == pytest.approx(0.009) and with_lora.cost_usd == pytest.approx(0.12)
    prices.pop("lora_image")
    missing = spend.estimate_work([spend.AssetWork(AssetKind.FRAME, 1, 0.0, lora=True)], prices)
    assert "lora_image" in missing.unpriced
