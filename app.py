"""UGC Studio: page config, the (embedded) sign-in gate, and explicit routing."""

from __future__ import annotations

import streamlit as st

from components.runtime import current_user_id, mark_routed, studio

st.set_page_config(page_title="UGC Studio", page_icon=":material/movie:", layout="wide")

mark_routed()
studio()
current_user_id()  # refuses public mode without sign-in

pages = {
    "Studio": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/projects.py", title="Projects", icon=":material/folder:"),
        st.Page("pages/project.py", title="Project", icon=":material/movie:"),
        st.Page("pages/actors.py", title="Actor catalog", icon=":material/groups:"),
        st.Page("pages/library.py", title="Library", icon=":material/video_library:"),
    ],
    "Insights": [
        st.Page("pages/usage.py", title="Usage", icon=":material/monitoring:"),
        st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
    ],
}
st.navigation(pages).run()
