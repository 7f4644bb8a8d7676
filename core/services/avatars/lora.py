"""LoRA models: train on fal from an avatar's photos (or 10-30 uploads), upload a checked
`.safetensors`, list, delete, and the ready ones a storyboard frame can use."""

from __future__ import annotations

import re
import uuid
import zipfile
from pathlib import Path

from sqlalchemy import select

from core.adapters.db.models.avatars import AvatarPhoto, LoraModel
from core.adapters.db.models.jobs import Job
from core.adapters.media.safetensors_check import check_safetensors
from core.domain.avatars import LoraView
from core.domain.types import MediaKind
from core.errors import ConfigurationError, NotFound, ValidationError
from core.ports_services import Services
from core.services.accounts import audit
from core.services.accounts.access import Right, project_with_right
from core.services.ads.product import validated_images
from core.services.avatars.rights import avatar_with_right
from core.services.safety import content_guard
from core.services.scratch import scratch_dir
from core.services.talking.projects import cancel_jobs, remove_files
from core.services.usage import estimates, spend

JOB_KIND = "lora_training"
MIN_UPLOADS, MAX_IMAGES = 10, 30
NEEDS_FAL = "Training a LoRA needs a fal.ai key: add one in Settings. Uploading a ready .safetensors works offline."
_TRIGGER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _\-]{1,79}$")


def _view(row: LoraModel) -> LoraView:
    return LoraView(
        row.id, row.project_id, row.avatar_id, row.name, row.trigger_phrase, row.source, row.status,
        row.steps, row.size_bytes, row.error, row.created_at, row.weights_key,
    )  # fmt: skip


def can_train(*, user_id: str, services: Services) -> bool:
    return "lora_train" in services.providers_for(user_id).choices


def _clean(name: str, trigger: str, services: Services) -> tuple[str, str]:
    name = " ".join((name or "").split())[:120]
    trigger = " ".join((trigger or "").split())
    if not name:
        raise ValidationError("Give the LoRA a name.")
    if not _TRIGGER.match(trigger):
        raise ValidationError("The trigger phrase is 2-80 letters, digits, spaces, - or _ (e.g. “dana_person”).")
    content_guard.check_texts(services.settings, lora_name=name, trigger_phrase=trigger)
    return name, trigger


def _training_images(
    project_id: str, avatar_id: str | None, files: list[bytes], tmp: Path, *, user_id: str, services: Services
) -> list[Path]:
    paths: list[Path] = []
    if avatar_id:
        with services.db.session(user_id=user_id) as session:
            avatar = avatar_with_right(session, avatar_id, user_id, Right.VIEW)
            if avatar.project_id != project_id:
                raise NotFound("That avatar is not in this project.")
            keys = list(session.scalars(select(AvatarPhoto.image_key).where(AvatarPhoto.avatar_id == avatar_id)))
        paths = [services.storage.download_to(k, tmp / f"avatar-{i}.png") for i, k in enumerate(keys)]
    elif not MIN_UPLOADS <= len(files) <= MAX_IMAGES:
        raise ValidationError(f"Pick an avatar or upload {MIN_UPLOADS}-{MAX_IMAGES} photos of the person.")
    paths += [p.path for p in validated_images(files, services, tmp)]
    if not 3 <= len(paths) <= MAX_IMAGES:
        raise ValidationError(f"Training takes 3-{MAX_IMAGES} images; this would send {len(paths)}.")
    return paths


def train_lora(
    project_id: str,
    name: str,
    trigger_phrase: str,
    *,
    steps: int = 1000,
    avatar_id: str | None = None,
    files: list[bytes] | None = None,
    user_id: str,
    services: Services,
) -> str:
    """Zip the images, admit the estimate, and queue the durable training job; returns the LoRA id."""
    name, trigger = _clean(name, trigger_phrase, services)
    if not 100 <= steps <= services.settings.lora_train_steps_max:
        raise ValidationError(f"Steps run from 100 to {services.settings.lora_train_steps_max}.")
    if not can_train(user_id=user_id, services=services):
        raise ConfigurationError(NEEDS_FAL)
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.EDIT)
    estimate = estimates.estimate_lora_training(steps, services=services, user_id=user_id)
    with scratch_dir(services) as tmp:
        images = _training_images(project_id, avatar_id, files or [], Path(tmp), user_id=user_id, services=services)
        archive = Path(tmp) / "training.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            for index, path in enumerate(images):
                zf.write(path, f"{index:03d}.png")
        zip_key = services.storage.put_file(
            MediaKind.IMAGE, archive, name=f"loras/training/{uuid.uuid4().hex}", content_type="application/zip"
        )
    try:
        with (
            audit.refusals(services, user_id=user_id, project_id=project_id, what="LoRA training"),
            services.db.session(user_id=user_id) as session,
        ):
            project_with_right(session, project_id, user_id, Right.EDIT)
            spend.admit(session, user_id=user_id, project_id=project_id, estimate_usd=estimate, services=services)
            lora = LoraModel(
                    owner_id=user_id, project_id=project_id, avatar_id=avatar_id, name=name,
                    trigger_phrase=trigger, source="trained", status="pending", steps=steps,
                )  # fmt: skip
            session.add(lora)
            session.flush()
            job = Job(owner_id=user_id, kind=JOB_KIND, subject_id=lora.id,
                          payload={"lora_id": lora.id, "zip_key": zip_key})  # fmt: skip
            session.add(job)
            session.flush()
            lora.job_id = job.id
            spend.hold(session, job_id=job.id, user_id=user_id, project_id=project_id, estimate_usd=estimate)
            lora_id, job_id = lora.id, job.id
    except Exception:
        remove_files(services, {zip_key})
        raise
    services.queue.enqueue(job_id)
    return lora_id


