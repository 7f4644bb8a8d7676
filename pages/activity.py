"""The activity log: sign-ins, invitations, key changes, deletions and refusals in your projects and account."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.runtime import current_user_id, studio
from core.services.accounts import audit
from core.services.talking.projects import list_projects

services = studio()
user_id = current_user_id()

st.title("Activity log")
st.caption("Who did what, and when, in the projects you own and on your account. Newest first.")
owned = {p.id: p.title for p in list_projects(user_id=user_id, services=services)}
scope = st.selectbox(
    "Show", [None, *owned], format_func=lambda p: "Everything" if p is None else f"Project: {owned[p]}"
)
entries = audit.list_events(user_id=user_id, services=services, project_id=scope)
if not entries:
    st.info("Nothing recorded yet.", icon=":material/history:")
    st.stop()
frame = pd.DataFrame(
    {
        "When (UTC)": [e.at.strftime("%Y-%m-%d %H:%M:%S") for e in entries],
        "What": [audit.label(e.action) for e in entries],
        "Who": [e.actor_email or "unknown" for e in entries],
        "Project": [owned.get(e.project_id or "", "(deleted)" if e.project_id else "") for e in entries],
        "About": [e.subject for e in entries],
        "Details": [
            str(e.detail.get("reason") or e.detail.get("role") or e.detail.get("method") or "") for e in entries
        ],
        "Address": [e.address for e in entries],
    }
)
st.dataframe(frame, hide_index=True, width="stretch")
