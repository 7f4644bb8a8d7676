"""Home: where to start, and what each part of the studio runs on right now (and whether it is healthy)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from components.labels import capability_label
from components.runtime import current_user_id, studio
from core.bootstrap import describe
from core.services.talking.projects import list_projects

services = studio()
user_id = current_user_id()


def health(label: str, check: Callable[[], str]) -> None:
    with st.container(border=True):
        try:
            detail = check()
        except Exception as exc:  # noqa: BLE001 — any failure is what this card reports
            st.markdown(f"**{label}** :red-badge[:material/error: Unhealthy]")
            st.caption(f"{type(exc).__name__}: {exc}")
            return
        st.markdown(f"**{label}** :green-badge[:material/check_circle: Healthy]")
        st.caption(detail)


st.title("UGC Studio")
st.caption("Talking-actor videos from a script or your own recording, and complete ads from product photos.")

projects = list_projects(user_id=user_id, services=services)
with st.container(border=True):
    st.subheader("Start here")
    steps = st.columns(3)
    with steps[0]:
        st.markdown("**1 · Make a project**")
        st.caption("One project per product or campaign keeps videos together.")
        st.page_link("pages/projects.py", label="Projects", icon=":material/folder:")
    with steps[1]:
        st.markdown("**2 · Pick an actor**")
        st.caption("Filter by age, gender and scene; listen to each voice; place them somewhere new.")
        st.page_link("pages/actors.py", label="Actor catalog", icon=":material/person:")
    with steps[2]:
        st.markdown("**3 · Write and generate**")
        st.caption("Up to 60 seconds of script, or your own recording. The video renders while you keep working.")
        if projects:
            st.page_link(
                "pages/project.py",
                label=f"Open “{projects[0].title}”",
                icon=":material/movie:",
                query_params={"project": projects[0].id},
            )
        else:
            st.caption("Create a project first.")

st.subheader("System")
st.caption("What each part uses right now. Everything works offline; cloud providers switch on when their key is set.")
cols = st.columns(3)
with cols[0]:
    health("Database", services.db.check)
with cols[1]:
    health("Media storage", services.storage.check)
with cols[2]:
    health("Job runner", services.queue.check)

st.markdown("**Providers**")
grid = st.grid(3, min_column_width=220)
for capability, choice in services.providers.choices.items():
    with grid, st.container(border=True):
        where = "on this machine" if choice.vendor == "local" else "cloud"
        ready = ":green-badge[Ready]" if choice.vendor == "local" or choice.key_present else ":orange-badge[No key]"
        st.markdown(f"**{capability_label(capability)}** :blue-badge[{choice.vendor}] {ready}")
        st.caption(f"{choice.model} · {where}" + (f"  \n{choice.note}" if choice.note else ""))

with st.expander("Start-up summary"):
    st.code("\n".join(describe(services)), language=None)
