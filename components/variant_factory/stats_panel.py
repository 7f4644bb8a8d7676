"""Studio stats for the Usage page and the sidebar credits widget."""

from __future__ import annotations

import streamlit as st

from core.ports_services import Services
from core.services.usage import spend
from core.services.variant_factory import stats

CHIP = {
    "queued": "gray",
    "running": "blue",
    "waiting": "violet",
    "completed": "green",
    "failed": "red",
    "cancelled": "orange",
}


def _job_lines(lines: list[stats.JobLine]) -> None:
    if not lines:
        st.caption("None.")
    for job in lines:
        step = f" · {job.step}" if job.step and job.status in ("running", "waiting") else ""
        st.markdown(
            f":{CHIP.get(job.status, 'gray')}-badge[{job.status}] **{job.kind}**{step} · "
            f"{job.progress:.0%} · {job.created_at:%Y-%m-%d %H:%M} UTC"
        )


def _live_jobs(user_id: str, services: Services) -> None:
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("**Active jobs**")
        _job_lines(stats.studio_jobs(user_id=user_id, services=services, active=True))
    with right:
        st.markdown("**Recent jobs**")
        _job_lines(stats.studio_jobs(user_id=user_id, services=services, active=False, limit=10))


def studio_stats(*, user_id: str, services: Services, days: int) -> None:
    st.subheader("Studio")
    storage = stats.storage_used(user_id=user_id, services=services)
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("**Storage used**")
        if storage.empty:
            st.caption("Nothing stored yet.")
        else:
            storage["MB"] = storage["bytes"] / 1e6
            st.caption(f"{storage['MB'].sum():,.1f} MB in all")
            st.bar_chart(storage, x="project", y="MB", color="kind", x_label="Project", y_label="MB", stack=True)
    with right:
        st.markdown("**Cost per day by kind of job**")
        cost = stats.cost_per_kind(user_id=user_id, services=services, days=days)
        if cost.empty or cost["cost_usd"].sum() == 0:
            st.caption("Nothing charged in this period.")
        else:
            cost = cost.astype({"day": "string"})
            st.bar_chart(cost, x="day", y="cost_usd", color="kind", x_label="Day", y_label="USD", stack=True)
    st.fragment(_live_jobs, run_every=3.0)(user_id, services)


def credits_widget(*, user_id: str, services: Services) -> None:
    """Spent today against the day's ceiling, in the sidebar."""
    today = spend.spend_today(user_id=user_id, services=services)
    with st.sidebar:
        if today.ceiling_usd > 0:
            st.progress(
                min(1.0, today.committed_usd / today.ceiling_usd),
                text=f"Credits: ${today.committed_usd:.2f} of ${today.ceiling_usd:.2f} today",
            )
        else:
            st.caption(f"Credits: ${today.committed_usd:.2f} spent today (no daily limit)")
