"""UGC Studio: page config, the sign-in gate, and explicit routing, behind an error boundary."""

from __future__ import annotations

import streamlit as st

from components.accounts.auth import account_menu, sign_in_page
from components.runtime import ICON, guarded, mark_routed, signed_in_user_id, studio
from components.variant_factory.stats_panel import credits_widget

# A local favicon: a `:material/...` page icon makes every browser fetch it from Google's CDN.
# (Icons elsewhere are drawn with the font Streamlit serves itself.)
st.set_page_config(page_title="UGC Studio", page_icon=ICON, layout="wide")

PAGES = {
    "Studio": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/projects.py", title="Projects", icon=":material/folder:"),
        st.Page("pages/project.py", title="Project", icon=":material/movie:"),
        st.Page("pages/wizard.py", title="Mass generator", icon=":material/auto_awesome_motion:"),
        st.Page("pages/copilot.py", title="Copilot", icon=":material/chat:"),
        st.Page("pages/scenes.py", title="Scene studio", icon=":material/view_timeline:"),
        st.Page("pages/actors.py", title="Actor catalog", icon=":material/groups:"),
        st.Page("pages/avatars.py", title="Avatars", icon=":material/face:"),
        st.Page("pages/library.py", title="Library", icon=":material/video_library:"),
        st.Page("pages/editor.py", title="Editor", icon=":material/movie_edit:"),
        st.Page("pages/media_library.py", title="Media library", icon=":material/perm_media:"),
        st.Page("pages/variant_factory.py", title="Variant factory", icon=":material/dynamic_feed:"),
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


def route() -> None:
    mark_routed()
    services = studio()
    user_id = signed_in_user_id(services)
    if user_id is None:  # refuses public mode without sign-in, too
        st.navigation([sign_in_page(services)], position="hidden").run()  # the only page there is
        st.stop()
    account_menu(services)
    credits_widget(user_id=user_id, services=services)
    st.navigation(PAGES, expanded=True).run()  # every page in sight: sixteen are more than the default shows


guarded(route)
