"""Usage: how the creator's generations went — counts, step times, provider errors, cost per day."""

from __future__ import annotations

import altair as alt
import streamlit as st

from components.charts import chart_with_data
from components.runtime import current_user_id, studio
from components.variant_factory.stats_panel import studio_stats
from core.services.usage import metrics
from core.services.variant_factory.stats import KIND_LABELS

services = studio()
user_id = current_user_id()

st.title("Usage")
days = st.segmented_control("Period", [7, 30, 90], default=30, required=True, format_func=lambda d: f"Last {d} days")
st.caption(f"Your own generations in the last {days} days.")

counts = metrics.job_counts(user_id=user_id, services=services, days=days)
spent = metrics.total_cost(user_id=user_id, services=services, days=days)
uncertain = metrics.possibly_charged_calls(user_id=user_id, services=services, days=days)
cols = st.columns(6)
cols[0].metric("Started", counts.started, border=True)
cols[1].metric("Completed", counts.completed, border=True)
cols[2].metric("Failed", counts.failed, border=True)
cols[3].metric("Failure rate", f"{counts.failure_rate:.0%}", border=True, help="Failed ÷ (completed + failed)")
cols[4].metric("Spent", f"${spent:.2f}", border=True, help="Charges the providers confirmed")
cols[5].metric(
    "Possibly charged",
    len(uncertain),
    border=True,
    help="Paid calls whose answer never reached us: the provider may have charged, amount unknown",
)
if not uncertain.empty:
    with st.container(border=True):
        st.warning(
            f"{len(uncertain)} paid call(s) may have been charged without a result reaching the studio. "
            "They are not in “Spent”, because the amount is unknown: check them in each provider's dashboard. "
            "Nothing was retried without your consent.",
            icon=":material/help:",
        )
        shown = uncertain.assign(work=uncertain["work"].map(lambda k: KIND_LABELS.get(k, k or "outside a job")))
        st.dataframe(shown.drop(columns=["job_id"]), hide_index=True, width="stretch")

if counts.started == 0:
    with st.container(border=True):
        st.markdown("**Nothing to chart yet.**")
        st.caption("Make a video in a project; its timings, errors and cost show up here.")
        st.page_link("pages/projects.py", label="Go to Projects", icon=":material/folder:")
    st.stop()

left, right = st.columns(2, gap="large")
with left:
    st.subheader("Generations per day")
    per_day = metrics.jobs_per_day(user_id=user_id, services=services, days=days).astype({"day": "string"})
    with chart_with_data(per_day):
        st.altair_chart(
            alt.Chart(per_day)
            .mark_bar(size=28)
            .encode(
                x=alt.X("day:O", title=None, axis=alt.Axis(labelAngle=0)),
                y=alt.Y("jobs:Q", title="Jobs", axis=alt.Axis(tickMinStep=1)),
                color=alt.Color("status:N", title="Status"),
                tooltip=["day", "status", "jobs"],
            ),
            width="stretch",
        )
with right:
    st.subheader("Average time per step")
    steps = metrics.step_durations(user_id=user_id, services=services, days=days)
    if steps.empty:
        st.caption("No step has finished yet.")
    else:
        st.bar_chart(steps, x="label", y="avg_seconds", x_label="Step", y_label="Seconds (average)", horizontal=True)

left, right = st.columns(2, gap="large")
with left:
    st.subheader("Cost per day")
    cost = metrics.cost_per_day(user_id=user_id, services=services, days=days)
    if cost.empty or cost["cost_usd"].sum() == 0:
        st.caption("Nothing charged: every step so far ran on this machine, which is free.")
    else:
        cost = cost.astype({"day": "string"})
        with chart_with_data(cost):
            st.bar_chart(cost, x="day", y="cost_usd", color="provider", x_label="Day", y_label="USD", stack=True)
with right:
    st.subheader("Provider errors and retries")
    errors = metrics.provider_errors(user_id=user_id, services=services, days=days)
    if errors.empty:
        st.success("No provider errors or retries in this period.", icon=":material/check_circle:")
    else:
        long = errors.melt(
            id_vars=["provider", "step", "error_code"],
            value_vars=["retries", "failures"],
            var_name="outcome",
            value_name="count",
        )
        st.altair_chart(
            alt.Chart(long)
            .mark_bar()
            .encode(
                x=alt.X("count:Q", title="Attempts"),
                y=alt.Y("provider:N", title=None),
                color=alt.Color("outcome:N", title=None),
                tooltip=["provider", "step", "error_code", "outcome", "count"],
            ),
            width="stretch",
        )
        st.dataframe(errors, hide_index=True, width="stretch")

studio_stats(user_id=user_id, services=services, days=days)  # storage, live jobs, cost per kind
