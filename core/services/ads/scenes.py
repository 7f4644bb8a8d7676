"""Scenes of an ad's script: read them with their assets, edit one, reset edits, pick a frame.

An edit bumps the scene's revision and changes its prompts, hence its assets'
fingerprints: only that scene is drawn, animated or voiced again. Everything else keeps
its finished assets.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.adapters.db.models.ads import Ad, AdAsset, AdAvatar, AdScene
from core.adapters.db.models.jobs import JobStep
from core.config import Settings
from core.domain.ad_views import AssetView, SceneView
from core.domain.ads import AssetKind, AssetStatus
from core.domain.types import StepStatus
from core.errors import NotFound, ValidationError
from core.ports_services import Services
from core.services.accounts.access import Right
from core.services.ads import assets, continuity, pacing, parse
from core.services.ads.wizard import ad_with_right, scenes_of
from core.services.safety import content_guard

logger = logging.getLogger(__name__)

EDITABLE = (
    "dialogue",
    "action",
    "expression",
    "camera",
    "lighting",
    "product_visibility",
    "product_action",
    "setting",
    "duration_seconds",
    "scene_type",
)


def asset_view(asset: AdAsset | None, made_by: dict[str, str] | None = None) -> AssetView | None:
    if asset is None:
        return None
    return AssetView(
        asset.id,
        AssetKind(asset.kind),
        AssetStatus(asset.status),
        asset.variant,
        asset.attempt,
        asset.media_key,
        asset.duration_s,
        asset.score,
        (asset.error or {}).get("message"),
        asset.job_id,
        (made_by or {}).get(asset.job_id or "", ""),
        (asset.error or {}).get("code"),
    )


def _made_by(session: Session, ad_id: str) -> dict[str, str]:
    """job id -> the provider whose render step completed it, for the ad's assets."""
    rows = session.execute(
        select(JobStep.job_id, JobStep.provider)
        .join(AdAsset, AdAsset.job_id == JobStep.job_id)
        .where(AdAsset.ad_id == ad_id, JobStep.name == "render", JobStep.status == StepStatus.COMPLETED.value)
    ).all()
    return {job_id: provider for job_id, provider in rows if provider}


def _single(
    session: Session, scene_id: str, kind: AssetKind, inputs: dict[str, Any] | None, made_by: dict[str, str]
) -> AssetView | None:
    if inputs is None:
        return None
    found = assets.assets_for(session, scene_id, kind, assets.fingerprint(kind, inputs))
    return asset_view(found[0], made_by) if found else None


def scene_views(session: Session, ad: Ad, settings: Settings) -> list[SceneView]:
    ctx = assets.load_context(session, ad, settings)
    views = []
    made_by = _made_by(session, ad.id)
    for scene in scenes_of(session, ad.id):
        script = assets.script_of(ctx, scene)
        frames = [v for f in assets.current_frames(session, ctx, scene) if (v := asset_view(f, made_by))]
        frame = assets.chosen_frame(session, ctx, scene, approved=False)
        approved = assets.chosen_frame(session, ctx, scene, approved=True)  # stale approvals do not count
        selected = scene.selected_frame_id if scene.selected_frame_id in {f.id for f in frames} else None
        clip = _single(
            session,
            scene.id,
            AssetKind.CLIP,
            assets.clip_inputs(session, ctx, scene, frame) if frame else None,
            made_by,
        )
        audio = _single(session, scene.id, AssetKind.AUDIO, assets.audio_inputs(ctx, scene), made_by)
        views.append(
            SceneView(
                id=scene.id,
                number=scene.number,
                script=script,
                edited=scene.edited,
                revision=scene.revision,
                prompts=assets.prompts_of(ctx, scene),
                frames=frames,
                selected_frame_id=selected,
                approved_frame_id=approved.id if approved else None,
                clip=clip,
                audio=audio,
                max_words=parse.max_words(script.duration_s, ctx.wpm, ctx.per_8s),
            )
        )
    return views


def scene_with_right(session: Session, scene_id: str, user_id: str, need: Right) -> tuple[AdScene, Ad]:
    scene = session.get(AdScene, scene_id)
    if scene is None:
        raise NotFound("That scene no longer exists.")
    return scene, ad_with_right(session, scene.ad_id, user_id, need)


def _merged(spec: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"These scene fields cannot be edited: {', '.join(sorted(unknown))}.")
    merged = dict(spec)
    for key, value in changes.items():
        merged[key] = {**(spec.get(key) or {}), **value} if key in ("camera", "lighting") else value
    return merged


def edit_scene(scene_id: str, changes: dict[str, Any], *, user_id: str, services: Services) -> bool:
    """Apply a creator's edit; returns False when nothing actually changed. Invalid edits store nothing."""
    settings = services.settings
    longest = continuity.scene_bound(services, user_id, assets.CLIP_HANDLE_S)  # outside: it reads user keys
    with services.db.session(user_id=user_id) as session:
        scene, ad = scene_with_right(session, scene_id, user_id, Right.EDIT)
        merged = _merged(scene.spec, changes)
        if merged == scene.spec:
            return False
        avatar = session.get(AdAvatar, ad.avatar_id) if ad.avatar_id else None
        rules = pacing.pace(settings, avatar.voice if avatar else None)  # as the writer and the view count
        parsed = parse.scene(
            merged, scene.number, wpm=rules.words_per_minute, per_8s=rules.max_words_per_8s, max_s=longest
        )
        content_guard.check_texts(settings, dialogue=parsed.dialogue, action=parsed.action)
        scene.spec = parse.canonical(parsed)
        scene.edited = scene.spec != scene.original
        scene.revision += 1  # an approval stays valid only while the frame's fingerprint is unchanged
        return True


def reset_scene(scene_id: str, *, user_id: str, services: Services) -> None:
    """Back to the writer's version; its finished assets (if any) are found again."""
    with services.db.session(user_id=user_id) as session:
        scene, _ad = scene_with_right(session, scene_id, user_id, Right.EDIT)
        if not scene.edited:
            return
        scene.spec, scene.edited = dict(scene.original), False
        scene.revision += 1


def reset_all_scenes(ad_id: str, *, user_id: str, services: Services) -> list[int]:
    """Every edited scene back to the writer's version (the spec's "reset all edits"); returns their numbers."""
    with services.db.session(user_id=user_id) as session:
        ad = ad_with_right(session, ad_id, user_id, Right.EDIT)
        edited = [s for s in scenes_of(session, ad.id) if s.edited]
        for scene in edited:
            scene.spec, scene.edited = dict(scene.original), False
            scene.revision += 1
        return [s.number for s in edited]
