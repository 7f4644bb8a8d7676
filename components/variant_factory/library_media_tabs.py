"""The Media library's Images tab (product photos, storyboard frames, twins' photos; product
photo uploads) and Models tab (the digital twins' LoRA models, read-only)."""

from __future__ import annotations

import streamlit as st

from components.variant_factory.common import attempt, pager
from core.errors import StudioError
from core.ports_services import Services
from core.services.variant_factory import images
from core.services.variant_factory.images import ImageView

PER_PAGE = 24
SOURCES = {"": "All images", **images.SOURCES}
MODEL_CHIPS = {
    "pending": ("Queued", "gray", ":material/schedule:"),
    "ready": ("Ready", "green", ":material/check_circle:"),
    "failed": ("Failed", "red", ":material/error:"),
}


def _image_card(image: ImageView, *, user_id: str, services: Services) -> None:
    with st.container(border=True):
        try:
            st.image(images.image_bytes(image, user_id=user_id, services=services), width="stretch")
        except StudioError:
            st.caption("No preview")
        st.markdown(f"**{image.label}**")
        size = f" · {image.width}x{image.height}" if image.width and image.height else ""
        st.caption(f"{images.SOURCES[image.source]}{size}")


def _upload_form(project_id: str, *, user_id: str, services: Services) -> None:
    ads = dict(images.ads_for_upload(project_id, user_id=user_id, services=services))
    with st.expander("Add product photos"):
        if not ads:
            st.caption("Product photos belong to an ad: create one in the UGC studio first.")
            return
        with st.form("upload_images", clear_on_submit=True):
            ad_ids: list[str] = list(ads)
            ad = st.selectbox("Ad", ad_ids, format_func=lambda a: ads[a])
            files = st.file_uploader(
                "PNG, JPEG or WebP", type=["png", "jpg", "jpeg", "webp"], accept_multiple_files=True
            )
            if st.form_submit_button("Upload") and files and ad:
                attempt(
                    lambda: images.upload_product_photos(
                        ad, [f.getvalue() for f in files], user_id=user_id, services=services
                    ),
                    "Photos added.",
                )


def images_tab(project_id: str, *, user_id: str, services: Services) -> None:
    _upload_form(project_id, user_id=user_id, services=services)
    left, right = st.columns([3, 2])
    query = left.text_input("Search images", key="ilib_query")
    names: list[str] = list(SOURCES)
    source = right.selectbox("Source", names, format_func=lambda n: SOURCES[n], key="ilib_source")
    found = images.list_images(
        project_id,
        user_id=user_id,
        services=services,
        source=source or None,
        query=query,
        page=int(st.session_state.get("ilib_page") or 1),
        per_page=PER_PAGE,
    )
    st.caption(f"{found.total} image{'s' if found.total != 1 else ''}")
    if not found.items:
        st.info("No images here yet: product photos, storyboard frames and twins' photos appear here.")
    columns = st.columns(4)
    for i, image in enumerate(found.items):
        with columns[i % 4]:
            _image_card(image, user_id=user_id, services=services)
    pager(found.pages, key="ilib_page")


def models_tab(project_id: str, *, user_id: str, services: Services) -> None:
    st.caption("LoRA models of the project's digital twins. Train or upload them on the Digital twins page.")
    models = images.list_models(project_id, user_id=user_id, services=services)
    if not models:
        st.info("No models yet.")
    for model in models:
        with st.container(border=True):
            text, chip = st.columns([5, 2], vertical_alignment="center")
            text.markdown(f"**{model.name}** · trigger `{model.trigger_phrase}`")
            detail = f"{model.source} · {model.size_bytes / 1e6:.1f} MB" + (
                f" · {model.steps} steps" if model.steps else ""
            )
            text.caption(detail)
            label, colour, icon = MODEL_CHIPS.get(model.status, ("Training", "blue", ":material/autorenew:"))
            with chip:
                st.badge(label, color=colour, icon=icon)  # type: ignore[arg-type]
            if model.error:
                text.caption(f":red[{model.error.get('message', 'Failed.')}]")
