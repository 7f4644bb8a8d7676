"""Members of a project: the owner invites by email as editor or viewer, changes roles, removes people."""

from __future__ import annotations

import streamlit as st

from components.accounts.auth import client_address
from components.choices import labelled
from components.runtime import current_user_id, show_error, studio
from core.domain.accounts import MemberView, Role
from core.errors import StudioError
from core.services.accounts import team
from core.services.talking.projects import list_projects
from core.services.usage import spend

services = studio()
user_id = current_user_id()
FLASH = "team.flash"
ROLE_HELP = {
    Role.EDITOR.value: "Editor: watches, downloads, generates and deletes videos",
    Role.VIEWER.value: "Viewer: watches and downloads",
}


def invite_form(project_id: str) -> None:
    with st.form("invite", clear_on_submit=True, border=True):
        st.markdown("**Invite someone**")
        email = st.text_input("Email", placeholder="teammate@example.com")
        role = st.radio("Role", list(ROLE_HELP), format_func=labelled(ROLE_HELP), horizontal=False)
        if not st.form_submit_button("Invite", type="primary", icon=":material/person_add:"):
            return
    try:
        member = team.invite_member(
            project_id, email, role, user_id=user_id, services=services, address=client_address(services)
        )
    except StudioError as exc:
        show_error(exc)
        return
    note = "They join when they first sign in with that email." if member.pending else "They can open it now."
    st.session_state[FLASH] = f"Invited {member.email} as {member.role.value}. {note}"
    st.rerun()


def member_row(project_id: str, member: MemberView, *, is_owner: bool) -> None:
    with st.container(border=True, horizontal=True, vertical_alignment="center"):
        status = " · invitation pending" if member.pending else ""
        st.markdown(f"**{member.email}**  \n:gray[{member.role.value}{status}]")
        if member.role is Role.OWNER:
            return
        if is_owner:
            other = Role.VIEWER.value if member.role is Role.EDITOR else Role.EDITOR.value
            if st.button(f"Make {other}", key=f"role_{member.email}", icon=":material/swap_horiz:"):
                _act(
                    lambda: team.change_role(
                        project_id,
                        member.email,
                        other,
                        user_id=user_id,
                        services=services,
                        address=client_address(services),
                    )
                )
        if is_owner or member.user_id == user_id:
            label = "Leave" if member.user_id == user_id else "Remove"
            if st.button(label, key=f"remove_{member.email}", icon=":material/person_remove:"):
                _act(
                    lambda: team.remove_member(
                        project_id, member.email, user_id=user_id, services=services, address=client_address(services)
                    )
                )


def _act(change) -> None:  # type: ignore[no-untyped-def]
    try:
        change()
    except StudioError as exc:
        show_error(exc)
        return
    st.rerun()


st.title("Members")
if flash := st.session_state.pop(FLASH, None):
    st.success(flash, icon=":material/mail:")
st.caption("Share a project with your team. Only its owner invites, changes roles and deletes the project.")
projects = list_projects(user_id=user_id, services=services)
if not projects:
    st.info("You have no projects yet. Create one on the Projects page, then invite your team here.")
    st.stop()
titles = {p.id: p.title for p in projects}
current = st.session_state.get("project_id")
project_id = st.selectbox(
    "Project", list(titles), index=list(titles).index(current) if current in titles else 0, format_func=labelled(titles)
)
try:
    members = team.list_members(project_id, user_id=user_id, services=services)
except StudioError as exc:
    show_error(exc)
    st.stop()
is_owner = members[0].user_id == user_id
left, right = st.columns([3, 2], gap="large")
with left:
    for member in members:
        member_row(project_id, member, is_owner=is_owner)
with right:
    if is_owner and not services.settings.sign_in_configured:
        st.info(
            "Invitations need sign-in to be on: this studio runs in single-user mode, so nobody else can "
            "sign in to accept one yet. Turn on sign-in (AUTH_LOCAL=true for email and password, or "
            "AUTH_OIDC=true for single sign-on) and restart the studio; people invited now join then.",
            icon=":material/lock:",
        )
    if is_owner:
        invite_form(project_id)
    else:
        mine = next((m for m in members if m.user_id == user_id), None)
        st.info(
            f"You are a{'n' if mine and mine.role is Role.EDITOR else ''} {mine.role.value if mine else 'member'} "
            "of this project. Its owner manages who is in it.",
            icon=":material/info:",
        )
    today = spend.team_spend_today(project_id, user_id=user_id, services=services)
    if today.ceiling_usd:
        st.metric(
            "Team spend today",
            f"${today.committed_usd:.2f}",
            border=True,
            help=f"All members together, including generations still running. Daily limit ${today.ceiling_usd:.2f}.",
        )
