"""script -> scene_prompts -> storyboard -> storyboard_review -> voiceover -> scene_video
-> post_production -> quality_check -> complete, for one UGC ad.

Scenes are units: every frame, clip and voice line is its own `ugc_asset` job, keyed by a
fingerprint of its inputs. A step that needs scene assets makes sure each exists (creating
jobs only for what is missing), then waits (`WaitForProvider`, re-checked, and woken early
by each asset job's end) until none is in flight. A failed scene does not stop the others;
the step then parks the job for the creator to retry that scene alone. The review gate is
`WaitForUser`: nothing is redrawn on resume, since finished frames are found again by
fingerprint.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from core.adapters.db.models.ads import Ad, AdAsset, AdAvatar, AdScene
from core.adapters.db.models.jobs import Job
from core.domain.ads import AdStatus, AssetKind, AssetStatus
from core.domain.types import ErrorInfo
from core.errors import JobCancelled
from core.ports_services import Services
from core.services.ads import assets, rechain
from core.services.ads import script as ads_script
from core.services.ads import spend as ads_spend
from core.services.ads.wizard import scenes_of
from jobs.context import StepContext, WaitForProvider, WaitForUser
from jobs.pipeline import Pipeline, Step, register
from jobs.pipelines import ad_consistency
from jobs.pipelines.ad_finish import post_production, quality_check
from jobs.pipelines.common import error_dict

logger = logging.getLogger(__name__)

KIND = "ugc_ad"


def _ad(session: Session, ctx: StepContext) -> Ad:
    ad = session.get(Ad, ctx.payload["ad_id"])
    if ad is None:
        raise JobCancelled("The ad was deleted.")
    return ad


def _wait(ctx: StepContext, jobs: list[str]) -> None:
    assets.enqueue_all(ctx.services, jobs)
    raise WaitForProvider(ctx.services.settings.ugc_recheck_s)


def _park(ctx: StepContext, status: AdStatus, message: str, code: str | None = None) -> None:
    with ctx.services.db.session() as session:
        ad = _ad(session, ctx)
        ad.status, ad.error = status.value, {"code": code or status.value, "message": message}
    raise WaitForUser(message)


def _resume_status(ctx: StepContext) -> None:
    with ctx.services.db.session() as session:
        ad = _ad(session, ctx)
        ad.status, ad.error = AdStatus.GENERATING.value, None


def script(ctx: StepContext) -> dict[str, Any]:
    """The wizard normally wrote the script already; otherwise write it here (all or nothing)."""
    longest = ads_script.longest_scene(ctx.services, ctx.owner_id)
    with ctx.services.db.session() as session:
        ad = _ad(session, ctx)
        if scenes := scenes_of(session, ad.id):
            return {"scenes": len(scenes), "written": False}
        avatar = session.get(AdAvatar, ad.avatar_id) if ad.avatar_id else None
        context = ads_script.writer_context(ad, avatar, ctx.services, max_scene_s=longest)
    answer = ctx.call_provider("llm", ads_script.script_request(context))
    # A malformed answer fails here, storing nothing.
    pace = ads_script.context_pace(context)
    draft = ads_script.parse_script(answer.text, ctx.services, pace, max_scene_s=longest)
    ads_script.store_script(ctx.payload["ad_id"], draft, ctx.services, writer=answer.model)
    return {"scenes": len(draft.scenes), "written": True}


def scene_prompts(ctx: StepContext) -> dict[str, Any]:
    """Assemble the production bible and every scene's prompts (kept on the rows for display)."""
    with ctx.services.db.session() as session:
        ad = _ad(session, ctx)
        context = assets.load_context(session, ad, ctx.services.settings)
        scenes = scenes_of(session, ad.id)
        for scene in scenes:
            prompts = assets.prompts_of(context, scene)
            scene.prompts = {
                "storyboard_prompt": prompts.storyboard_prompt,
                "video_prompt": prompts.video_prompt,
                "negative_prompt": prompts.negative_prompt,
            }
        ad.bible = context.bible
        return {"scenes": len(scenes)}


