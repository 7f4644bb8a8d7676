"""One "are you sure?" for every action that costs money or throws work away: the button asks,
and only "Yes" says go (the storyboard's "redraw all", the script's "reset all edits", a chained
scene made again from a new first frame)."""

from __future__ import annotations

import logging

import streamlit as st

logger = logging.getLogger(__name__)


def confirmed(
    key: str,
    label: str,
    question: str,
    *,
    icon: str,
    yes: str = "Yes, go ahead",
    no: str = "No, keep things as they are",
) -> bool:
    """Two clicks: True only on the rerun where "Yes" was pressed."""
    asking = f"{key}_asking"
    if not st.session_state.get(asking):
        if st.button(label, key=key, icon=icon):
            st.session_state[asking] = True
            st.rerun()
        return False
    st.warning(question, icon=":material/help:")
    left, right = st.columns(2)
    if left.button(yes, key=f"{key}_yes", type="primary"):
        st.session_state[asking] = False
        return True
    if right.button(no, key=f"{key}_no"):
        st.session_state[asking] = False
        st.rerun()
    return False
