"""init -> image_edit? -> tts? -> lip_sync_plan -> lip_sync, lip_sync_2..N? -> lip_sync_join? -> finalize,
for one video asset.

A lip-sync render may take only so much speech (fal InfiniTalk: about 28.8 s), so the plan
cuts longer speech into even chunks (`core.ports.lipsync_chunks`) and each chunk is its own
durable paid step: submitted once, its request id saved before anything else, polled and
collected, adoptable after a lost answer like any other submission. `lip_sync` is the first
chunk (or the whole speech, as it always was); the free join step puts the chunks together
by stream copy, each trimmed to its speech. A plan is pinned in its step's output, so a
resumed job renders the chunks it planned.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.adapters.db.models.jobs import Job, JobStep
from core.adapters.db.models.talking import Actor, ActorImageVariant, VideoAsset
from core.domain.text import speakable
from core.domain.types import ErrorInfo, MediaKind, StepStatus, VideoStatus, Voice
from core.errors import JobCancelled, NotFound, ValidationError
from core.ports import ImageEditRequest, LipSyncRequest, SpeechRequest, lipsync_chunks
from core.ports_services import Services
from core.services.avatars import talking
from jobs.context import StepContext
from jobs.pipeline import Pipeline, Step, register
from jobs.pipelines.common import actor_voice, delete_keys, error_dict, ffmpeg_toolkit, stored_keys_of

KIND = "talking_video"
MAX_LIPSYNC_CHUNKS = 4  # steps in the pipeline: 112 s of speech on fal, room above speech_max_seconds (60 s)
CHUNK_STEPS = ("lip_sync", *(f"lip_sync_{n}" for n in range(2, MAX_LIPSYNC_CHUNKS + 1)))
PLAN_STEP, JOIN_STEP = "lip_sync_plan", "lip_sync_join"


def _video(ctx: StepContext, session: Session) -> VideoAsset:
    video = session.get(VideoAsset, ctx.payload["video_id"])
    if video is None:
        raise JobCancelled("The video was deleted.")
    return video


def init(ctx: StepContext) -> dict[str, Any]:
    """Pin down the inputs once, so later steps (and resumed runs) read the same ones."""
    with ctx.services.db.session() as session:
        video = _video(ctx, session)
        avatar_id, owner_id, actor_id = video.avatar_id, video.owner_id, video.actor_id
    if avatar_id:
        return _own_avatar_inputs(ctx, avatar_id, owner_id)
    if actor_id is None:  # its avatar was deleted (SET NULL) before the job ran
        raise NotFound("The avatar of this video was deleted before the video was made.")
    with ctx.services.db.session() as session:
        video = _video(ctx, session)
        actor = session.get(Actor, video.actor_id)
        assert actor is not None
        voice = actor_voice(actor)
        return {
            "actor_image_key": actor.image_key,
            "image_key": video.image_key or actor.image_key,
            "image_prompt": video.image_prompt if not video.variant_id else None,
            "script": video.source_text,
            "source_audio_key": video.source_audio_key,
            "voice": {
                "voice_id": voice.voice_id,
                "language": voice.language,
                "rate_wpm": voice.rate_wpm,
                "pitch": voice.pitch,
                "voices": voice.voices,
            },
            "seed": video.seed,
        }


def _own_avatar_inputs(ctx: StepContext, avatar_id: str, owner_id: str) -> dict[str, Any]:
    """An own avatar (rights checked again, as the video's owner): the video keeps its own copy of
    the front photo, so deleting the avatar later leaves the video whole."""
    twin = talking.talking_inputs(avatar_id, user_id=owner_id, services=ctx.services)
    face_key = ctx.store(MediaKind.IMAGE, ctx.fetch(twin.face_key), label="face", content_type="image/png")
    with ctx.services.db.session() as session:
        video = _video(ctx, session)
        return {
            "actor_image_key": face_key,
            "image_key": face_key,
            "reference_keys": list(twin.reference_keys),
            "image_prompt": video.image_prompt,
            "script": video.source_text,
            "source_audio_key": video.source_audio_key,
            "voice": twin.voice,
            "seed": video.seed,
        }


def image_edit(ctx: StepContext) -> dict[str, Any]:
    inputs = ctx.output_of("init")
    if not inputs.get("image_prompt"):
        return ctx.skipped()
    request = ImageEditRequest(
        image=ctx.fetch(inputs["actor_image_key"]),
        prompt=inputs["image_prompt"],
        seed=inputs["seed"],
        references=tuple(ctx.fetch(key) for key in inputs.get("reference_keys") or ()),
    )
    image = ctx.call_provider("image_edit", request)
    key = ctx.store(MediaKind.IMAGE, image.path, label="image", content_type=image.content_type)
    provider = ctx.services.providers_for(ctx.owner_id).image_edit.name
    with ctx.services.db.session() as session:
        video = _video(ctx, session)
        # A resumed run must not save the variant twice; an own avatar's setting is the video's alone.
        if video.variant_id is None and video.actor_id:
            variant = ActorImageVariant(
                owner_id=video.owner_id,
                project_id=video.project_id,
                actor_id=video.actor_id,
                prompt=inputs["image_prompt"],
                seed=inputs["seed"],
                image_key=key,
                provider=provider,
                status="ready",
                job_id=ctx.job_id,
            )
            session.add(variant)
            session.flush()
            video.variant_id = variant.id
        video.image_key = key
        return {"image_key": key, "variant_id": video.variant_id}


def tts(ctx: StepContext) -> dict[str, Any]:
    inputs = ctx.output_of("init")
    if not inputs.get("script"):
        clip_path = ctx.fetch(inputs["source_audio_key"])
        info = ctx.services.media.probe(clip_path)
        return {"skipped": True, "audio_key": inputs["source_audio_key"], "duration_s": info.duration_s}
    # Emoji are not read aloud (and were not counted in the estimate).
    request = SpeechRequest(text=speakable(inputs["script"]), voice=Voice(**inputs["voice"]), seed=inputs["seed"])
    clip = ctx.call_provider("speech", request)
    key = ctx.store(MediaKind.AUDIO, clip.path, label="speech", content_type=clip.content_type)
    return {"audio_key": key, "duration_s": clip.duration_s}


def lip_sync_plan(ctx: StepContext) -> dict[str, Any]:
    """The chunks every lip-syncer this owner's chain may use renders whole (a fallback may take any)."""
    seconds = float(ctx.output_of("tts")["duration_s"])
    chain = [choice.provider for choice in ctx.services.providers_for(ctx.owner_id).chain("lipsync")]
    chunks = lipsync_chunks(chain, seconds)
    if len(chunks) > MAX_LIPSYNC_CHUNKS:  # before anything is paid
        raise ValidationError(
            f"The speech is {seconds:.0f} s, longer than the lip-sync in use makes in one video. Shorten it a little."
        )
    return {"chunks": [[start, length] for start, length in chunks]}


def _chunks(ctx: StepContext) -> list[tuple[float, float]]:
    return [(float(start), float(length)) for start, length in ctx.output_of(PLAN_STEP)["chunks"]]


def _chunk_step(number: int) -> Any:
    def lip_sync_chunk(ctx: StepContext) -> dict[str, Any]:
        chunks = _chunks(ctx)
        if number > len(chunks):
            return ctx.skipped()
        return _render_chunk(ctx, chunks, number)

    return lip_sync_chunk


def _render_chunk(ctx: StepContext, chunks: list[tuple[float, float]], number: int) -> dict[str, Any]:
    """One paid render (ctx.call_provider: paid at most once, its request id saved first)."""
    inputs, audio = ctx.output_of("init"), ctx.output_of("tts")
    image_key = ctx.output_of("image_edit").get("image_key") or inputs["image_key"]
    speech = ctx.fetch(audio["audio_key"])
    start, length = chunks[number - 1]
    if len(chunks) > 1:  # cut again on a resumed pass: the same plan gives the same piece
        piece = ctx.work_dir / ctx.step_name / "speech.wav"
        speech = ffmpeg_toolkit(ctx).cut_audio(speech, piece, start_s=start, length_s=length)
    settings = ctx.services.settings
    request = LipSyncRequest(
        image=ctx.fetch(image_key),
        audio=speech,
        audio_duration_s=length,
        seed=inputs["seed"],
        width=settings.video_width,
        height=settings.video_height,
    )
    video = ctx.call_provider("lipsync", request)
    key = ctx.store(MediaKind.VIDEO, video.path, label="video", content_type="video/mp4")
    return {"video_key": key, "duration_s": video.duration_s, "width": video.width, "height": video.height}


def lip_sync_join(ctx: StepContext) -> dict[str, Any]:
    """Free: the chunks joined without a re-encode, each trimmed to its speech (a render runs a
    few frames past it)."""
    chunks = _chunks(ctx)
    if len(chunks) == 1:
        return ctx.skipped()
    parts = [ctx.fetch(ctx.output_of(name)["video_key"]) for name in CHUNK_STEPS[: len(chunks)]]
    joined = ffmpeg_toolkit(ctx).concat(
        parts, ctx.work_dir / JOIN_STEP / "joined.mp4", outpoints=[length for _start, length in chunks]
    )
    key = ctx.store(MediaKind.VIDEO, joined.path, label="video", content_type="video/mp4")
    return {"video_key": key, "duration_s": joined.duration_s, "width": joined.width, "height": joined.height}


def _synced(ctx: StepContext) -> dict[str, Any]:
    joined = ctx.output_of(JOIN_STEP)
    return ctx.output_of("lip_sync") if not joined or joined.get("skipped") else joined


def finalize(ctx: StepContext) -> dict[str, Any]:
    synced = _synced(ctx)
    poster = ctx.services.media.poster_frame(ctx.fetch(synced["video_key"]), ctx.work_dir / "poster.jpg")
    poster_key = ctx.store(MediaKind.IMAGE, poster.path, label="poster", content_type=poster.content_type)
    audio = ctx.output_of("tts")
    image_key = ctx.output_of("image_edit").get("image_key") or ctx.output_of("init")["image_key"]
    with ctx.services.db.session() as session:
        video = _video(ctx, session)
        video.video_key = synced["video_key"]
        video.poster_key = poster_key
        video.duration_s = float(synced["duration_s"])
        video.audio_key = None if audio.get("skipped") else audio["audio_key"]
        video.image_key = image_key
    return {"poster_key": poster_key}


# --------------------------------------------------------------------------- hooks


def _subject(session: Session, job: Job) -> VideoAsset | None:
    return session.get(VideoAsset, job.subject_id) if job.subject_id else None


def on_started(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    if video := _subject(session, job):
        video.status = VideoStatus.GENERATING.value


def _joined_chunks(session: Session, job_id: str) -> set[str]:
    """The chunk clips a join replaced: only the joined video is kept."""
    rows = session.execute(
        select(JobStep.name, JobStep.output).where(
            JobStep.job_id == job_id,
            JobStep.status == StepStatus.COMPLETED.value,
            JobStep.name.in_((JOIN_STEP, *CHUNK_STEPS)),
        )
    ).all()
    outputs = {name: output or {} for name, output in rows}
    if not outputs.get(JOIN_STEP, {}).get("video_key"):
        return set()
    return {output["video_key"] for name, output in outputs.items() if name != JOIN_STEP and output.get("video_key")}


def on_completed(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    if video := _subject(session, job):
        video.status = VideoStatus.COMPLETED.value
        video.error = None
    delete_keys(services, _joined_chunks(session, job.id))


def on_failed(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    if video := _subject(session, job):
        video.status = VideoStatus.FAILED.value
        video.error = error_dict(error)  # inputs stay on the row, so Retry needs no retyping


def on_cancelled(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    video = _subject(session, job)
    if video is not None:
        video.status = VideoStatus.CANCELLED.value
        return
    # The video was deleted while the job ran: remove whatever the job stored since.
    delete_keys(services, stored_keys_of(session, job.id))


PIPELINE = register(
    Pipeline(
        kind=KIND,
        steps=(
            Step("init", init, weight=0.2),
            Step("image_edit", image_edit, weight=1.0),
            Step("tts", tts, weight=1.0),
            # Weightless around `lip_sync`: a video of one render moves its progress bar as it always did.
            Step(PLAN_STEP, lip_sync_plan, weight=0.0),
            Step("lip_sync", _chunk_step(1), weight=3.0),
            *(Step(name, _chunk_step(n), weight=0.0) for n, name in enumerate(CHUNK_STEPS[1:], 2)),
            Step(JOIN_STEP, lip_sync_join, weight=0.0),
            Step("finalize", finalize, weight=0.5),
        ),
        on_started=on_started,
        on_completed=on_completed,
        on_failed=on_failed,
        on_cancelled=on_cancelled,
    )
)