def storyboard(ctx: StepContext) -> dict[str, Any]:
    with ctx.services.db.session() as session:
        ad = _ad(session, ctx)
        context = assets.load_context(session, ad, ctx.services.settings)
        jobs: list[str] = []
        busy, drawn = False, {}
        for scene in scenes_of(session, ad.id):
            jobs += assets.ensure_frames(session, context, scene, ctx.owner_id)
            frames = assets.current_frames(session, context, scene)
            busy = busy or any(AssetStatus(f.status).active for f in frames)
            drawn[str(scene.number)] = [f.id for f in frames if f.status == AssetStatus.READY.value]
    if jobs or busy:
        _wait(ctx, jobs)
    return {"frames": drawn}


def _review_scene(session: Session, context: assets.AdContext, scene: AdScene, owner_id: str) -> tuple[list[str], str]:
    """('jobs to run', state) with state one of approved | busy | waiting | failed."""
    jobs = assets.ensure_frames(session, context, scene, owner_id)
    frames = assets.current_frames(session, context, scene)
    if jobs or any(AssetStatus(f.status).active for f in frames):
        return jobs, "busy"
    if assets.chosen_frame(session, context, scene, approved=True) is not None:
        return [], "approved"
    best = assets.best_frame(frames)
    if best is None:
        return [], "failed"
    if scene.auto_approve:
        scene.selected_frame_id = (
            scene.selected_frame_id if scene.selected_frame_id in {f.id for f in frames} else best.id
        )
        scene.approved_frame_id, scene.auto_approve = scene.selected_frame_id, False
        return [], "approved"
    return [], "waiting"


def storyboard_review(ctx: StepContext) -> dict[str, Any]:
    """The gate: on to the clips only once every scene's frame is approved."""
    with ctx.services.db.session() as session:
        ad = _ad(session, ctx)
        context = assets.load_context(session, ad, ctx.services.settings)
        jobs, states = [], {}
        for scene in scenes_of(session, ad.id):
            scene_jobs, states[scene.number] = _review_scene(session, context, scene, ctx.owner_id)
            jobs += scene_jobs
        approved = {str(s.number): s.approved_frame_id for s in scenes_of(session, ad.id)}
    if "busy" in states.values():
        _wait(ctx, jobs)
    failed = [n for n, state in states.items() if state == "failed"]
    if failed or "waiting" in states.values():
        note = f" Scene {', '.join(map(str, failed))} could not be drawn; retry it." if failed else ""
        _park(ctx, AdStatus.REVIEW, "The storyboard is ready for your review." + note)
    _resume_status(ctx)
    return {"approved": approved}


def _scene_assets(ctx: StepContext, kind: AssetKind) -> dict[str, Any]:
    """Make sure every scene has its clip (or voice line); wait for them; park on failures, and
    to ask before a paid re-render of a chained scene whose first frame changed (rechain)."""
    prices = ads_spend.unit_prices(ctx.services, ctx.owner_id) if kind is AssetKind.CLIP else {}
    with ctx.services.db.session() as session:
        ad = _ad(session, ctx)
        context = assets.load_context(session, ad, ctx.services.settings)
        jobs, found, chained, asks = [], {}, [], {}
        for scene in scenes_of(session, ad.id):
            if kind is AssetKind.CLIP:
                frame = assets.chosen_frame(session, context, scene, approved=True)
                inputs = assets.clip_inputs(session, context, scene, frame) if frame else None
            else:
                inputs = assets.audio_inputs(context, scene)
            if inputs is None:
                continue
            if "first_frame_key" in inputs and not inputs["first_frame_key"]:
                chained.append(scene.number)  # chained: starts once the previous clip's last frame exists
                continue
            rerender = rechain.rerender_kind(session, scene, inputs, prices) if kind is AssetKind.CLIP else ""
            if rerender == "ask":
                asks[scene.id] = rechain.question(context, scene, inputs, prices)
                continue
            if rerender == "free":
                rechain.note_free(ad, scene.number)
            asset, job = assets.ensure_single(session, scene, kind, inputs, ctx.owner_id)
            jobs += [job] if job else []
            found[scene.number] = (asset.id, asset.status, (asset.error or {}).get("message"))
        if kind is AssetKind.CLIP:
            rechain.record_questions(ad, asks)
    if jobs or any(AssetStatus(status).active for _, status, _ in found.values()):
        _wait(ctx, jobs)
    failed = {n: message for n, (_, status, message) in found.items() if status == AssetStatus.FAILED.value}
    if failed:
        what = "clip" if kind is AssetKind.CLIP else "voice line"
        details = "; ".join(f"scene {n}: {m or 'failed'}" for n, m in sorted(failed.items()))
        _park(ctx, AdStatus.NEEDS_ATTENTION, f"The {what} of {len(failed)} scene(s) failed ({details}). Retry them.")
    if asks:
        _park(ctx, AdStatus.NEEDS_ATTENTION, rechain.ask_message(asks), rechain.PARKED_CODE)
    if chained:
        waiting = ", ".join(map(str, chained))
        _park(
            ctx,
            AdStatus.NEEDS_ATTENTION,
            f"Scene {waiting} starts from the previous clip's last frame, which is missing; retry the scene before it.",
        )
    _resume_status(ctx)
    return {str(n): asset_id for n, (asset_id, _, _) in found.items()}


