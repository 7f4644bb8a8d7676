"""What an edit starts from: a finished ad (its scene clips, voice lines and captions, timed as
post-production placed them, plus a music bed) or a talking video (its clip and its voice).

The ad's own job recorded where each clip was trimmed, how long it ran, where each voice line
started and which transition led into it; the first version of the edit is that cut, so opening
the editor and exporting without a change gives the same ad again, from the same sources.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.adapters.db.models.ads import Ad, AdAsset, AdOutput
from core.adapters.db.models.jobs import JobStep
from core.adapters.db.models.talking import VideoAsset
from core.adapters.media.music import BPM, write_music_bed
from core.domain.edit import (
    MIN_CLIP_S,
    AudioItem,
    AudioTrack,
    CaptionItem,
    EditDoc,
    VideoClip,
    clean_caption_text,
    total_s,
    validate,
)
from core.domain.types import MediaKind
from core.errors import NotFound, ValidationError
from core.ports_services import Services
from core.services.accounts.access import Right, project_with_right
from core.services.ads.wizard import scenes_of
from core.services.scratch import scratch_dir

SOURCE_KINDS = ("ad_output", "video")
FADE_NAMES = {"dissolve": "dissolve", "crossfade": "fade", "dip_to_black": "fade to black"}


@dataclass(frozen=True, slots=True)
class Source:
    kind: str  # ad_output | video
    id: str
    project_id: str
    title: str


def short_id() -> str:
    return uuid.uuid4().hex[:10]


def find_source(session: Session, kind: str, source_id: str, user_id: str, need: Right) -> Source:
    if kind == "ad_output":
        row = session.get(AdOutput, source_id)
        ad = session.get(Ad, row.ad_id) if row is not None else None
        if row is None or ad is None or row.status != "ready" or not row.video_key:
            raise NotFound("That ad is not finished or no longer exists.")
        project_with_right(session, ad.project_id, user_id, need)
        return Source(kind, row.id, ad.project_id, f"{ad.title or ad.product_name or 'Ad'} {row.aspect}")
    if kind == "video":
        video = session.get(VideoAsset, source_id)
        if video is None or video.status != "completed" or not video.video_key:
            raise NotFound("That video is not finished or no longer exists.")
        project_with_right(session, video.project_id, user_id, need)
        return Source(kind, video.id, video.project_id, f"Talking video {video.created_at:%d %b %H:%M}")
    raise ValidationError("The editor opens finished ads and talking videos.")


def _step_outputs(session: Session, job_id: str | None) -> dict[str, dict[str, Any]]:
    if not job_id:
        return {}
    rows = session.scalars(
        select(JobStep).where(JobStep.job_id == job_id, JobStep.status == "completed").order_by(JobStep.started_at)
    )
    return {row.name: dict(row.output or {}) for row in rows}


def _timeline_of(outputs: dict[str, dict[str, Any]], aspect: str) -> dict[str, Any]:
    for out in (outputs.get("post_production") or {}).get("outputs", []):
        if out.get("aspect") == aspect:
            return dict(out.get("timeline") or {})
    return {}


def _at(values: list[Any] | None, index: int, default: float) -> float:
    return float(values[index]) if values and index < len(values) else default


def _ad_assets(session: Session, ad: Ad, outputs: dict[str, dict[str, Any]], kind: str, step: str) -> list:  # type: ignore[type-arg]
    """Per scene, the asset the ad's job used (else the newest ready one)."""
    chosen = (outputs.get(step) or {}).get("clips" if kind == "clip" else "voices", {})
    found = []
    for scene in scenes_of(session, ad.id):
        asset = session.get(AdAsset, chosen[str(scene.number)]) if str(scene.number) in chosen else None
        if asset is None:
            asset = session.scalars(
                select(AdAsset)
                .where(AdAsset.scene_id == scene.id, AdAsset.kind == kind, AdAsset.status == "ready")
                .order_by(AdAsset.updated_at.desc())
            ).first()
        found.append(asset if asset is not None and asset.media_key else None)
    return found


def _ad_clips(clips: list[AdAsset | None], timeline: dict[str, Any], transition: str) -> list[VideoClip]:
    out, fades = [], timeline.get("fades")
    for index, asset in enumerate(a for a in clips if a is not None):
        length = float(asset.duration_s or 0.0)
        if length < MIN_CLIP_S:
            continue
        trim = min(_at(timeline.get("trims"), index, 0.0), max(0.0, length - MIN_CLIP_S))
        slot = _at(timeline.get("slots"), index, length - trim)
        fade = _at(fades, index, 0.0) if index else 0.0
        name = FADE_NAMES.get(transition, "dissolve") if fade > 0 else "cut"
        out.append(
            VideoClip(
                short_id(),
                asset.media_key or "",
                length,
                trim,
                min(length, trim + max(MIN_CLIP_S, slot)),
                f"Scene {index + 1}",
                transition=name,
                transition_s=fade if fade > 0 else 0.0,
            )
        )
    return out


