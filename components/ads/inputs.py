"""Wizard steps 1-3: product (photos and DNA), avatar (actor or photos, and DNA), brief."""

from __future__ import annotations

import logging

import streamlit as st

from components import uploads
from components.ads import media
from components.avatars.manage import saved_avatar_picker
from components.labels import literal
from components.runtime import show_error
from core.domain import voices
from core.domain.ad_views import AdView
from core.domain.ads import STYLES, TONES, BriefInput, CharacterDNA, CreativeBrief, Platform, ProductDNA
from core.errors import StudioError
from core.ports_services import Services
from core.services.ads import avatar, product, script
from core.services.talking import catalog
from core.services.talking import voices as voices_service

logger = logging.getLogger(__name__)

IMAGE_TYPES = ["png", "jpg", "jpeg", "webp"]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _uploads(key: str, label: str, max_mb: int) -> list[bytes]:
    """Files from an uploader whose key changes after each use (so it empties itself)."""
    generation = st.session_state.setdefault(f"{key}_gen", 0)
    files = uploads.file_uploader(
        label, type=IMAGE_TYPES, accept_multiple_files=True, key=f"{key}_{generation}", max_upload_size=max_mb
    )
    return [f.getvalue() for f in files or []]


def _image_mb(services: Services) -> int:
    """The services' image cap, so the browser refuses bigger files before they are sent."""
    return max(1, -(-services.settings.image_max_bytes // 2**20))


def _reset_uploads(key: str) -> None:
    st.session_state[f"{key}_gen"] = st.session_state.get(f"{key}_gen", 0) + 1


def product_step(ad: AdView, *, user_id: str, services: Services) -> None:
    name = st.text_input("Product name", value=ad.product_name, max_chars=120, key="ugc_product_name")
    brand = st.text_input("Brand", value=ad.brand_name, max_chars=120, key="ugc_brand_name")
    files = _uploads(
        "ugc_product_upload",
        f"Product photos (1-{services.settings.ugc_product_images_max}, PNG, JPEG or WebP)",
        _image_mb(services),
    )
    if st.button("Save product", icon=":material/save:", key="ugc_save_product"):
        try:
            product.save_product_info(ad.id, name=name, brand=brand, user_id=user_id, services=services)
            if files:
                product.add_product_images(ad.id, files, user_id=user_id, services=services)
                _reset_uploads("ugc_product_upload")
            if files or ad.product_dna is None:  # edited DNA is kept until the photos change
                product.extract_product_dna(ad.id, user_id=user_id, services=services)
            st.rerun()
        except StudioError as exc:
            show_error(exc)
    if ad.product_images:
        columns = st.columns(6)
        for column, image in zip(columns, ad.product_images, strict=False):
            with column:
                media.image(image.image_key, user_id=user_id, services=services)
                if st.button("Remove", key=f"ugc_rm_{image.id}", icon=":material/delete:"):
                    product.remove_product_image(image.id, user_id=user_id, services=services)
                    st.rerun()
    if ad.product_dna:
        product_dna_form(ad.id, ad.product_dna, user_id=user_id, services=services)


def product_dna_form(ad_id: str, dna: ProductDNA, *, user_id: str, services: Services) -> None:
    with st.form("ugc_product_dna"):
        st.markdown(f"**Product DNA** · :gray[{dna.source or 'edited'}]")
        left, right = st.columns(2)
        product_type = left.text_input("Type", dna.product_type)
        shape = right.text_input("Shape", dna.shape)
        colours = {role: left.text_input(f"Colour: {role}", value) for role, value in dna.colors.items()}
        texture = right.text_input("Texture", dna.texture)
        materials = right.text_input("Materials (comma separated)", ", ".join(dna.materials))
        visible = st.text_area("Visible text (one per line)", "\n".join(dna.branding_text))
        features = st.text_area("Distinctive features (one per line)", "\n".join(dna.distinctive_features))
        rules = st.text_area("Never change (one per line)", "\n".join(dna.prohibited_variations))
        if st.form_submit_button("Save product DNA", icon=":material/save:"):
            edited = ProductDNA(
                product_type,
                dna.product_name,
                colours,
                shape,
                [m.strip() for m in materials.split(",") if m.strip()],
                texture,
                _lines(visible),
                dna.logo_description,
                _lines(features),
                _lines(rules),
                "edited",
            )
            try:
                product.save_product_dna(ad_id, edited, user_id=user_id, services=services)
                st.success("Product DNA saved.")
            except StudioError as exc:
                show_error(exc)


def avatar_step(ad: AdView, *, user_id: str, services: Services) -> None:
    catalog_tab, photos_tab, saved_tab = st.tabs(["Catalog actor", "Your photos", "Saved avatars"])
    with saved_tab:
        saved_avatar_picker(ad, user_id=user_id, services=services)
    with catalog_tab:
        actor_grid(ad, user_id=user_id, services=services)
    with photos_tab:
        name = st.text_input("Avatar name", key="ugc_avatar_name", max_chars=120)
        files = _uploads(
            "ugc_avatar_upload",
            f"Photos of the person (1-{services.settings.ugc_avatar_photos_max}, front first)",
            _image_mb(services),
        )
        if st.button("Create avatar", key="ugc_create_avatar", icon=":material/add_a_photo:"):
            _act(lambda: avatar.create_avatar_from_photos(ad.id, name, files, user_id=user_id, services=services))
    if ad.avatar is not None:
        st.markdown(f"**Avatar:** {literal(ad.avatar.name)}")
        with st.container(horizontal=True):
            for key in ad.avatar.reference_keys[:5]:
                media.image(key, user_id=user_id, services=services, width=110)
        if ad.avatar.actor_id is None:
            _voice_picker(ad, user_id=user_id, services=services)
        if ad.avatar.dna:
            character_dna_form(ad.id, ad.avatar.dna, user_id=user_id, services=services)


def _voice_picker(ad: AdView, *, user_id: str, services: Services) -> None:
    """A photo avatar's voice from the active speech provider's list, with a spoken preview."""
    assert ad.avatar is not None
    family = voices_service.active_family(services, user_id)
    options = voices.options(family)
    current = (ad.avatar.voice.get("voices") or {}).get(family)
    ids = [o.voice_id for o in options]
    picked = st.selectbox(
        f"Voice ({voices.FAMILY_LABELS[family]})",
        ids,
        index=ids.index(current) if current in ids else 0,
        format_func=lambda v: next(o.label for o in options if o.voice_id == v),
        key="ugc_avatar_voice",
    )
    left, right = st.columns(2)
    if left.button("Preview", key="ugc_voice_preview", icon=":material/play_circle:"):
        try:
            st.audio(voices_service.preview(family, picked, user_id=user_id, services=services))
        except StudioError as exc:
            show_error(exc)
    if picked != current and right.button("Use this voice", key="ugc_voice_use", icon=":material/check:"):
        _act(lambda: avatar.set_avatar_voice(ad.id, picked, user_id=user_id, services=services))


def actor_grid(ad: AdView, *, user_id: str, services: Services) -> None:
    """The catalog's faces in a grid, as on the Actor catalog page; one click picks an actor."""
    chosen = ad.avatar.actor_id if ad.avatar is not None else None
    grid = st.grid(5, min_column_width=130, gap="small")
    for actor in catalog.list_actors(services=services):
        with grid, st.container(border=True):
            media.image(actor.image_key, user_id=user_id, services=services)
            st.caption(f"**{literal(actor.display_name)}** · {actor.gender}, {actor.age_range}")
            if actor.id == chosen:
                st.caption(":green[:material/check: chosen]")
            elif st.button(
                "Use",
                key=f"ugc_use_actor_{actor.id}",
                icon=":material/person_check:",
                help=f"Use {actor.display_name} as this ad's avatar",
            ):
                _act(lambda a=actor.id: avatar.choose_catalog_actor(ad.id, a, user_id=user_id, services=services))


def _act(action) -> None:  # type: ignore[no-untyped-def]
    try:
        action()
        st.rerun()
    except StudioError as exc:
        show_error(exc)


def character_dna_form(ad_id: str, dna: CharacterDNA, *, user_id: str, services: Services) -> None:
    fields = ("face", "skin", "eyes", "hair", "body", "voice", "wardrobe", "prohibited_drift")
    with st.form("ugc_character_dna"):
        st.markdown(f"**Character DNA** · :gray[{dna.source or 'edited'}]")
        values = {f: st.text_input(f.replace("_", " ").capitalize(), getattr(dna, f)) for f in fields}
        if st.form_submit_button("Save character DNA", icon=":material/save:"):
            try:
                avatar.save_character_dna(
                    ad_id, CharacterDNA(**values, source="edited"), user_id=user_id, services=services
                )
                st.success("Character DNA saved.")
            except StudioError as exc:
                show_error(exc)


def brief_step(ad: AdView, *, user_id: str, services: Services) -> None:
    saved = ad.options.get("brief") or {}
    platforms = [p.value for p in Platform]
    with st.form("ugc_brief"):
        left, right = st.columns(2)
        platform = left.selectbox("Platform", platforms, index=platforms.index(saved.get("platform", "tiktok")))
        style = right.selectbox("Style", STYLES, index=STYLES.index(saved.get("style", STYLES[0])))
        tone = left.selectbox("Tone", TONES, index=TONES.index(saved.get("tone", TONES[0])))
        duration = right.slider("Length (seconds)", 10, 60, int(saved.get("duration_s", 30)), step=5)
        prompt = st.text_area(
            "What is the ad about?",
            saved.get("prompt", ""),
            max_chars=1000,
            placeholder="A vitamin C serum for busy mornings; tired of dull skin; absorbs fast",
        )
        if st.form_submit_button("Save and expand the brief", icon=":material/auto_awesome:"):
            brief = BriefInput(Platform(platform), style, tone, duration, prompt)

            def save_and_expand() -> None:
                script.save_brief(ad.id, brief, user_id=user_id, services=services)
                script.expand_brief(ad.id, user_id=user_id, services=services)

            _act(save_and_expand)
    if ad.creative_brief:
        creative_brief_form(ad.id, ad.creative_brief, user_id=user_id, services=services)


def creative_brief_form(ad_id: str, brief: CreativeBrief, *, user_id: str, services: Services) -> None:
    with st.form("ugc_creative_brief"):
        st.markdown("**Creative brief**")
        hook = st.text_input("Hook strategy", brief.hook_strategy)
        pain = st.text_input("Pain point", brief.pain_point)
        points = st.text_area("Selling points (one per line)", "\n".join(brief.selling_points))
        arc = st.text_input("Emotional arc", brief.emotional_arc)
        cta = st.text_input("Call to action", brief.call_to_action)
        if st.form_submit_button("Save creative brief", icon=":material/save:"):
            edited = CreativeBrief(hook, pain, _lines(points), arc, cta, brief.audience)
            try:
                script.save_creative_brief(ad_id, edited, user_id=user_id, services=services)
                st.success("Creative brief saved.")
            except StudioError as exc:
                show_error(exc)
