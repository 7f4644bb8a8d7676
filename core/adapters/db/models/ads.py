"""Tables of the mass generator: ads (the wizard's state), product images, avatars, scenes,
scene assets (storyboard frames, clips, voice lines), finished outputs and their QC reports.

Every row hangs off a project, so `core.services.accounts.access` rights decide who sees it.
Assets are keyed by a fingerprint of their inputs: a scene whose inputs did not change
finds its ready asset again, which is how only edited scenes regenerate.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.adapters.db.models.base import Base, _created, _id, utcnow


class AdAvatar(Base):
    """A catalog actor or the creator's own photos, with character DNA and a voice."""

    __tablename__ = "ugc_avatars"
    id: Mapped[str] = _id()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    actor_id: Mapped[str | None] = mapped_column(ForeignKey("actors.id", ondelete="SET NULL"), default=None)
    reference_keys: Mapped[list[str]] = mapped_column(default=list)  # identity anchors, first = front
    dna: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    voice: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Ad(Base):
    """One ad being made: the wizard's saved state, the script's metadata and the job."""

    __tablename__ = "ugc_ads"
    __table_args__ = (Index("ix_ugc_ads_project_owner_updated", "project_id", "owner_id", "updated_at"),)
    id: Mapped[str] = _id()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(160), default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    wizard_step: Mapped[str] = mapped_column(String(16), default="product")
    product_name: Mapped[str] = mapped_column(String(120), default="")
    brand_name: Mapped[str] = mapped_column(String(120), default="")
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)  # brief input, outputs, transition, realism
    product_dna: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    avatar_id: Mapped[str | None] = mapped_column(ForeignKey("ugc_avatars.id", ondelete="SET NULL"), default=None)
    creative_brief: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    script_meta: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    bible: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    job_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AdProductImage(Base):
    __tablename__ = "ugc_product_images"
    id: Mapped[str] = _id()
    ad_id: Mapped[str] = mapped_column(ForeignKey("ugc_ads.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    image_key: Mapped[str] = mapped_column(String(255))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = _created()


class AdScene(Base):
    """One scene of the script. `spec` is the scene as written or edited; `prompts` as assembled."""

    __tablename__ = "ugc_scenes"
    __table_args__ = (UniqueConstraint("ad_id", "number"),)
    id: Mapped[str] = _id()
    ad_id: Mapped[str] = mapped_column(ForeignKey("ugc_ads.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    original: Mapped[dict[str, Any]] = mapped_column(default=dict)  # as the writer wrote it, for "reset edits"
    edited: Mapped[bool] = mapped_column(Boolean, default=False)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    prompts: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    selected_frame_id: Mapped[str | None] = mapped_column(String(36), default=None)
    approved_frame_id: Mapped[str | None] = mapped_column(String(36), default=None)
    auto_approve: Mapped[bool] = mapped_column(Boolean, default=False)
    # "Redo" counters: part of each asset's fingerprint, so bumping one makes a fresh asset.
    redo_frame: Mapped[int] = mapped_column(Integer, default=0)
    redo_clip: Mapped[int] = mapped_column(Integer, default=0)
    redo_audio: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AdAsset(Base):
    """A storyboard frame, a scene clip or a voice line, rendered by its own child job."""

    __tablename__ = "ugc_assets"
    __table_args__ = (
        UniqueConstraint("scene_id", "kind", "fingerprint", "variant", "attempt"),
        Index("ix_ugc_assets_scene_kind", "scene_id", "kind"),
    )
    id: Mapped[str] = _id()
    ad_id: Mapped[str] = mapped_column(ForeignKey("ugc_ads.id", ondelete="CASCADE"), index=True)
    scene_id: Mapped[str] = mapped_column(ForeignKey("ugc_scenes.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))  # frame | clip | audio
    fingerprint: Mapped[str] = mapped_column(String(64))
    variant: Mapped[int] = mapped_column(Integer, default=0)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    seed: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    inputs: Mapped[dict[str, Any]] = mapped_column(default=dict)  # pinned request inputs (prompt, keys, sizes)
    media_key: Mapped[str | None] = mapped_column(String(255), default=None)
    duration_s: Mapped[float | None] = mapped_column(Float, default=None)
    score: Mapped[float | None] = mapped_column(Float, default=None)  # identity similarity (frames)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    job_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AdOutput(Base):
    """A finished file of an ad, one per aspect ratio per generation."""

    __tablename__ = "ugc_outputs"
    __table_args__ = (Index("ix_ugc_outputs_created", "created_at", "id"),)  # the Library's newest first
    id: Mapped[str] = _id()
    ad_id: Mapped[str] = mapped_column(ForeignKey("ugc_ads.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[str] = mapped_column(String(36), index=True)
    aspect: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12), default="ready")
    video_key: Mapped[str | None] = mapped_column(String(255), default=None)
    poster_key: Mapped[str | None] = mapped_column(String(255), default=None)
    captions: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{start_s, end_s, text}], for SRT downloads
    duration_s: Mapped[float | None] = mapped_column(Float, default=None)
    width: Mapped[int | None] = mapped_column(Integer, default=None)
    height: Mapped[int | None] = mapped_column(Integer, default=None)
    encode_passes: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = _created()


class AdQcReport(Base):
    __tablename__ = "ugc_qc_reports"
    id: Mapped[str] = _id()
    ad_id: Mapped[str] = mapped_column(ForeignKey("ugc_ads.id", ondelete="CASCADE"), index=True)
    output_id: Mapped[str] = mapped_column(ForeignKey("ugc_outputs.id", ondelete="CASCADE"), index=True)
    passed: Mapped[bool] = mapped_column(Boolean)
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    summary: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = _created()
