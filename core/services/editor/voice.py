"""The editor's voice: a voice line said again with new words (same voice), and the captions
rebuilt from the voice lines' words and timing.

Saying a line again goes through the studio's speech port as a durable job step, the same call
an ad's voice lines and a talking video's speech make (`ctx.call_provider("speech", ...)`): a
cloud voice is paid, so the job is admitted against the ceilings with its estimate held and the
call lands in the ledger at most once; a lost answer fails the job as "possibly charged" and is
never sent again by itself. When the new line is ready the job saves it as the next version of
the edit (undo brings the old line back); any failure leaves the edit as it was.

Captions follow the voice as post-production makes them: each line's words, chunked, timed to
where the speech is inside the line (core.adapters.media.voice_timing).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.adapters.db.models.ads import Ad, AdAsset, AdAvatar, AdOutput
from core.adapters.db.models.editor import Edit, EditVersion
from core.adapters.db.models.jobs import Job, JobStep
from core.adapters.db.models.talking import Actor, VideoAsset
from core.adapters.media.captions import chunk_line
from core.adapters.media.voice_timing import Speech, speech_of
from core.domain.edit import (
    AudioItem,
    CaptionItem,
    EditDoc,
    clean_caption_text,
    clean_line_text,
    replace_voice_line,
    set_captions,
    voice_item,
)
from core.domain.types import ACTIVE_JOB_STATUS_VALUES
from core.domain.voices import voices_for_actor
from core.errors import NotFound, ValidationError
from core.ports_services import Services
from core.services.accounts import audit
from core.services.accounts.access import Right, project_with_right
from core.services.ads.assets import DEFAULT_VOICE
from core.services.editor import edits
from core.services.editor.renders import fetch_sources
from core.services.editor.sources import short_id
from core.services.safety import content_guard
from core.services.talking.videos import spoken_seconds, validate_script
from core.services.usage import estimates, spend

VOICE_JOB = "edit_voice"
MAY_HAVE_STARTED = "provider_may_have_started"


@dataclass(frozen=True, slots=True)
class LineJob:
    """A voice line being said again (or said, or refused) for an edit."""

    id: str
    item_id: str
    text: str
    status: str
    estimate_usd: float
    error: str | None
    possibly_charged: bool
    created_at: datetime


# --------------------------------------------------------------------------- words and timing


def line_captions(item: AudioItem, speech: Speech) -> list[CaptionItem]:
    """The line's words in short captions over its speech on the timeline (as post-production
    times them); a line with no speech found is captioned over its whole length."""
    if not item.text:
        return []
    start = item.start_s + max(0.0, speech.start_s - item.in_s)
    end = item.start_s + min(item.out_s, speech.end_s) - item.in_s
    if speech.length_s <= 0 or end - start < 0.2:
        start, end = item.start_s, item.start_s + item.length_s
    out = []
    for cap in chunk_line(item.text, start, end - start):
        try:
            text = clean_caption_text(cap.text)
        except ValidationError:
            continue
        if cap.end_s - cap.start_s >= 0.1:
            out.append(CaptionItem(short_id(), round(cap.start_s, 3), round(cap.end_s, 3), text))
    return out


def captions_from_voice(edit_id: str, *, base_version: int, user_id: str, services: Services) -> edits.EditView:
    """One action: the caption track rebuilt from every voice line's words and speech timing,
    the caption style kept; saved as the next version (undoable)."""
    view = edits.get_edit(edit_id, user_id=user_id, services=services)
    if not view.can_edit:
        raise ValidationError("As a viewer of this project you cannot change its edits.")
    spoken = [item for item in view.document.voice.items if item.text]
    if not spoken:
        raise ValidationError("The voice lines have no words to make captions from; nothing was changed.")
    files = fetch_sources(EditDoc(clips=(), voice=view.document.voice), services)
    timings = {item.id: speech_of(files[item.source_key]) for item in spoken}

    def rebuild(doc: EditDoc) -> EditDoc:
        captions: list[CaptionItem] = []
        for item in doc.voice.items:
            if item.id in timings:
                captions += line_captions(item, timings[item.id])
        return set_captions(doc, captions)

    return edits.change(
        edit_id,
        "Captions from the voice timing",
        rebuild,
        base_version=base_version,
        user_id=user_id,
        services=services,
    )


# --------------------------------------------------------------------------- saying a line again


def estimate_line(text: str, *, user_id: str, services: Services) -> float:
    """What saying these words costs with the voice in use (0 offline), shown before the click."""
    seconds = spoken_seconds(text, services.settings.words_per_minute)
    return estimates.speech_cost(seconds, services=services, user_id=user_id)


def _voice_dict(voice: dict[str, Any]) -> dict[str, Any]:
    keys = ("voice_id", "language", "rate_wpm", "pitch", "voices")
    return {k: voice[k] for k in keys if k in voice}


def _ad_voice(session: Session, edit: Edit, item: AudioItem) -> dict[str, Any]:
    """The voice the ad's lines were said with (this line's own asset first)."""
    output = session.get(AdOutput, edit.source_id)
    ad = session.get(Ad, output.ad_id) if output is not None else None
    if ad is None:
        raise NotFound("The ad of this edit no longer exists.")
    lines = session.scalars(select(AdAsset).where(AdAsset.ad_id == ad.id, AdAsset.kind == "audio")).all()
    for asset in sorted(lines, key=lambda a: a.media_key != item.source_key):
        if (asset.inputs or {}).get("voice"):
            return _voice_dict(dict(asset.inputs["voice"]))
    avatar = session.get(AdAvatar, ad.avatar_id) if ad.avatar_id else None
    return _voice_dict(dict(avatar.voice or DEFAULT_VOICE) if avatar is not None else dict(DEFAULT_VOICE))


def _video_voice(session: Session, edit: Edit) -> dict[str, Any]:
    """The voice the talking video spoke with (pinned by its job's first step), else its actor's."""
    video = session.get(VideoAsset, edit.source_id)
    if video is None:
        raise NotFound("The video of this edit no longer exists.")
    root = session.get(VideoAsset, video.parent_id) if video.parent_id else video
    for candidate in (video, root):
        if candidate is not None and candidate.job_id:
            init = session.scalar(
                select(JobStep.output).where(JobStep.job_id == candidate.job_id, JobStep.name == "init")
            )
            if init and init.get("voice"):
                return _voice_dict(dict(init["voice"]))
    actor = session.get(Actor, video.actor_id) if video.actor_id else None
    if actor is None:
        raise ValidationError("The voice of this video is not known, so its line cannot be said again.")
    return {
        "voice_id": actor.voice_id,
        "language": actor.voice_language,
        "rate_wpm": actor.voice_rate_wpm,
        "pitch": actor.voice_pitch,
        "voices": voices_for_actor(actor.key),
    }


def _busy(session: Session, edit_id: str, item_id: str) -> bool:
    jobs = session.scalars(
        select(Job.payload).where(
            Job.kind == VOICE_JOB, Job.subject_id == edit_id, Job.status.in_(ACTIVE_JOB_STATUS_VALUES)
        )
    )
    return any((payload or {}).get("item_id") == item_id for payload in jobs)


def start_line(edit_id: str, item_id: str, text: str, *, user_id: str, services: Services) -> str:
    """Queue the line said again with `text` (same voice); returns the job id. Refused before
    anything is created or charged: bad words, a viewer, a line gone, a ceiling reached."""
    words = clean_line_text(text)
    with services.db.session(user_id=user_id) as session:
        edit = session.get(Edit, edit_id)
        if edit is None:
            raise NotFound("That edit no longer exists.")
        project_id = edit.project_id
    with audit.refusals(services, user_id=user_id, project_id=project_id, what="voice line"):
        validate_script(words, services)
        content_guard.check_texts(services.settings, script=words)
        cost = estimate_line(words, user_id=user_id, services=services)
        with services.db.session(user_id=user_id) as session:
            edit = edits._locked(session, edit_id, user_id)
            doc = EditDoc.from_dict(edits._version(session, edit_id, edit.current_version).document)
            item = voice_item(doc, item_id)
            if words == item.text:
                raise ValidationError("The line already says these words; change them first.")
            if _busy(session, edit_id, item_id):
                raise ValidationError("This line is already being said again; wait for it to finish.")
            voice = _ad_voice(session, edit, item) if edit.source_kind == "ad_output" else _video_voice(session, edit)
            spend.admit(session, user_id=user_id, project_id=project_id, estimate_usd=cost, services=services)
            seed = int(hashlib.sha256(words.encode()).hexdigest()[:8], 16) % 2_000_000_000
            payload = {
                "edit_id": edit_id,
                "item_id": item_id,
                "label": item.label,
                "text": words,
                "voice": voice,
                "seed": seed,
                "estimate_usd": cost,
            }
            job = Job(owner_id=user_id, kind=VOICE_JOB, subject_id=edit_id, payload=payload)
            session.add(job)
            session.flush()
            spend.hold(session, job_id=job.id, user_id=user_id, project_id=project_id, estimate_usd=cost)
            audit.record(
                session,
                "edit.voice_line",
                actor_id=user_id,
                project_id=project_id,
                subject="edit",
                detail={"edit_id": edit_id, "item_id": item_id, "estimate_usd": cost, "chars": len(words)},
            )
            job_id = job.id
    services.queue.enqueue(job_id)
    return job_id


def line_to_say(payload: dict[str, Any], *, user_id: str, services: Services) -> AudioItem:
    """The queued job's line, still in the edit's current version; refused (as `voice_item` says)
    when it was removed meanwhile, before its words are paid for: they could go nowhere."""
    doc = edits.get_edit(payload["edit_id"], user_id=user_id, services=services).document
    return voice_item(doc, payload["item_id"])


def version_holding(session: Session, edit_id: str, key: str) -> int | None:
    """The version of the edit that holds this audio (a resumed job saves it once; a failed job's
    audio that a version holds is the edit's now, not the job's to remove)."""
    rows = session.scalars(select(EditVersion).where(EditVersion.edit_id == edit_id))
    for row in rows:
        if any(i.get("source_key") == key for i in (row.document.get("voice") or {}).get("items", ())):
            return row.version
    return None


def apply_line(payload: dict[str, Any], spoken: dict[str, Any], *, user_id: str, services: Services) -> int:
    """The new line in the edit, as the next version of whatever version is current now: it takes
    the old line's place on the timeline, and the captions over the old line are re-timed to the
    new speech. Returns the version holding it."""
    edit_id, key = payload["edit_id"], spoken["audio_key"]
    with services.db.session(user_id=user_id) as session:
        done = version_holding(session, edit_id, key)
    if done is not None:
        return done
    length = float(spoken["duration_s"])
    speech = Speech(float(spoken["speech_start_s"]), float(spoken["speech_end_s"]), length)

    def say_again(doc: EditDoc) -> EditDoc:
        old = voice_item(doc, payload["item_id"])
        new = replace(old, source_key=key, source_s=length, in_s=0.0, out_s=length, text=payload["text"])
        return replace_voice_line(doc, old.id, new, line_captions(new, speech))

    action = f"New words for {payload.get('label') or 'a voice line'}"
    view = edits.change(edit_id, action, say_again, base_version=None, user_id=user_id, services=services)
    return view.version


def line_jobs(edit_id: str, *, user_id: str, services: Services, limit: int = 5) -> list[LineJob]:
    """The edit's latest voice-line jobs, newest first (viewers of the project see them too)."""
    with services.db.session(user_id=user_id) as session:
        edit = session.get(Edit, edit_id)
        if edit is None:
            raise NotFound("That edit no longer exists.")
        project_with_right(session, edit.project_id, user_id, Right.VIEW)
    with services.db.session() as session:  # the right was checked above; jobs belong to their owners
        rows = session.scalars(
            select(Job)
            .where(Job.kind == VOICE_JOB, Job.subject_id == edit_id)
            .order_by(Job.created_at.desc())
            .limit(limit)
        ).all()
        return [
            LineJob(
                row.id,
                str(row.payload.get("item_id", "")),
                str(row.payload.get("text", "")),
                row.status,
                float(row.payload.get("estimate_usd") or 0.0),
                (row.error or {}).get("message"),
                (row.error or {}).get("code") == MAY_HAVE_STARTED,
                row.created_at,
            )
            for row in rows
        ]
