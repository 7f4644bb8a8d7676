"""Avatars: create from 3-10 photos (with the creator's consent), edit, share, delete, and the
list of avatars (catalog actors plus the project's own) the wizard and composer offer."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select

from core.adapters.db.models.avatars import Avatar, AvatarPhoto, AvatarSheet
from core.adapters.db.models.talking import Actor
from core.domain.avatars import ANGLES, AvatarView, PhotoView, UsableAvatar
from core.domain.types import MediaKind
from core.errors import NotFound, ValidationError
from core.ports_services import Services
from core.services.accounts import audit
from core.services.accounts.access import Right, project_with_right
from core.services.ads.product import validated_images
from core.services.avatars import angles
from core.services.avatars.rights import avatar_with_right, visible_to
from core.services.safety import content_guard
from core.services.scratch import scratch_dir
from core.services.talking.projects import remove_files

logger = logging.getLogger(__name__)

MIN_PHOTOS, MAX_PHOTOS = 3, 10
DNA_FIELDS = ("face", "skin", "eyes", "hair", "body", "wardrobe", "prohibited_drift")
CONSENT_TEXT = "I have the permission of the person in these photos to create and use their likeness."


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())[:120]
    if not name:
        raise ValidationError("Give the avatar a name.")
    return name


def to_view(avatar: Avatar, photos: list[AvatarPhoto], user_id: str) -> AvatarView:
    return AvatarView(
        id=avatar.id,
        project_id=avatar.project_id,
        owner_id=avatar.owner_id,
        name=avatar.name,
        shared=avatar.shared,
        voice=dict(avatar.voice or {}),
        dna=dict(avatar.dna or {}),
        photos=tuple(
            PhotoView(p.id, p.image_key, p.angle, p.classified_by, p.width, p.height)
            for p in sorted(photos, key=lambda p: p.position)
        ),
        created_at=avatar.created_at,
        mine=avatar.owner_id == user_id,
    )


def create_avatar(
    project_id: str,
    name: str,
    files: list[bytes],
    *,
    consent: bool,
    user_id: str,
    services: Services,
    shared: bool = False,
    voice: dict[str, Any] | None = None,
) -> str:
    """All photos or none: each is validated, must show a face, and is stored only after the rights check."""
    name = _clean_name(name)
    with audit.refusals(services, user_id=user_id, project_id=project_id, what="avatar"):
        content_guard.check_texts(services.settings, avatar_name=name)
    if not consent:
        raise ValidationError("Confirm that you have the person's permission to use their likeness.")
    if not MIN_PHOTOS <= len(files) <= MAX_PHOTOS:
        raise ValidationError(f"Upload between {MIN_PHOTOS} and {MAX_PHOTOS} photos (front and both profiles).")
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.EDIT)
    with scratch_dir(services) as tmp:
        images = validated_images(files, services, Path(tmp))
        for index, image in enumerate(images):
            angles.check_size(index, image.width, image.height)
        found = angles.classify([i.path for i in images], user_id=user_id, services=services)
        keys = [
            services.storage.put_file(
                MediaKind.IMAGE, i.path, name=f"avatars/{project_id}/{uuid.uuid4().hex}", content_type="image/png"
            )
            for i in images
        ]
    try:
        with services.db.session(user_id=user_id) as session:
            project_with_right(session, project_id, user_id, Right.EDIT)
            avatar = Avatar(
                owner_id=user_id, project_id=project_id, name=name, shared=shared, voice=dict(voice or {}), dna={}
            )
            session.add(avatar)
            session.flush()
            for position, (image, key, got) in enumerate(zip(images, keys, found, strict=True)):
                session.add(
                    AvatarPhoto(
                        avatar_id=avatar.id,
                        position=position,
                        image_key=key,
                        width=image.width,
                        height=image.height,
                        angle=got.angle,
                        classified_by=got.method,
                        face_box=got.box,
                    )
                )
            audit.record(
                session,
                "avatar.consent",
                actor_id=user_id,
                project_id=project_id,
                subject=name,
                detail={"avatar_id": avatar.id, "photos": len(keys), "statement": CONSENT_TEXT},
            )
            return avatar.id
    except Exception:
        remove_files(services, set(keys))  # nothing half-made stays on disk
        raise


def list_avatars(project_id: str, *, user_id: str, services: Services) -> list[AvatarView]:
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.VIEW)
        avatars = session.scalars(
            select(Avatar).where(Avatar.project_id == project_id, visible_to(user_id)).order_by(Avatar.created_at)
        ).all()
        photos = _photos_of(session, [a.id for a in avatars])
        return [to_view(a, photos.get(a.id, []), user_id) for a in avatars]


def get_avatar(avatar_id: str, *, user_id: str, services: Services) -> AvatarView:
    with services.db.session(user_id=user_id) as session:
        avatar = avatar_with_right(session, avatar_id, user_id, Right.VIEW)
        return to_view(avatar, _photos_of(session, [avatar.id]).get(avatar.id, []), user_id)


def _photos_of(session: Any, avatar_ids: list[str]) -> dict[str, list[AvatarPhoto]]:
    out: dict[str, list[AvatarPhoto]] = {}
    if avatar_ids:
        for photo in session.scalars(select(AvatarPhoto).where(AvatarPhoto.avatar_id.in_(avatar_ids))):
            out.setdefault(photo.avatar_id, []).append(photo)
    return out


def update_avatar(
    avatar_id: str,
    *,
    user_id: str,
    services: Services,
    name: str | None = None,
    voice: dict[str, Any] | None = None,
    dna: dict[str, str] | None = None,
    shared: bool | None = None,
) -> None:
    if name is not None:
        name = _clean_name(name)
    clean_dna = None
    if dna is not None:
        clean_dna = {k: " ".join(str(dna.get(k) or "").split())[:400] for k in DNA_FIELDS}
        content_guard.check_texts(services.settings, **clean_dna)
    with services.db.session(user_id=user_id) as session:
        avatar = avatar_with_right(session, avatar_id, user_id, Right.EDIT)
        if shared is not None and avatar.owner_id != user_id:
            raise ValidationError("Only the avatar's creator can share or unshare it.")
        if name is not None:
            content_guard.check_texts(services.settings, avatar_name=name)
            avatar.name = name
        if voice is not None:
            avatar.voice = {k: str(v)[:120] for k, v in voice.items() if k in ("provider", "voice_id", "language")}
        if clean_dna is not None:
            avatar.dna = {**(avatar.dna or {}), **clean_dna}
        if shared is not None:
            avatar.shared = shared


def set_photo_angle(photo_id: str, angle: str, *, user_id: str, services: Services) -> None:
    """The creator's correction (e.g. a back view, which the offline detector cannot see)."""
    if angle not in ANGLES:
        raise ValidationError(f"Unknown angle {angle!r}.")
    with services.db.session(user_id=user_id) as session:
        photo = session.get(AvatarPhoto, photo_id)
        if photo is None:
            raise NotFound("That photo no longer exists.")
        avatar_with_right(session, photo.avatar_id, user_id, Right.EDIT)
        photo.angle, photo.classified_by = angle, "set by the creator"


