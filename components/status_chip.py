"""The status chip of a video: queued, generating (step and progress), completed, failed."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from core.domain.types import JobStatus, JobView, VideoStatus

STEP_LABELS = {
    "init": "preparing",
    "image_edit": "image edit",
    "tts": "speech",
    "lip_sync": "lip sync",
    "finalize": "finishing",
}
COLOURS = {
    VideoStatus.QUEUED: "gray",
    VideoStatus.GENERATING: "blue",
    VideoStatus.COMPLETED: "green",
    VideoStatus.FAILED: "red",
    VideoStatus.CANCELLED: "orange",
}
ICONS = {
    VideoStatus.QUEUED: ":material/schedule:",
    VideoStatus.GENERATING: ":material/autorenew:",
    VideoStatus.COMPLETED: ":material/check_circle:",
    VideoStatus.FAILED: ":material/error:",
    VideoStatus.CANCELLED: ":material/block:",
}
_FROM_JOB = {
    JobStatus.QUEUED: VideoStatus.QUEUED,
    JobStatus.RUNNING: VideoStatus.GENERATING,
    JobStatus.WAITING: VideoStatus.GENERATING,
    JobStatus.COMPLETED: VideoStatus.COMPLETED,
    JobStatus.FAILED: VideoStatus.FAILED,
    JobStatus.CANCELLED: VideoStatus.CANCELLED,
}


@dataclass(frozen=True, slots=True)
class Chip:
    status: VideoStatus
    text: str
    reason: str | None = None

    @property
    def colour(self) -> str:
        return COLOURS[self.status]

    @property
    def active(self) -> bool:
        return self.status in (VideoStatus.QUEUED, VideoStatus.GENERATING)


def chip_for(status: VideoStatus, job: JobView | None = None) -> Chip:
    """The job row, when there is one, is fresher than the video row: it wins."""
    if job is not None:
        status = _FROM_JOB[job.status]
    if status is VideoStatus.GENERATING:
        parts = ["Generating"]
        if job is not None and job.current_step:
            parts.append(STEP_LABELS.get(job.current_step, job.current_step.replace("_", " ")))
        if job is not None:
            parts.append(f"{job.progress:.0%}")
        return Chip(status, " · ".join(parts))
    if status is VideoStatus.FAILED:
        reason = job.error.message if job is not None and job.error else None
        return Chip(status, "Failed", reason)
    return Chip(status, status.value.capitalize())


def status_chip(status: VideoStatus, job: JobView | None = None, *, error: str | None = None) -> Chip:
    """Draw the chip (and the reason of a failure) where it is called; returns what was drawn."""
    chip = chip_for(status, job)
    st.badge(chip.text, color=chip.colour, icon=ICONS[chip.status])  # type: ignore[arg-type]
    reason = chip.reason or error
    if chip.status is VideoStatus.FAILED and reason:
        st.caption(f":red[{reason}]")
    return chip
