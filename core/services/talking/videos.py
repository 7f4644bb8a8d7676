"""Talking-actor videos: create (with limits), list for the gallery, details, retry, delete."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from core.adapters.db.models.jobs import Job
from core.adapters.db.models.talking import Actor, ActorImageVariant, VideoAsset
from core.adapters.storage.keys import parse_key
from core.domain import text as text_rules
from core.domain.types import MediaKind, SourceType, VideoStatus
from core.errors import NotFound, ValidationError
from core.ports_services import Services
from core.services.accounts import audit
from core.services.accounts.access import Right, project_with_right
from core.services.avatars import talking
from core.services.safety import content_guard
from core.services.scratch import scratch_dir
from core.services.talking.projects import cancel_jobs, owned_keys, remove_files
from core.services.talking.variants import clean_prompt
from core.services.usage import estimates, spend

logger = logging.getLogger(__name__)

TALKING_VIDEO_JOB = "talking_video"


@dataclass(frozen=True, slots=True)
class VideoRequest:
    project_id: str
    actor_id: str | None  # a catalog actor, or None with `avatar_id`
    script: str | None = None
    audio_key: str | None = None  # from `prepare_uploaded_audio`
    variant_id: str | None = None
    image_prompt: str | None = None
    seed: int = 0
    audio_seconds: float | None = None  # length of the recording, for the cost estimate
    avatar_id: str | None = None  # one of the creator's own avatars (issue 17) instead of an actor

    @property
    def source_type(self) -> SourceType:
        return SourceType.AUDIO if self.audio_key else SourceType.TEXT


def spoken_seconds(text: str, words_per_minute: int) -> float:
    """The spec's estimate: spoken words (emoji are not spoken) at `words_per_minute` (150 by default)."""
    return text_rules.word_count(text) * 60.0 / words_per_minute


def validate_script(script: str, services: Services) -> str:
    settings = services.settings
    script = text_rules.required(script, field="script", message="Write the script the actor should say.")
    if not text_rules.speakable(script):
        raise ValidationError(
            "The script has nothing the actor can say (emoji and symbols are not spoken). Add some words.",
            details={"field": "script"},
        )
    if len(script) > settings.script_max_chars:
        raise ValidationError(
            f"The script has {len(script):,} characters; the limit is {settings.script_max_chars:,}.",
            details={"chars": len(script), "limit": settings.script_max_chars},
        )
    seconds = spoken_seconds(script, settings.words_per_minute)
    if seconds > settings.speech_max_seconds:
        raise ValidationError(
            f"Spoken at {settings.words_per_minute} words a minute this takes about {seconds:.0f} s; "
            f"the limit is {settings.speech_max_seconds:.0f} s. Shorten it a little.",
            details={"seconds": round(seconds, 1)},
        )
    return script


def prepare_uploaded_audio(data: bytes, *, user_id: str, services: Services) -> tuple[str, float]:
    """Probe an uploaded recording by content, transcode to 44.1 kHz mono MP3, store it.

    The upload's file name is never used. Returns (storage key, duration in seconds).
    """
    settings = services.settings
    if len(data) > settings.audio_max_bytes:
        raise ValidationError(
            f"The recording is {len(data) / 1e6:.1f} MB; the limit is {settings.audio_max_bytes / 1e6:.0f} MB."
        )
    with scratch_dir(services) as tmp:
        raw = Path(tmp) / "upload.bin"
        raw.write_bytes(data)
        services.media.validate_audio_upload(
            raw, max_bytes=settings.audio_max_bytes, max_duration_s=settings.speech_max_seconds
        )
        clip = services.media.transcode_audio_mp3(raw, Path(tmp) / "voice.mp3")
        name = f"uploads/{user_id}/{uuid.uuid4().hex}"
        key = services.storage.put_file(MediaKind.AUDIO, clip.path, name=name, content_type="audio/mpeg")
    return key, clip.duration_s


def _estimate(request: VideoRequest, script: str | None, user_id: str, services: Services) -> float:
    """What this video will cost, from the price table; reserved against the daily ceilings."""
    if script:
        seconds = spoken_seconds(script, services.settings.words_per_minute)
    else:
        seconds = request.audio_seconds or services.settings.speech_max_seconds  # unknown: assume the longest
    estimate = estimates.estimate_video(
        seconds,
        with_image_edit=bool(request.image_prompt and not request.variant_id),
        with_speech=bool(script),
        services=services,
        user_id=user_id,
    )
    return estimate.cost_usd


def _check_audio(session, request: VideoRequest, user_id: str, services: Services) -> None:  # type: ignore[no-untyped-def]
    """A recording is the user's own stored upload, or one a video of this project already uses."""
    key = request.audio_key
    if not key:
        return
    kind, _ = parse_key(key)
    if kind is not MediaKind.AUDIO:
        raise ValidationError("That file is not a recording.")
    if key.startswith(f"audio/uploads/{user_id}/") and services.storage.exists(key):
        return
    used_here = session.scalar(
        select(func.count())
        .select_from(VideoAsset)
        .where(VideoAsset.project_id == request.project_id, VideoAsset.source_audio_key == key)
    )
    if not used_here:
        raise NotFound("That recording does not exist or is not shared with you.")


