"""Helpers for the mass generator's tests: small settings, real offline providers that count
their submissions, a product photo, and an ad taken through the wizard's first four steps."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import select

from core.adapters.db.database import Database
from core.adapters.db.models.talking import Actor
from core.adapters.media.ffmpeg import FfmpegToolkit
from core.config import Settings
from core.domain.ads import BriefInput, Platform
from core.ports import PollResult, Submission
from core.ports_services import ProviderChoice, Providers, Services
from core.services.accounts.identity import ensure_user
from core.services.ads import avatar, product, script, wizard
from core.services.talking.projects import create_project
from seeds.loader import seed_actors
from tests.conftest import make_services, make_settings


def ugc_settings(data_dir: Path, **overrides: Any) -> Settings:
    """270x480 at 12 fps keeps every render short; a slow heartbeat keeps SQLite writers apart."""
    values: dict[str, Any] = dict(
        ugc_long_side=480, ugc_fps=12, heartbeat_interval_s=5.0, ugc_recheck_s=1.0, ugc_x264_preset="ultrafast"
    )
    values.update(overrides)
    return make_settings(data_dir, **values)


@dataclass
class Counting:
    """A real provider whose submissions are counted and whose requests are kept (state, not mocks)."""

    inner: Any
    submits: int = 0
    requests: list[Any] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def name(self) -> str:
        return str(self.inner.name)

    @property
    def continuity(self) -> Any:  # what the animator can do for continuity (core.ports.continuity_of)
        return getattr(self.inner, "continuity", None)

    def submit(self, request: Any) -> Submission:
        with self.lock:
            self.submits += 1
            self.requests.append(request)
        return self.inner.submit(request)

    def poll(self, request_id: str) -> PollResult:
        return self.inner.poll(request_id)

    def collect(self, request: Any, result: PollResult, dest_dir: Path) -> Any:
        return self.inner.collect(request, result, dest_dir)

    def cost_usd(self, request: Any, output: Any) -> float:
        return float(self.inner.cost_usd(request, output))


def offline_providers(settings: Settings, toolkit: FfmpegToolkit, **overrides: Any) -> Providers:
    """Every capability's real offline adapter, each wrapped in `Counting` (overrides win)."""
    from core.adapters.providers.registry import _local_builder

    choices = {}
    for capability in ("speech", "image_gen", "image_to_video", "llm", "vision"):
        builder = _local_builder(capability)
        assert builder is not None
        provider = overrides.get(capability) or Counting(builder(settings, toolkit)[0])
        choices[capability] = ProviderChoice(capability, provider, "local", "offline", key_present=False)
    return Providers(choices=choices)


def ugc_services(settings: Settings, db: Database, **providers: Any) -> Services:
    toolkit = FfmpegToolkit()
    return make_services(settings, db, media=toolkit, providers=offline_providers(settings, toolkit, **providers))


def product_png(width: int = 300, height: int = 400, colour: tuple[int, int, int] = (230, 160, 30)) -> bytes:
    """A studio shot of a bottle: orange body, black cap, white label, on a pale backdrop."""
    image = Image.new("RGB", (width, height), (245, 245, 245))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((width * 0.36, height * 0.18, width * 0.64, height * 0.88), 12, fill=colour)
    draw.rectangle((width * 0.42, height * 0.08, width * 0.58, height * 0.18), fill=(20, 20, 20))
    draw.rectangle((width * 0.40, height * 0.45, width * 0.60, height * 0.62), fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def actor_id(services: Services, key: str = "ava_base_01") -> str:
    with services.db.session() as session:
        found = session.scalar(select(Actor.id).where(Actor.key == key))
    if found is None:
        seed_actors(services, with_previews=False)
        with services.db.session() as session:
            found = session.scalar(select(Actor.id).where(Actor.key == key))
    assert found is not None
    return found


def new_ad(services: Services, email: str = "maker@example.com") -> tuple[str, str]:
    """(user id, ad id) of a fresh ad in a fresh project."""
    user = ensure_user(services.db, email)
    project = create_project("Launch", owner_id=user, services=services)
    return user, wizard.open_wizard(project.id, user_id=user, services=services)


def scripted_ad(services: Services, *, duration_s: int = 15, email: str = "maker@example.com") -> tuple[str, str]:
    """An ad through steps 1-4 (product, catalog avatar, brief, script) with the offline writers."""
    user, ad_id = new_ad(services, email)
    product.save_product_info(ad_id, name="Glow Serum", brand="Lumi", user_id=user, services=services)
    product.add_product_images(ad_id, [product_png()], user_id=user, services=services)
    product.extract_product_dna(ad_id, user_id=user, services=services)
    avatar.choose_catalog_actor(ad_id, actor_id(services), user_id=user, services=services)
    brief = BriefInput(
        Platform.TIKTOK,
        "testimonial",
        "warm",
        duration_s,
        "A vitamin C serum for busy mornings; tired of dull skin; absorbs fast",
    )
    script.save_brief(ad_id, brief, user_id=user, services=services)
    script.generate_script(ad_id, user_id=user, services=services)
    return user, ad_id
