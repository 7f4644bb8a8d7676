"""Pieces shared by pipelines."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.adapters.db.models.jobs import JobStep
from core.adapters.db.models.talking import Actor
from core.adapters.media.ffmpeg import FfmpegToolkit
from core.domain.media import AudioClip
from core.domain.text import speakable
from core.domain.types import MediaKind, Voice
from core.domain.voices import voices_for_actor
from core.ports import SpeechRequest
from core.ports_services import Services

if TYPE_CHECKING:
    from jobs.context import StepContext

logger = logging.getLogger(__name__)


def actor_voice(actor: Actor) -> Voice:
    return Voice(
        actor.voice_id, actor.voice_language, actor.voice_rate_wpm, actor.voice_pitch, voices_for_actor(actor.key)
    )


def speak_line(ctx: StepContext, text: str, voice: Voice, seed: int, *, label: str = "voice") -> tuple[str, AudioClip]:
    """A voice line through the speech port (one durable call: paid at most once), stored.
    An ad's scene lines and the editor's lines said again both come through here."""
    clip = ctx.call_provider("speech", SpeechRequest(text=speakable(text), voice=voice, seed=seed))
    key = ctx.store(MediaKind.AUDIO, clip.path, label=label, content_type=clip.content_type)
    return key, clip


def ffmpeg_toolkit(ctx: StepContext) -> FfmpegToolkit:
    """The services' FFmpeg toolkit, for the cuts and joins the media port does not name."""
    media = ctx.services.media
    return media if isinstance(media, FfmpegToolkit) else FfmpegToolkit()


def stored_keys_of(session: Session, job_id: str) -> set[str]:
    """Every storage key the job's steps wrote (outputs named `*_key` under `jobs/<id>/`)."""
    keys: set[str] = set()
    for output in session.scalars(select(JobStep.output).where(JobStep.job_id == job_id)):
        for name, value in (output or {}).items():
            if name.endswith("_key") and isinstance(value, str) and f"jobs/{job_id}/" in value:
                keys.add(value)
    return keys


def delete_keys(services: Services, keys: set[str]) -> None:
    for key in keys:
        try:
            services.storage.delete(key)
        except Exception:
            logger.warning("could not delete %s", key, exc_info=True)


def error_dict(error: Any) -> dict[str, Any] | None:
    if error is None:
        return None
    return {"code": error.code, "message": error.message, "details": error.details}
