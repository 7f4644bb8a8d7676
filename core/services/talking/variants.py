"""Actor image variants: an actor put somewhere new by the image-edit port, reusable per project."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from core.adapters.db.models.jobs import Job
from core.adapters.db.models.talking import Actor, ActorImageVariant
from core.domain import text as text_rules
from core.domain.types import VariantView
from core.errors import NotFound, ValidationError
from core.ports_services import Services
from core.services.accounts import audit
from core.services.accounts.access import Right, project_with_right
from core.services.safety import content_guard
from core.services.talking.projects import cancel_jobs, remove_files
from core.services.usage import estimates, spend

IMAGE_VARIANT_JOB = "image_variant"


def clean_prompt(prompt: str, max_chars: int) -> str:
    prompt = text_rules.required(
        prompt,
        field="image prompt",
        multiline=False,
        message="Describe the new setting, e.g. “in a bathroom, warm light”.",
    )
    prompt = " ".join(prompt.split())
    if len(prompt) > max_chars:
        raise ValidationError(f"Keep the image prompt to {max_chars} characters (it has {len(prompt)}).")
    return prompt


def to_view(variant: ActorImageVariant) -> VariantView:
    return VariantView(
        id=variant.id,
        project_id=variant.project_id,
        actor_id=variant.actor_id,
        prompt=variant.prompt,
        seed=variant.seed,
        image_key=variant.image_key or "",
        created_at=variant.created_at,
        provider=variant.provider,
    )


def create_variant(
    project_id: str, actor_id: str, prompt: str, *, seed: int | None = None, user_id: str, services: Services
) -> str:
    """Queue an image edit; returns the variant id (its status is 'pending' until the job ends)."""
    with audit.refusals(services, user_id=user_id, project_id=project_id, what="image variant"):
        prompt = clean_prompt(prompt, services.settings.variant_prompt_max_chars)
        content_guard.check_texts(services.settings, image_prompt=prompt)
        estimate = estimates.estimate_variant(services=services, user_id=user_id).cost_usd
        with services.db.session(user_id=user_id) as session:
            project_with_right(session, project_id, user_id, Right.EDIT)
            if session.get(Actor, actor_id) is None:
                raise NotFound("That actor is not in the catalog.")
            spend.admit(session, user_id=user_id, project_id=project_id, estimate_usd=estimate, services=services)
            variant = ActorImageVariant(
                owner_id=user_id, project_id=project_id, actor_id=actor_id, prompt=prompt, seed=seed, status="pending"
            )
            session.add(variant)
            session.flush()
            job = Job(
                owner_id=user_id, kind=IMAGE_VARIANT_JOB, subject_id=variant.id, payload={"variant_id": variant.id}
            )
            session.add(job)
            session.flush()
            variant.job_id = job.id
            spend.hold(session, job_id=job.id, user_id=user_id, project_id=project_id, estimate_usd=estimate)
            variant_id, job_id = variant.id, job.id
    services.queue.enqueue(job_id)
    return variant_id


def list_variants(
    project_id: str, *, actor_id: str | None = None, user_id: str, services: Services, include_pending: bool = False
) -> list[VariantView]:
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.VIEW)
        query = select(ActorImageVariant).where(ActorImageVariant.project_id == project_id)
        if actor_id:
            query = query.where(ActorImageVariant.actor_id == actor_id)
        if not include_pending:
            query = query.where(ActorImageVariant.status == "ready")
        rows = session.scalars(query.order_by(ActorImageVariant.created_at.desc())).all()
        return [to_view(v) for v in _distinct(rows)]


def _distinct(rows: Sequence[ActorImageVariant]) -> list[ActorImageVariant]:
    """The same actor, prompt and seed made twice is one variant to the creator: the newest is listed."""
    seen: set[tuple[str, str, int | None]] = set()
    kept = []
    for row in rows:
        identity = (row.actor_id, " ".join(row.prompt.casefold().split()), row.seed)
        if identity not in seen:
            seen.add(identity)
            kept.append(row)
    return kept


def variant_status(variant_id: str, *, user_id: str, services: Services) -> tuple[str, dict | None]:
    """('pending' | 'ready' | 'failed', error) for a variant the user can see."""
    with services.db.session(user_id=user_id) as session:
        variant = session.get(ActorImageVariant, variant_id)
        if variant is None:
            raise NotFound("That image variant no longer exists.")
        project_with_right(session, variant.project_id, user_id, Right.VIEW)
        return variant.status, (variant.meta or {}).get("error")


def delete_variant(variant_id: str, *, user_id: str, services: Services) -> None:
    with services.db.session(user_id=user_id) as session:
        variant = session.get(ActorImageVariant, variant_id)
        if variant is None:
            raise NotFound("That image variant no longer exists.")
        project_with_right(session, variant.project_id, user_id, Right.EDIT)
        audit.record(
            session,
            "variant.deleted",
            actor_id=user_id,
            project_id=variant.project_id,
            subject=variant.prompt[:80],
            detail={"variant_id": variant.id},
        )
        keys = {k for k in (variant.image_key, variant.thumb_key) if k}
        cancel_jobs(session, [variant.job_id] if variant.job_id else [])
        session.delete(variant)
    remove_files(services, keys)
