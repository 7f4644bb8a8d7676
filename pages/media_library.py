"""Media library: the project's videos (with collections), audio (with voice-overs), hooks, images
and LoRA models."""

from __future__ import annotations

import streamlit as st

from components.runtime import current_user_id, studio
from components.variant_factory.common import pick_project
from components.variant_factory.library_media_tabs import images_tab, models_tab
from components.variant_factory.library_tabs import audio_tab, hooks_tab, videos_tab

services = studio()
user_id = current_user_id()

st.title("Media library")
st.caption("Source videos, sounds and hooks for the Variant factory. Search, filter and group them in collections.")
project = pick_project(user_id=user_id, services=services, key="ml_project")
if project is None:
    st.stop()

videos, sounds, hook_texts, pictures, models = st.tabs(["Videos", "Audio", "Hooks", "Images", "Models"])
with videos:
    videos_tab(project.id, user_id=user_id, services=services)
with sounds:
    audio_tab(project.id, user_id=user_id, services=services)
with hook_texts:
    hooks_tab(project.id, user_id=user_id, services=services)
with pictures:
    images_tab(project.id, user_id=user_id, services=services)
with models:
    models_tab(project.id, user_id=user_id, services=services)