def upload_lora(
    project_id: str, name: str, trigger_phrase: str, data: bytes, *, user_id: str, services: Services
) -> str:
    """Store an existing `.safetensors` after its header and tensor table check out."""
    name, trigger = _clean(name, trigger_phrase, services)
    if len(data) > services.settings.lora_max_bytes:
        raise ValidationError(
            f"The file is {len(data) / 1e6:.0f} MB; the limit is {services.settings.lora_max_bytes / 1e6:.0f} MB."
        )
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.EDIT)
    with scratch_dir(services) as tmp:
        path = Path(tmp) / "upload.safetensors"
        path.write_bytes(data)
        info = check_safetensors(path, max_bytes=services.settings.lora_max_bytes)
        key = services.storage.put_file(
            MediaKind.IMAGE, path, name=f"loras/{uuid.uuid4().hex}", content_type="application/x-safetensors"
        )
    try:
        with services.db.session(user_id=user_id) as session:
            project_with_right(session, project_id, user_id, Right.EDIT)
            lora = LoraModel(
                owner_id=user_id, project_id=project_id, name=name, trigger_phrase=trigger, source="uploaded",
                status="ready", weights_key=key, size_bytes=info.size_bytes,
            )  # fmt: skip
            session.add(lora)
            session.flush()
            return lora.id
    except Exception:
        remove_files(services, {key})
        raise


def list_loras(project_id: str, *, user_id: str, services: Services, ready_only: bool = False) -> list[LoraView]:
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.VIEW)
        query = select(LoraModel).where(LoraModel.project_id == project_id)
        if ready_only:
            query = query.where(LoraModel.status == "ready")
        return [_view(r) for r in session.scalars(query.order_by(LoraModel.created_at.desc()))]


def get_lora(lora_id: str, *, user_id: str, services: Services) -> LoraView:
    with services.db.session(user_id=user_id) as session:
        row = session.get(LoraModel, lora_id)
        if row is None:
            raise NotFound("That LoRA no longer exists.")
        project_with_right(session, row.project_id, user_id, Right.VIEW)
        return _view(row)


def delete_lora(lora_id: str, *, user_id: str, services: Services) -> None:
    with services.db.session(user_id=user_id) as session:
        row = session.get(LoraModel, lora_id)
        if row is None:
            raise NotFound("That LoRA no longer exists.")
        project_with_right(session, row.project_id, user_id, Right.EDIT)
        keys = {k for k in (row.weights_key, row.high_noise_key, row.config_key) if k}
        audit.record(session, "lora.deleted", actor_id=user_id, project_id=row.project_id, subject=row.name,
                     detail={"lora_id": row.id})  # fmt: skip
        cancel_jobs(session, [row.job_id] if row.job_id else [])
        session.delete(row)
    remove_files(services, keys)


def use_lora_for_ad(ad_id: str, lora_id: str | None, *, scale: float = 1.0, user_id: str, services: Services) -> None:
    """Choose a ready LoRA (or None) for the ad's storyboard frames; they then go to the LoRA image model."""
    from core.services.ads.wizard import ad_with_right

    choice, lora_project = None, None
    if lora_id is not None:
        if "lora_image" not in services.providers_for(user_id).choices:
            raise ConfigurationError("Frames with a LoRA need a fal.ai key: add one in Settings.")
        if not 0.05 <= scale <= 2.0:
            raise ValidationError("The LoRA scale runs from 0.05 to 2.")
        view = get_lora(lora_id, user_id=user_id, services=services)
        if not view.ready or not view.weights_key:
            raise ValidationError("That LoRA is not ready yet.")
        choice = {"id": view.id, "weights_key": view.weights_key, "scale": scale, "trigger": view.trigger_phrase}
        lora_project = view.project_id
    with services.db.session() as session:  # ads are written by the services' role (0003_ugc_rls)
        ad = ad_with_right(session, ad_id, user_id, Right.EDIT)
        if choice is not None and lora_project != ad.project_id:
            raise NotFound("That LoRA is not in this ad's project.")
        options = {k: v for k, v in (ad.options or {}).items() if k != "lora"}
        ad.options = {**options, **({"lora": choice} if choice else {})}