def scene_video(ctx: StepContext) -> dict[str, Any]:
    return {"clips": _scene_assets(ctx, AssetKind.CLIP)}


def voiceover(ctx: StepContext) -> dict[str, Any]:
    return {"voices": _scene_assets(ctx, AssetKind.AUDIO)}


def complete(ctx: StepContext) -> dict[str, Any]:
    with ctx.services.db.session() as session:
        ad = _ad(session, ctx)
        ad.status, ad.wizard_step, ad.error = AdStatus.COMPLETED.value, "result", None
    return {"passed": ctx.output_of("quality_check").get("passed")}


# --------------------------------------------------------------------------- hooks


def _subject(session: Session, job: Job) -> Ad | None:
    return session.get(Ad, job.subject_id) if job.subject_id else None


def on_started(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    if ad := _subject(session, job):
        ad.status = AdStatus.GENERATING.value


def on_completed(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    if ad := _subject(session, job):
        ad.status, ad.wizard_step = AdStatus.COMPLETED.value, "result"


def on_failed(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    if ad := _subject(session, job):
        ad.status, ad.error = AdStatus.FAILED.value, error_dict(error)


def on_cancelled(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    ad = _subject(session, job)
    if ad is None:
        return
    ad.status = AdStatus.CANCELLED.value
    busy = session.query(AdAsset).filter(AdAsset.ad_id == ad.id, AdAsset.status.in_(("pending", "rendering")))
    for asset in busy:
        child = session.get(Job, asset.job_id) if asset.job_id else None
        if child is not None:
            child.cancel_requested = True


def _consistency_steps() -> tuple[Step, ...]:
    """identity_k -> regenerate_k rounds (jobs.pipelines.ad_consistency): outlier scenes made again."""

    def identity(k: int) -> Any:
        return lambda ctx: ad_consistency.identity(ctx, k)

    def regenerate(k: int) -> Any:
        return lambda ctx: ad_consistency.regenerate(ctx, k)

    return tuple(
        step
        for k in range(1, ad_consistency.ROUNDS + 1)
        for step in (
            Step(ad_consistency.identity_step(k), identity(k), weight=0.3),
            Step(ad_consistency.regenerate_step(k), regenerate(k), weight=1.0),
        )
    )


PIPELINE = register(
    Pipeline(
        kind=KIND,
        steps=(
            Step("script", script, weight=0.5),
            Step("scene_prompts", scene_prompts, weight=0.2),
            Step("storyboard", storyboard, weight=2.0),
            Step("storyboard_review", storyboard_review, weight=0.3),
            Step("voiceover", voiceover, weight=1.0),  # first: the presenter's lips follow the voice
            Step("scene_video", scene_video, weight=4.0),
            *_consistency_steps(),
            Step("post_production", post_production, weight=3.0),
            Step("quality_check", quality_check, weight=1.0),
            Step("complete", complete, weight=0.1),
        ),
        on_started=on_started,
        on_completed=on_completed,
        on_failed=on_failed,
        on_cancelled=on_cancelled,
    )
)
