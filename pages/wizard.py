"""The mass generator: product -> avatar -> brief -> script -> generate -> result, on one page.

The wizard's state is kept in `st.session_state` (ad id, step) and saved to the database
(the ad row), so a refresh or another browser resumes the same ad at the same step.
The project comes from `?project=` or the session, like the Project page.
"""

from __future__ import annotations

from typing import Literal

import streamlit as st

from components.ads.generate import generate_step
from components.ads.inputs import avatar_step, brief_step, product_step
from components.ads.result import result_step
from components.ads.script_editor import script_step
from components.labels import literal
from components.runtime import current_user_id, show_error, studio
from core.domain.ad_steps import missing_for
from core.domain.ad_views import AdView
from core.domain.ads import WIZARD_STEPS
from core.errors import PermissionDenied, StudioError
from core.services.ads import wizard
from core.services.talking.projects import list_projects

services = studio()
user_id = current_user_id()

LABELS = {
    "product": "Product",
    "avatar": "Avatar",
    "brief": "Brief",
    "script": "Script",
    "generate": "Generate",
    "result": "Result",
}
STEPS = {
    "product": product_step,
    "avatar": avatar_step,
    "brief": brief_step,
    "script": script_step,
    "generate": generate_step,
    "result": result_step,
}


def chosen_project() -> str | None:
    """The project from `?project=` or the session; always changeable when there are several."""
    wanted = st.query_params.get("project") or st.session_state.get("project_id")
    projects = {p.id: p.title for p in list_projects(user_id=user_id, services=services)}
    if not projects:
        st.info("Create a project first: an ad belongs to a project.", icon=":material/folder:")
        st.page_link("pages/projects.py", label="Projects", icon=":material/add:")
        return None
    if len(projects) == 1:
        return next(iter(projects))  # nothing to choose
    options = [None, *projects] if wanted not in projects else list(projects)
    return st.selectbox(
        "Project",
        options,
        index=options.index(wanted) if wanted in projects else 0,
        format_func=lambda i: "Choose…" if i is None else projects[i],
        key=f"ugc_project_pick_{wanted}",  # a fresh box whenever the URL names another project
    )


def read_only(project_id: str) -> None:
    """A viewer of the project sees its ads; making or changing one needs editor rights."""
    st.info(
        "You can view this project's ads, but making or changing one needs editor rights: ask the "
        "project's owner to make you an editor.",
        icon=":material/visibility:",
    )
    ads = wizard.project_ads(project_id, user_id=user_id, services=services)
    if not ads:
        st.caption("No ads in this project yet.")
    for summary in ads:
        with st.container(border=True):
            st.markdown(f"**{literal(summary.title or 'Untitled ad')}**")
            st.caption(f"{summary.status.value.replace('_', ' ')} · {summary.outputs} finished format(s)")


def open_ad(project_id: str, *, fresh: bool = False) -> str:
    """Resume this creator's latest ad of the project (from the database), or start one."""
    ad_id = wizard.open_wizard(project_id, user_id=user_id, services=services, fresh=fresh)
    st.session_state["ugc_ad_id"], st.session_state["ugc_project"] = ad_id, project_id
    st.session_state.pop("ugc_step", None)
    st.query_params.pop("step", None)  # the resumed ad's own step
    return ad_id


def go(ad_id: str, step: str) -> None:
    """Move to a step; the URL carries it (`?step=`), so browser Back returns to the previous step."""
    st.session_state["ugc_step"] = step
    st.query_params["step"] = step
    wizard.save_step(ad_id, step, user_id=user_id, services=services)


def current_step(saved: str) -> str:
    from_url = st.query_params.get("step")
    if from_url in WIZARD_STEPS:
        st.session_state["ugc_step"] = from_url  # Back / Forward in the browser
    step = st.session_state.setdefault("ugc_step", saved)
    if st.query_params.get("step") != step:
        st.query_params["step"] = step
    return step


def next_button(ad: AdView, step: str) -> None:
    """Next is enabled only when the step is complete; otherwise the reason is shown beside it."""
    position = WIZARD_STEPS.index(step)
    if position + 1 >= len(WIZARD_STEPS):
        return
    following = WIZARD_STEPS[position + 1]
    gap = missing_for(ad, step)
    label = "See the result" if step == "generate" else f"Next: {LABELS[following]}"
    with st.container(horizontal=True, vertical_alignment="center"):
        if st.button(label, key="ugc_next", icon=":material/arrow_forward:", type="primary", disabled=gap is not None):
            go(ad.id, following)
            st.rerun()
        if gap:
            st.caption(gap)


st.title("Mass generator")
st.caption(
    "From product photos to a finished, captioned, checked vertical ad. Only edited or redone scenes are made again."
)
project_id = chosen_project()
if project_id is None:
    st.stop()
st.session_state["project_id"] = project_id
if st.query_params.get("project") != project_id:
    st.query_params["project"] = project_id

if st.session_state.get("ugc_project") != project_id or "ugc_ad_id" not in st.session_state:
    try:
        open_ad(project_id)
    except PermissionDenied:
        read_only(project_id)
        st.stop()
try:
    ad = wizard.get_ad(st.session_state["ugc_ad_id"], user_id=user_id, services=services)
except StudioError as exc:
    show_error(exc)
    st.session_state.pop("ugc_ad_id", None)
    st.stop()

step = current_step(ad.wizard_step)
with st.container(horizontal=True):
    for number, name in enumerate(WIZARD_STEPS, start=1):
        kind: Literal["primary", "secondary"] = "primary" if name == step else "secondary"
        if st.button(f"{number}. {LABELS[name]}", key=f"ugc_nav_{name}", type=kind):
            go(ad.id, name)
            st.rerun()
    if st.button("New ad", key="ugc_new_ad", icon=":material/add:"):
        open_ad(project_id, fresh=True)
        st.rerun()

st.subheader(f"{WIZARD_STEPS.index(step) + 1}. {LABELS[step]}")
STEPS[step](ad, user_id=user_id, services=services)
next_button(ad, step)
