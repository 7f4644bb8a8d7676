"""Wizard step 1: the product's name, its photos (1-6, probed and size-capped) and its DNA."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from sqlalchemy import func, select

from core.adapters.db.models.ads import Ad, AdProductImage
from core.domain import text as text_rules
from core.domain.ads import ProductDNA
from core.domain.media import ImageFile
from core.domain.types import MediaKind
from core.errors import NotFound, ValidationError
from core.ports import VisionRequest, VisionTask
from core.ports_services import Services
from core.services.accounts.access import Right
from core.services.ads import calls, parse
from core.services.ads.schemas import PRODUCT_DNA_SCHEMA
from core.services.ads.wizard import ad_with_right
from core.services.safety import content_guard
from core.services.scratch import scratch_dir

logger = logging.getLogger(__name__)

NAME_MAX = 120


def save_product_info(ad_id: str, *, name: str, brand: str, user_id: str, services: Services) -> None:
    name = " ".join(text_rules.clean(name, field="product name", multiline=False).split())
    brand = " ".join(text_rules.clean(brand, field="brand name", multiline=False).split())
    if not name:
        raise ValidationError("Give the product a name.")
    if len(name) > NAME_MAX or len(brand) > NAME_MAX:
        raise ValidationError(f"Keep the product and brand names under {NAME_MAX} characters.")
    content_guard.check_texts(services.settings, product_name=name, brand_name=brand)
    with services.db.session(user_id=user_id) as session:
        ad = ad_with_right(session, ad_id, user_id, Right.EDIT)
        ad.product_name, ad.brand_name = name, brand
        ad.title = ad.title or name


def validated_images(files: list[bytes], services: Services, tmp: Path) -> list[ImageFile]:
    """Every upload checked by content (PNG/JPEG/WebP, size, pixels) and re-encoded; names never used."""
    settings, cleaned = services.settings, []
    for index, data in enumerate(files):
        if len(data) > settings.image_max_bytes:
            raise ValidationError(
                f"Image {index + 1} is {len(data) / 1e6:.1f} MB; the limit is {settings.image_max_bytes / 1e6:.0f} MB."
            )
        raw = tmp / f"upload-{index}.bin"
        raw.write_bytes(data)
        image = services.media.validate_image_upload(
            raw,
            max_bytes=settings.image_max_bytes,
            max_pixels=settings.image_max_pixels,
            dest=tmp / f"clean-{index}.png",
        )
        cleaned.append(image)
    return cleaned


def add_product_images(ad_id: str, files: list[bytes], *, user_id: str, services: Services) -> int:
    """Store 1-6 product photos; all of them or none. Returns how many the product now has."""
    limit = services.settings.ugc_product_images_max
    if not files:
        raise ValidationError("Choose at least one product photo.")
    with services.db.session(user_id=user_id) as session:
        ad_with_right(session, ad_id, user_id, Right.EDIT)
        have = (
            session.scalar(select(func.count()).select_from(AdProductImage).where(AdProductImage.ad_id == ad_id)) or 0
        )
    if have + len(files) > limit:
        raise ValidationError(f"A product can have {limit} photos; it has {have} and you added {len(files)}.")
    with scratch_dir(services) as tmp:
        images = validated_images(files, services, Path(tmp))
        stored = [
            (
                services.storage.put_file(
                    MediaKind.IMAGE, i.path, name=f"ugc/{ad_id}/product-{uuid.uuid4().hex}", content_type="image/png"
                ),
                i,
            )
            for i in images
        ]
    with services.db.session(user_id=user_id) as session:
        for offset, (key, image) in enumerate(stored):
            session.add(
                AdProductImage(
                    ad_id=ad_id, position=have + offset, image_key=key, width=image.width, height=image.height
                )
            )
    return have + len(files)


def remove_product_image(image_id: str, *, user_id: str, services: Services) -> None:
    with services.db.session(user_id=user_id) as session:
        row = session.get(AdProductImage, image_id)
        if row is None:
            raise NotFound("That photo is already gone.")
        ad_with_right(session, row.ad_id, user_id, Right.EDIT)
        key = row.image_key
        session.delete(row)
    services.storage.delete(key)


def extract_product_dna(ad_id: str, *, user_id: str, services: Services) -> ProductDNA:
    """Ask the vision port; the answer is validated, then saved for the creator to edit."""
    with services.db.session(user_id=user_id) as session:
        ad = ad_with_right(session, ad_id, user_id, Right.EDIT)
        keys = list(
            session.scalars(
                select(AdProductImage.image_key).where(AdProductImage.ad_id == ad_id).order_by(AdProductImage.position)
            )
        )
        name = ad.product_name
    if not keys:
        raise ValidationError("Add at least one product photo first.")
    with scratch_dir(services) as tmp:
        paths = tuple(services.storage.download_to(k, Path(tmp) / f"product-{i}.png") for i, k in enumerate(keys))
        answer = calls.ask(
            services,
            "vision",
            VisionRequest(VisionTask.PRODUCT_DNA, paths, hint=name, schema=PRODUCT_DNA_SCHEMA),
            user_id=user_id,
        )
    dna = parse.product_dna({"product_name": name, **parse.load_json(answer.text, "product analysis")})
    _store_dna(ad_id, dna, user_id, services)
    return dna


def save_product_dna(ad_id: str, dna: ProductDNA, *, user_id: str, services: Services) -> ProductDNA:
    """The creator's edited DNA, validated the same way as a model's."""
    checked = parse.product_dna(dna.to_dict())
    _store_dna(ad_id, checked, user_id, services)
    return checked


def _store_dna(ad_id: str, dna: ProductDNA, user_id: str, services: Services) -> None:
    with services.db.session(user_id=user_id) as session:
        ad: Ad = ad_with_right(session, ad_id, user_id, Right.EDIT)
        ad.product_dna = dna.to_dict()
