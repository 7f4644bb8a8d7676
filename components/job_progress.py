"""Live status chips: a fragment that re-reads the page's job rows while any job is in flight.

The fragment polls every `POLL_S` seconds only while a job on the page is queued or
generating (`run_every=None` otherwise), redraws each chip into the slot its card
reserved, and triggers a full rerun when a job it watched reaches an end, so the card
shows its poster and actions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components.status_chip import chip_for, status_chip
from core.domain.types import JobView, VideoStatus
from core.ports_services import Services
from core.services.talking.gallery import job_statuses

logger = logging.getLogger(__name__)

POLL_S = 2.0
IDLE_POLL_S = 5.0  # an idle page still looks for changes made elsewhere (another tab, a worker)


@dataclass(frozen=True)
class WatchedChip:
    slot: DeltaGenerator  # an st.empty() the card reserved
    status: VideoStatus  # as the page read it
    job: JobView | None
    error: str | None = None


def _redraw(chips: dict[str, WatchedChip], active_ids: list[str], services: Services, user_id: str) -> None:
    fresh = job_statuses(list(chips), user_id=user_id, services=services)
    for job_id, chip in chips.items():
        with chip.slot.container():
            status_chip(chip.status, fresh.get(job_id, chip.job), error=chip.error)
    finished = [j for j in active_ids if j in fresh and fresh[j].status.terminal]
    if finished:
        logger.debug("jobs finished: %s; rerunning the page", finished)
        st.rerun()


def job_progress(chips: dict[str, WatchedChip], *, user_id: str, services: Services, key: str) -> bool:
    """Draw every chip now, and keep them fresh while anything is active. Returns whether polling."""
    active_ids = [job_id for job_id, chip in chips.items() if chip_for(chip.status, chip.job).active]
    run_every = POLL_S if active_ids else None
    st.fragment(_redraw, run_every=run_every, key=key)(chips, active_ids, services, user_id)
    return run_every is not None


def _recheck(done: Callable[[], bool]) -> None:
    if done():
        st.rerun()


def rerun_when(done: Callable[[], bool], *, waiting: bool, key: str) -> None:
    """Poll `done()` while `waiting`; a full rerun once it holds (e.g. an image variant became ready)."""
    if waiting:
        st.fragment(_recheck, run_every=POLL_S, key=key)(done)


def _watch(marker: Callable[[], object], seen_key: str) -> None:
    if marker() != st.session_state.get(seen_key):
        st.rerun()


def rerun_on_change(marker: Callable[[], object], *, key: str) -> None:
    """Every `IDLE_POLL_S`, compare `marker()` with what this run drew; a full rerun when it moved
    (a second tab on the same project sees new videos and status changes live)."""
    seen_key = f"{key}_seen"
    st.session_state[seen_key] = marker()
    st.fragment(_watch, run_every=IDLE_POLL_S, key=key)(marker, seen_key)
