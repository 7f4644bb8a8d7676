"""A voice line of an edit said again with new words: speech (the studio's speech port, one
durable call, admitted and ledgered like an ad's voice lines), then apply (the new line saved as
the next version of the edit). A failure anywhere leaves the edit as it was."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from core.adapters.db.models.editor import Edit
from core.adapters.db.models.jobs import Job
from core.adapters.media.voice_timing import speech_of
from core.domain.types import ErrorInfo, Voice
from core.errors import JobCancelled
from core.ports_services import Services
from core.services.editor import voice
from jobs.context import StepContext
from jobs.pipeline import Pipeline, Step, register
from jobs.pipelines.common import delete_keys, speak_line, stored_keys_of

logger = logging.getLogger(__name__)


def speech(ctx: StepContext) -> dict[str, Any]:
    payload = ctx.payload
    with ctx.services.db.session() as session:
        if session.get(Edit, payload["edit_id"]) is None:
            raise JobCancelled("The edit was deleted.")
    voice.line_to_say(payload, user_id=ctx.owner_id, services=ctx.services)  # before paying for it
    key, clip = speak_line(ctx, payload["text"], Voice(**payload["voice"]), int(payload["seed"]))
    spoken = speech_of(clip.path)  # where the words are inside the file: the captions follow them
    return {
        "audio_key": key,
        "duration_s": clip.duration_s,
        "speech_start_s": spoken.start_s,
        "speech_end_s": min(spoken.end_s, clip.duration_s),
    }


def apply(ctx: StepContext) -> dict[str, Any]:
    version = voice.apply_line(ctx.payload, ctx.output_of("speech"), user_id=ctx.owner_id, services=ctx.services)
    return {"version": version}


def on_failed(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    """The new audio goes unless a version holds it: the apply step may have saved the version and
    stopped before it was marked done, so the versions, not the step's status, say."""
    edit_id = job.payload["edit_id"]
    stored = stored_keys_of(session, job.id)
    delete_keys(services, {key for key in stored if voice.version_holding(session, edit_id, key) is None})


PIPELINE = register(
    Pipeline(
        kind=voice.VOICE_JOB,
        steps=(Step("speech", speech), Step("apply", apply)),
        on_failed=on_failed,
        on_cancelled=on_failed,
        admission_limited=False,  # one short line; the ceilings admitted it when it was queued
    )
)
