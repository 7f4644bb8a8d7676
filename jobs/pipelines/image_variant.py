"""One image edit that becomes a reusable, project-scoped actor variant."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.adapters.db.models.jobs import Job
from core.adapters.db.models.talking import Actor, ActorImageVariant
from core.domain.types import ErrorInfo, MediaKind
from core.errors import JobCancelled
from core.ports import ImageEditRequest
from core.ports_services import Services
from jobs.context import StepContext
from jobs.pipeline import Pipeline, Step, register
from jobs.pipelines.common import delete_keys, error_dict, stored_keys_of

KIND = "image_variant"


def image_edit(ctx: StepContext) -> dict[str, Any]:
    with ctx.services.db.session() as session:
        variant = session.get(ActorImageVariant, ctx.payload["variant_id"])
        if variant is None:
            raise JobCancelled("The variant was deleted.")
        actor = session.get(Actor, variant.actor_id)
        assert actor is not None
        actor_image_key, prompt, seed = actor.image_key, variant.prompt, variant.seed or 0
    request = ImageEditRequest(image=ctx.fetch(actor_image_key), prompt=prompt, seed=seed)
    image = ctx.call_provider("image_edit", request)
    key = ctx.store(MediaKind.IMAGE, image.path, label="image", content_type=image.content_type)
    thumb = ctx.services.media.thumbnail(image.path, ctx.work_dir / "thumb.jpg")
    thumb_key = ctx.store(MediaKind.IMAGE, thumb.path, label="thumb", content_type=thumb.content_type)
    return {
        "image_key": key,
        "thumb_key": thumb_key,
        "provider": ctx.services.providers_for(ctx.owner_id).image_edit.name,
    }


def _variant(session: Session, job: Job) -> ActorImageVariant | None:
    return session.get(ActorImageVariant, job.subject_id) if job.subject_id else None


def on_completed(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    variant = _variant(session, job)
    if variant is None:
        delete_keys(services, stored_keys_of(session, job.id))
        return
    output = next((s.output for s in job.steps if s.name == "image_edit" and s.output), {}) or {}
    variant.image_key = output.get("image_key")
    variant.thumb_key = output.get("thumb_key")
    variant.provider = output.get("provider", "")
    variant.status = "ready"


def on_failed(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    if variant := _variant(session, job):
        variant.status = "failed"
        variant.meta = {**(variant.meta or {}), "error": error_dict(error)}


def on_cancelled(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    if _variant(session, job) is None:
        delete_keys(services, stored_keys_of(session, job.id))


PIPELINE = register(
    Pipeline(
        kind=KIND,
        steps=(Step("image_edit", image_edit),),
        on_completed=on_completed,
        on_failed=on_failed,
        on_cancelled=on_cancelled,
        admission_limited=False,
    )
)
