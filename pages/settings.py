"""Settings: which provider each capability uses, whether its key is there, the model and price in use."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.accounts.connection_test import connection_tests
from components.accounts.keys_panel import provider_keys_panel
from components.labels import capability_label
from components.resilience.health_panel import provider_health_panel
from components.runtime import current_user_id, studio
from core.domain.voices import FAMILY_LABELS
from core.services.talking import voices as voices_service
from core.services.usage.estimates import active_unit_price

services = studio()
user_id = current_user_id()
settings = services.settings

st.title("Settings")
st.caption("What the studio uses for each kind of work. Read-only here: change it in settings or secrets.")

rows = []
for capability, choice in services.providers.choices.items():
    price = active_unit_price(capability, services=services)
    offline = choice.vendor == "local"
    rows.append(
        {
            "Capability": capability_label(capability),
            "Provider": choice.vendor,
            "Key": "not needed" if offline else ("present" if choice.key_present else "missing"),
            "Model": choice.model,
            "Price in use": price.label() if price else "no price on file",
            "Note": choice.note,
        }
    )
st.subheader("Providers")
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
st.caption("Keys are never shown. A capability whose cloud key is missing runs on this machine instead.")
connection_tests(services=services)
provider_health_panel(user_id=user_id, services=services)

st.subheader("Actors' voices")
family = voices_service.active_family(services, user_id)
st.caption(
    "Each catalog actor keeps one voice per speech provider, the same in every project. "
    f"Speech now runs on **{FAMILY_LABELS[family]}**."
)
voice_rows = [
    {"Actor": a.name, "Gender": a.gender, "Age": a.age_range}
    | {FAMILY_LABELS[f] + (" (in use)" if f == family else ""): a.by_family.get(f, "") for f in FAMILY_LABELS}
    for a in voices_service.catalog_voices(services=services)
]
st.dataframe(pd.DataFrame(voice_rows), hide_index=True, width="stretch")
if st.button("Test the voices", key="test_voices", icon=":material/record_voice_over:"):
    problems = voices_service.check_catalog(services=services, user_id=user_id)
    if problems:
        st.error("\n".join(f"- {p}" for p in problems))
    else:
        st.success(f"Every actor has a {FAMILY_LABELS[family]} voice; nothing was paid for this check.")

with st.container(border=True):
    st.markdown("**Where keys come from**")
    st.markdown(
        "Keys and choices are read from environment variables, a `.env` file, or "
        "`.streamlit/secrets.toml` (on Streamlit Cloud: *App settings → Secrets*). "
        "Set a provider key and restart the app; with `auto`, the studio picks the cloud provider whose key is set. "
        "To force a capability to run offline, set its provider to `local` (for example `SPEECH_PROVIDER=local`)."
    )

st.subheader("Limits")
limits = st.columns(4)
limits[0].metric("Script", f"{settings.script_max_chars:,} chars", border=True)
limits[1].metric(
    "Spoken length",
    f"{settings.speech_max_seconds:.0f} s",
    border=True,
    help=f"Estimated at {settings.words_per_minute} words per minute",
)
limits[2].metric("Own recording", f"{settings.audio_max_bytes / 1024 / 1024:.0f} MB", border=True)
limits[3].metric("Videos per day", settings.daily_generation_quota, border=True)
st.caption(
    f"Image prompts up to {settings.variant_prompt_max_chars} characters · "
    f"{settings.max_active_generations} generations at a time · videos render at "
    f"{settings.video_width}×{settings.video_height}."
)
if settings.daily_cost_ceiling_usd or settings.team_daily_cost_ceiling_usd:
    st.caption(
        f"Daily spending limits: ${settings.daily_cost_ceiling_usd:.2f} per person and "
        f"${settings.team_daily_cost_ceiling_usd:.2f} per project (0 means no limit), counted before anything is paid."
    )

provider_keys_panel(user_id=user_id, services=services)