def delete_avatar(avatar_id: str, *, user_id: str, services: Services) -> int:
    """Deletes the avatar, its photos and sheets, and their stored files; returns files removed."""
    with services.db.session(user_id=user_id) as session:
        avatar = avatar_with_right(session, avatar_id, user_id, Right.EDIT)
        photos = session.scalars(select(AvatarPhoto).where(AvatarPhoto.avatar_id == avatar_id)).all()
        sheets = session.scalars(select(AvatarSheet).where(AvatarSheet.avatar_id == avatar_id)).all()
        keys = {p.image_key for p in photos} | {s.image_key for s in sheets}
        audit.record(
            session,
            "avatar.deleted",
            actor_id=user_id,
            project_id=avatar.project_id,
            subject=avatar.name,
            detail={"avatar_id": avatar.id},
        )
        session.delete(avatar)  # photos and sheets go with it (ON DELETE CASCADE)
    return remove_files(services, keys)


def usable_avatars(project_id: str, *, user_id: str, services: Services) -> list[UsableAvatar]:
    """Catalog actors (system) then the project's avatars this user may use, for the wizard and composer."""
    with services.db.session(user_id=user_id) as session:
        actors = session.scalars(select(Actor).order_by(Actor.display_name)).all()
        catalog = [
            UsableAvatar(
                kind="catalog",
                id=a.id,
                name=a.display_name,
                image_key=a.image_key,
                voice={"voice_id": a.voice_id, "language": a.voice_language},
                reference_keys=(a.image_key,),
            )
            for a in actors
        ]
    own = [
        UsableAvatar(
            kind="own",
            id=v.id,
            name=v.name,
            image_key=v.front_key,
            voice=v.voice,
            reference_keys=tuple(reference_keys(v)),
        )
        for v in list_avatars(project_id, user_id=user_id, services=services)
    ]
    return catalog + own


def reference_keys(avatar: AvatarView, *, camera: str = "", limit: int = 4) -> list[str]:
    """What storyboard frames receive: the front portrait first, then the angle the camera asks for."""
    wanted = ["front"]
    camera = camera.lower()
    if "profile" in camera or "side" in camera:
        wanted += ["left_profile", "right_profile"]
    elif "three" in camera or "3/4" in camera:
        wanted += ["three_quarter_left", "three_quarter_right"]
    ordered = sorted(
        avatar.photos, key=lambda p: (p.angle not in wanted, wanted.index(p.angle) if p.angle in wanted else 0)
    )
    return [p.image_key for p in ordered][:limit]
