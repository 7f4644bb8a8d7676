"""Durable jobs, their steps (paid attempts included) and the cost ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.adapters.db.models.base import Base, _created, _id, utcnow


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_owner_status", "owner_id", "status"),
        Index("ix_jobs_status_heartbeat", "status", "heartbeat_at"),
    )
    id: Mapped[str] = _id()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    current_step: Mapped[str | None] = mapped_column(String(40), default=None)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    resumes: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)
    run_after: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = _created()
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    steps: Mapped[list[JobStep]] = relationship(
        back_populates="job", cascade="all, delete-orphan", order_by="JobStep.started_at"
    )


class JobStep(Base):
    """One row per attempt of a step."""

    __tablename__ = "job_steps"
    __table_args__ = (Index("ix_job_steps_job_name", "job_id", "name"),)
    id: Mapped[str] = _id()
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    provider: Mapped[str | None] = mapped_column(String(255), default=None)
    provider_request_id: Mapped[str | None] = mapped_column(Text, default=None)
    request: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    output: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    error_code: Mapped[str | None] = mapped_column(String(40), default=None)
    polls: Mapped[int] = mapped_column(Integer, default=0)
    # Paid-call bookkeeping (architecture.md "Paid calls"): "sending" while a paid request
    # is in flight, "ambiguous" when its answer was lost, "adopted" once a webhook named
    # the orphan, "consented" when the creator chose to pay again. None: nothing pending.
    submit_state: Mapped[str | None] = mapped_column(String(16), default=None)
    webhook_token: Mapped[str | None] = mapped_column(String(64), default=None, unique=True, index=True)
    poll_errors: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    started_at: Mapped[datetime] = _created()
    waiting_since: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)

    job: Mapped[Job] = relationship(back_populates="steps")


class CostRecord(Base):
    """Frozen when a provider call finishes; the ledger that usage and ceilings read."""

    __tablename__ = "cost_records"
    __table_args__ = (Index("ix_cost_records_owner_created", "owner_id", "created_at"),)
    id: Mapped[str] = _id()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    job_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    step_id: Mapped[str | None] = mapped_column(String(36), default=None, unique=True)
    provider: Mapped[str] = mapped_column(String(255))
    capability: Mapped[str] = mapped_column(String(40))
    amount_usd: Mapped[float] = mapped_column(Float)
    # "charged", or "possibly_charged" for a paid call whose answer was lost (amount unknown).
    status: Mapped[str] = mapped_column(String(24), default="charged", server_default="charged")
    created_at: Mapped[datetime] = _created()