def create_video(request: VideoRequest, *, user_id: str, services: Services, parent_id: str | None = None) -> str:
    """Validate, check words, quota and spend, write the video, its job and its hold, then queue the job."""
    with audit.refusals(services, user_id=user_id, project_id=request.project_id, what="video"):
        script = validate_script(request.script or "", services) if not request.audio_key else None
        max_chars = services.settings.variant_prompt_max_chars
        prompt = clean_prompt(request.image_prompt, max_chars) if request.image_prompt else None
        content_guard.check_texts(services.settings, script=script, image_prompt=prompt)
        estimate = _estimate(request, script, user_id, services)
        with services.db.session(user_id=user_id) as session:
            project_with_right(session, request.project_id, user_id, Right.EDIT)
            _check_who(session, request, user_id)
            variant = session.get(ActorImageVariant, request.variant_id) if request.variant_id else None
            usable = variant is not None and variant.project_id == request.project_id and variant.status == "ready"
            if request.variant_id and not usable:
                raise NotFound("That image variant is not ready in this project.")
            _check_audio(session, request, user_id, services)
            spend.admit(
                session,
                user_id=user_id,
                project_id=request.project_id,
                estimate_usd=estimate,
                services=services,
                quota_kind=TALKING_VIDEO_JOB,
            )
            video = VideoAsset(
                owner_id=user_id,
                project_id=request.project_id,
                actor_id=request.actor_id,
                avatar_id=request.avatar_id,
                variant_id=request.variant_id,
                image_prompt=None if variant else prompt,
                source_type=request.source_type.value,
                source_text=script,
                source_audio_key=request.audio_key,
                seed=request.seed,
                status=VideoStatus.QUEUED.value,
                image_key=variant.image_key if variant else None,
            )
            _link_version(session, video, parent_id)
            session.add(video)
            session.flush()
            job = Job(owner_id=user_id, kind=TALKING_VIDEO_JOB, subject_id=video.id, payload={"video_id": video.id})
            session.add(job)
            session.flush()
            video.job_id = job.id
            spend.hold(session, job_id=job.id, user_id=user_id, project_id=request.project_id, estimate_usd=estimate)
            video_id, job_id = video.id, job.id
    services.queue.enqueue(job_id)
    return video_id


def _check_who(session, request: VideoRequest, user_id: str) -> None:  # type: ignore[no-untyped-def]
    """Exactly one face: a catalog actor, or an own avatar this user may use here."""
    if bool(request.actor_id) == bool(request.avatar_id):
        raise ValidationError("Pick a catalog actor or one of your avatars.")
    if request.avatar_id:
        talking.check_usable(session, request.avatar_id, request.project_id, user_id)
        if request.variant_id:  # saved variants are drawn from catalog actors only
            raise ValidationError("Saved variants belong to catalog actors; for an avatar, describe a new setting.")
    elif session.get(Actor, request.actor_id) is None:
        raise NotFound("That actor is not in the catalog.")


def _link_version(session, video: VideoAsset, parent_id: str | None) -> None:  # type: ignore[no-untyped-def]
    if parent_id is None:
        return
    root = session.get(VideoAsset, parent_id)
    root_id = (root.parent_id or root.id) if root else parent_id
    latest = session.scalar(
        select(func.max(VideoAsset.version)).where((VideoAsset.parent_id == root_id) | (VideoAsset.id == root_id))
    )
    video.parent_id = root_id
    video.version = int(latest or 1) + 1


def _owned_video(session, video_id: str, user_id: str, need: Right) -> VideoAsset:  # type: ignore[no-untyped-def]
    video = session.get(VideoAsset, video_id)
    if video is None:
        raise NotFound("That video no longer exists.")
    project_with_right(session, video.project_id, user_id, need)
    return video


def regenerate_video(video_id: str, *, user_id: str, services: Services) -> str:
    """A new version with the same inputs, linked to the original."""
    with services.db.session(user_id=user_id) as session:
        video = _owned_video(session, video_id, user_id, Right.EDIT)
        if not (video.actor_id or video.avatar_id):
            raise NotFound("The avatar of this video was deleted. Make a new video with another actor or avatar.")
        request = VideoRequest(
            project_id=video.project_id,
            actor_id=video.actor_id,
            avatar_id=video.avatar_id,
            script=video.source_text,
            audio_key=video.source_audio_key,
            variant_id=video.variant_id,
            image_prompt=video.image_prompt,
            seed=video.seed + 1,
            audio_seconds=video.duration_s,
        )
    return create_video(request, user_id=user_id, services=services, parent_id=video_id)


def cancel_video(video_id: str, *, user_id: str, services: Services) -> None:
    with services.db.session(user_id=user_id) as session:
        video = _owned_video(session, video_id, user_id, Right.EDIT)
        job_id = video.job_id
        if job_id:
            job = session.get(Job, job_id)
            if job is not None:
                job.cancel_requested = True
    if job_id:
        services.queue.enqueue(job_id)


def delete_video(video_id: str, *, user_id: str, services: Services) -> int:
    """Delete the row and its stored files; a job still in flight is cancelled, never resurrected."""
    with services.db.session(user_id=user_id) as session:
        video = _owned_video(session, video_id, user_id, Right.EDIT)
        audit.record(
            session,
            "video.deleted",
            actor_id=user_id,
            project_id=video.project_id,
            subject=(video.source_text or "recorded audio")[:80],
            detail={"video_id": video.id},
        )
        keys = owned_keys(video)
        if video.source_audio_key and _audio_shared(session, video):
            keys.discard(video.source_audio_key)
        cancel_jobs(session, [video.job_id] if video.job_id else [])
        session.delete(video)
    return remove_files(services, keys)


def _audio_shared(session, video: VideoAsset) -> bool:  # type: ignore[no-untyped-def]
    """Regenerated versions reuse the uploaded recording; keep it while another version needs it."""
    others = session.scalar(
        select(func.count())
        .select_from(VideoAsset)
        .where(VideoAsset.source_audio_key == video.source_audio_key, VideoAsset.id != video.id)
    )
    return bool(others)
