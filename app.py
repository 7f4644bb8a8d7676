"""UGC Studio: page config, the sign-in gate, and explicit routing."""

from __future__ import annotations

import streamlit as st

from components.auth import account_menu, sign_in_page
from components.runtime import mark_routed, signed_in_user_id, studio

st.set_page_config(page_title="UGC Studio", page_icon=":material/movie:", layout="wide")

mark_routed()
services = studio()
if signed_in_user_id(services) is None:  # refuses public mode without sign-in, too
    st.navigation([sign_in_page(services)], position="hidden").run()  # the only page there is
    st.stop()
account_menu(services)

pages = {
    "Studio": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/projects.py", title="Projects", icon=":material/folder:"),
        st.Page("pages/project.py", title="Project", icon=":material/movie:"),
        st.Page("pages/wizard.py", title="Mass generator", icon=":material/auto_awesome_motion:"),
        st.Page("pages/scenes.py", title="Scene studio", icon=":material/view_timeline:"),
        st.Page("pages/actors.py", title="Actor catalog", icon=":material/groups:"),
        st.Page("pages/avatars.py", title="Avatars", icon="🧑"),
        st.Page("pages/library.py", title="Library", icon=":material/video_library:"),
    ],
    "Insights": [
        st.Page("pages/usage.py", title="Usage", icon=":material/monitoring:"),
        st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
    ],
    "Team": [
        st.Page("pages/team.py", title="Members", icon=":material/group_add:"),
        st.Page("pages/activity.py", title="Activity log", icon=":material/history:"),
        st.Page("pages/account.py", title="Account", icon=":material/account_circle:"),
    ],
}
st.navigation(pages).run()
