"""What a project's deletion must also take away: the twins' jobs and stored files."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.adapters.db.models.avatars import Avatar, AvatarPhoto, AvatarSheet, FaceSwap, LoraModel


def twin_contents(session: Session, project_id: str) -> tuple[list[str], set[str]]:
    """(job ids, storage keys) of the project's avatars, sheets, LoRAs and face swaps that the session sees."""
    avatars = select(Avatar.id).where(Avatar.project_id == project_id)
    keys = set(session.scalars(select(AvatarPhoto.image_key).where(AvatarPhoto.avatar_id.in_(avatars))))
    keys |= set(session.scalars(select(AvatarSheet.image_key).where(AvatarSheet.avatar_id.in_(avatars))))
    jobs: list[str] = []
    for lora in session.scalars(select(LoraModel).where(LoraModel.project_id == project_id)):
        keys |= {k for k in (lora.weights_key, lora.high_noise_key, lora.config_key) if k}
        jobs += [lora.job_id] if lora.job_id else []
    for swap in session.scalars(select(FaceSwap).where(FaceSwap.project_id == project_id)):
        keys |= {k for k in (swap.video_key, swap.source_key if swap.parent_kind == "upload" else None) if k}
        jobs += [swap.job_id] if swap.job_id else []
    return jobs, keys
