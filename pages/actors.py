"""Actor catalog: filter the actors, hear their voices, and keep per-project image variants of them."""

from __future__ import annotations

from collections import Counter

import streamlit as st

from components.runtime import current_user_id, studio
from components.talking import own_avatar_picker
from components.talking.actor_card import actor_card
from components.talking.composer import ACTOR
from components.talking.filters import actor_filters
from components.talking.variants_panel import variants_panel
from core.domain.types import ActorView, VariantView
from core.services.talking.catalog import list_actors
from core.services.talking.projects import list_projects
from core.services.talking.variants import list_variants

services = studio()
user_id = current_user_id()
PANEL = "catalog.variants_actor"


def use_in_video(actor: ActorView, project_id: str | None, variant: VariantView | None = None) -> None:
    """Hand the choice to the composer of the project page."""
    st.session_state[ACTOR] = actor.id
    st.session_state[own_avatar_picker.SOURCE] = own_avatar_picker.CATALOG  # a catalog actor, not an own avatar
    st.session_state["composer_look"] = "variant" if variant else "catalog"
    if variant:
        st.session_state["composer_variant"] = variant.id
    if project_id is None:
        st.toast("Create a project first; your actor is remembered.", icon=":material/info:")
        st.switch_page("pages/projects.py")
    st.session_state["project_id"] = project_id
    st.switch_page("pages/project.py", query_params={"project": project_id})


st.title("Actor catalog")
st.caption("Choose who speaks for your product. Filters combine: every group you set must match.")
chosen_filter = actor_filters("catalog")

projects = {p.id: p.title for p in list_projects(user_id=user_id, services=services)}
current = st.session_state.get("project_id")
options: list[str | None] = [*projects] or [None]
project_id = st.selectbox(
    "Variants are kept per project. Showing variants for:",
    options,
    index=list(projects).index(current) if current in projects else 0,
    format_func=lambda i: projects.get(i, "— no project yet —"),
    disabled=not projects,
)
variant_counts = (
    Counter(v.actor_id for v in list_variants(project_id, user_id=user_id, services=services))
    if project_id
    else Counter()
)

everyone = list_actors(services=services)
actors = [a for a in everyone if chosen_filter.matches(a.age_range, a.gender, a.tags)]

panel_actor = next((a for a in everyone if a.id == st.session_state.get(PANEL)), None)
if panel_actor is not None:
    with st.container(border=True):
        head, close = st.columns([5, 1], vertical_alignment="center")
        head.subheader(f"Variants of {panel_actor.display_name}")
        if close.button("Close", icon=":material/close:"):
            st.session_state.pop(PANEL, None)
            st.rerun()
        if project_id is None:
            st.info("Variants belong to a project. Create a project first.", icon=":material/folder:")
        else:
            st.caption(
                f"In “{projects[project_id]}”. Prompts up to {services.settings.variant_prompt_max_chars} "
                "characters; the same seed gives the same picture."
            )
            if chosen := variants_panel(project_id, panel_actor, user_id=user_id, services=services):
                use_in_video(panel_actor, project_id, chosen)

st.caption(f"Showing {len(actors)} of {len(everyone)} actors")
if not actors:
    with st.container(border=True):
        st.markdown("**No actor matches every filter.**")
        st.caption("Remove a scene or widen the age range to see more people.")
    st.stop()

grid = st.grid(4, min_column_width=220)
for actor in actors:
    with grid:
        action = actor_card(
            actor,
            user_id=user_id,
            services=services,
            variant_count=variant_counts.get(actor.id, 0) if project_id else None,
        )
    if action == "use":
        use_in_video(actor, project_id)
    elif action == "variants":
        st.session_state[PANEL] = actor.id
        st.rerun()
