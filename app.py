"""UGC Studio: page config, the (embedded) sign-in gate, and explicit routing."""

from __future__ import annotations

import streamlit as st

from components.runtime import current_user_id, studio

st.set_page_config(page_title="UGC Studio", page_icon="🎬", layout="wide")

services = studio()
if services.settings.public_mode:
    st.error(
        "This studio is configured as public, and single-user embedded mode is refused there. "
        "Configure sign-in before exposing it."
    )
    st.stop()
current_user_id()

pages = {
    "Studio": [
        st.Page("pages/home.py", title="Home", icon="🏠", default=True),
        st.Page("pages/projects.py", title="Projects", icon="📁"),
        st.Page("pages/project.py", title="Project", icon="🎬"),
        st.Page("pages/actors.py", title="Actor catalog", icon="🧑"),
        st.Page("pages/library.py", title="Library", icon="🗂️"),
    ],
    "Insights": [
        st.Page("pages/usage.py", title="Usage", icon="📈"),
        st.Page("pages/settings.py", title="Settings", icon="⚙️"),
    ],
}
st.navigation(pages).run()
