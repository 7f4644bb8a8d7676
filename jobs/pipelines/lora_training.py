"""LoRA training on fal: one paid submission, then the job waits in its row (about an hour)
until the weights come back; weights, high-noise LoRA and config land in our storage."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.adapters.db.models.avatars import LoraModel
from core.adapters.db.models.jobs import Job
from core.domain.types import ErrorInfo, MediaKind
from core.errors import JobCancelled
from core.ports import LoraTrainRequest, LoraTrainResult
from core.ports_services import Services
from jobs.context import StepContext
from jobs.pipeline import Pipeline, Step, register
from jobs.pipelines.common import delete_keys, error_dict, stored_keys_of

KIND = "lora_training"
SAFETENSORS, JSON = "application/x-safetensors", "application/json"


def train(ctx: StepContext) -> dict[str, Any]:
    with ctx.services.db.session() as session:
        lora = session.get(LoraModel, ctx.payload["lora_id"])
        if lora is None:
            raise JobCancelled("The LoRA was deleted.")
        trigger, steps = lora.trigger_phrase, lora.steps
    request = LoraTrainRequest(images_zip=ctx.fetch(ctx.payload["zip_key"]), trigger_phrase=trigger, steps=steps)
    result: LoraTrainResult = ctx.call_provider("lora_train", request)
    out: dict[str, Any] = {
        "weights_key": ctx.store(MediaKind.IMAGE, result.weights, label="lora", content_type=SAFETENSORS),
        "size_bytes": result.weights.stat().st_size,
    }
    if result.high_noise is not None:
        out["high_noise_key"] = ctx.store(
            MediaKind.IMAGE, result.high_noise, label="high-noise", content_type=SAFETENSORS
        )
    if result.config is not None:
        out["config_key"] = ctx.store(MediaKind.IMAGE, result.config, label="config", content_type=JSON)
    return out


def _lora(session: Session, job: Job) -> LoraModel | None:
    return session.get(LoraModel, job.subject_id) if job.subject_id else None


def on_started(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    if lora := _lora(session, job):
        lora.status = "training"


def on_completed(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    lora = _lora(session, job)
    if lora is None:
        delete_keys(services, stored_keys_of(session, job.id))
        return
    output = next((s.output for s in job.steps if s.name == "train" and s.output), {}) or {}
    lora.weights_key = output.get("weights_key")
    lora.high_noise_key = output.get("high_noise_key")
    lora.config_key = output.get("config_key")
    lora.size_bytes = int(output.get("size_bytes") or 0)
    lora.status = "ready"
    delete_keys(services, {job.payload.get("zip_key", "")} - {""})  # the training archive has served


def on_failed(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    if lora := _lora(session, job):
        lora.status, lora.error = "failed", error_dict(error)


def on_cancelled(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    delete_keys(services, stored_keys_of(session, job.id) | ({job.payload.get("zip_key", "")} - {""}))


PIPELINE = register(
    Pipeline(
        kind=KIND,
        steps=(Step("train", train),),
        on_started=on_started,
        on_completed=on_completed,
        on_failed=on_failed,
        on_cancelled=on_cancelled,
    )
)
