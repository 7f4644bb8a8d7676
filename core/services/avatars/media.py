"""Bytes of the digital twins' files (photos, sheets, LoRA weights, face swaps) after a rights check."""

from __future__ import annotations

from sqlalchemy import select

from core.adapters.db.models.avatars import AvatarPhoto, AvatarSheet, FaceSwap, LoraModel
from core.errors import NotFound
from core.ports_services import Services
from core.services.accounts.access import Right, project_with_right
from core.services.avatars.rights import avatar_with_right

GONE = "That file does not exist or is not shared with you."


def twin_media_bytes(key: str, *, user_id: str, services: Services) -> bytes:
    with services.db.session(user_id=user_id) as session:
        avatar_id = session.scalar(select(AvatarPhoto.avatar_id).where(AvatarPhoto.image_key == key)) or session.scalar(
            select(AvatarSheet.avatar_id).where(AvatarSheet.image_key == key)
        )
        if avatar_id:
            avatar_with_right(session, avatar_id, user_id, Right.VIEW)
        else:
            project_id = session.scalar(
                select(LoraModel.project_id).where(LoraModel.weights_key == key)
            ) or session.scalar(select(FaceSwap.project_id).where(FaceSwap.video_key == key))
            if not project_id:
                raise NotFound(GONE)
            project_with_right(session, project_id, user_id, Right.VIEW)
    return services.storage.read_bytes(key)