def _ad_voices(voices: list[AdAsset | None], timeline: dict[str, Any], lines: list[str]) -> tuple[AudioItem, ...]:
    items = []
    for index, asset in enumerate(voices):
        if asset is None or not asset.duration_s:
            continue
        start = _at(timeline.get("voice_at"), index, 0.0)
        words = str((asset.inputs or {}).get("text") or (lines[index] if index < len(lines) else ""))
        items.append(
            AudioItem(
                short_id(),
                asset.media_key or "",
                asset.duration_s,
                start,
                0.0,
                asset.duration_s,
                f"Line {index + 1}",
                " ".join(words.split()),
            )
        )
    return tuple(items)


def _captions(raw: list[Any], total: float) -> tuple[CaptionItem, ...]:
    out = []
    for cap in raw or []:
        try:
            text = clean_caption_text(str(cap.get("text", "")))
        except ValidationError:
            continue
        start, end = max(0.0, float(cap["start_s"])), min(total, float(cap["end_s"]))
        if end - start >= 0.1:
            out.append(CaptionItem(short_id(), round(start, 3), round(end, 3), text))
    return tuple(out)


def _music_bed(services: Services, edit_id: str, length_s: float, seed_text: str) -> AudioItem:
    """The studio's own generated bed (as post-production makes it), stored for this edit."""
    bar_s = 4 * 60 / BPM
    length = math.ceil((length_s + 1.0) / bar_s) * bar_s
    seed = int(hashlib.sha256(seed_text.encode()).hexdigest()[:8], 16)
    with scratch_dir(services) as tmp:
        path = write_music_bed(tmp / "music.wav", length, seed=seed)
        key = services.storage.put_file(
            MediaKind.AUDIO, path, name=f"edits/{edit_id}/music-bed", content_type="audio/wav"
        )
    return AudioItem(short_id(), key, length, 0.0, 0.0, length, "Music bed")


def scratch(services: Services) -> Path:
    root = services.settings.work_dir / "editor"
    root.mkdir(parents=True, exist_ok=True)
    return root


def ad_document(session: Session, output_id: str, services: Services, edit_id: str) -> EditDoc:
    output = session.get(AdOutput, output_id)
    ad = session.get(Ad, output.ad_id) if output else None
    if output is None or ad is None:
        raise NotFound("That ad no longer exists.")
    steps = _step_outputs(session, output.job_id)
    timeline = _timeline_of(steps, output.aspect)
    options = dict(ad.options or {})
    clips = _ad_clips(
        _ad_assets(session, ad, steps, "clip", "scene_video"), timeline, options.get("transition", "auto")
    )
    if not clips:
        raise ValidationError("This ad has no scene clips left to edit.")
    aspect = output.aspect if output.aspect in ("9:16", "1:1", "16:9") else "9:16"
    total = total_s(EditDoc(tuple(clips)))
    lines = [str((scene.spec or {}).get("dialogue") or "") for scene in scenes_of(session, ad.id)]
    voices = _ad_voices(_ad_assets(session, ad, steps, "audio", "voiceover"), timeline, lines)
    music = AudioTrack(volume=0.35)
    if options.get("music", True):
        music = AudioTrack((_music_bed(services, edit_id, total, ad.id),), volume=0.35, fade_in_s=0.5, fade_out_s=1.0)
    voice = AudioTrack(tuple(v for v in voices if v.start_s < total))
    doc = EditDoc(tuple(clips), voice, music, _captions(output.captions, total), aspect=aspect)
    return validate(doc)


def video_document(session: Session, video_id: str) -> EditDoc:
    video = session.get(VideoAsset, video_id)
    if video is None or not video.video_key or not video.duration_s:
        raise NotFound("That video no longer exists.")
    length = float(video.duration_s)
    clip = VideoClip(short_id(), video.video_key, length, 0.0, length, "Talking video")
    voice: tuple[AudioItem, ...] = ()
    if video.audio_key:
        words = " ".join((video.source_text or "").split()) if video.source_type == "text" else ""
        voice = (AudioItem(short_id(), video.audio_key, length, 0.0, 0.0, length, "Voice", words),)
    return validate(EditDoc((clip,), AudioTrack(voice)))
