"""A chained scene whose first frame changed (issue 18): when scene N's clip is made again (the
consistency check, the creator's redo or an edit), scene N+1, which started on N's old last frame,
is stale. It is made again from the new last frame, but a paid re-render only with the creator's
consent, or kept as it is if they say so (that cut then jumps); never silently.

The generation asks: the question is kept on the ad (`continuity.ASK_OPTION`, with the price) and
the job parks for the creator. `rerender_chained` (with `charge`, like "Retry (may charge again)":
a new clip admitted against the ceilings, holding its own estimate, and an audit line) or
`keep_chained` (the scene keeps the clip it has) answers and wakes the generation. A free re-render
(an offline model) needs no question; the generation makes it and says so in its notes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.adapters.db.models.ads import Ad, AdAsset, AdScene
from core.domain.ads import AdStatus, AssetKind, AssetStatus
from core.errors import ValidationError
from core.ports_services import Services
from core.services.accounts import audit
from core.services.accounts.access import Right
from core.services.ads import assets, continuity
from core.services.ads import spend as ads_spend
from core.services.ads.generation import wake_generation
from core.services.ads.scenes import scene_with_right
from core.services.ads.wizard import scenes_of

logger = logging.getLogger(__name__)

PARKED_CODE = "rechain"  # the ad's error code while the generation waits for these answers


def _without_first_frame(inputs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in inputs.items() if k != "first_frame_key"}


def stale_clip(session: Session, scene: AdScene, inputs: dict[str, Any]) -> AdAsset | None:
    """The scene's finished clip made from another first frame, everything else as `inputs` says
    (its script, frame, redo counter): the clip the scene had before the scene ahead changed."""
    first = inputs.get("first_frame_key")
    if not first:
        return None
    rows = session.scalars(
        select(AdAsset)
        .where(AdAsset.scene_id == scene.id, AdAsset.kind == AssetKind.CLIP.value)
        .where(AdAsset.status == AssetStatus.READY.value)
        .order_by(AdAsset.created_at.desc(), AdAsset.attempt.desc())
    )
    same = _without_first_frame(inputs)
    for row in rows:
        made_from = (row.inputs or {}).get("first_frame_key")
        if made_from and made_from != first and _without_first_frame(row.inputs) == same:
            return row
    return None


def is_paid(prices: ads_spend.UnitPrices) -> bool:
    """A clip costs money unless its model is priced at nothing (no price on file counts as paid)."""
    price = prices.get("image_to_video")
    return price is None or price.usd > 0


def rerender_kind(session: Session, scene: AdScene, inputs: dict[str, Any], prices: ads_spend.UnitPrices) -> str:
    """What making the scene's clip for `inputs` is: "ask" for a paid re-render of a stale chained
    clip, "free" when that re-render costs nothing, "" when it is no re-render (or made already)."""
    if assets.assets_for(session, scene.id, AssetKind.CLIP, assets.fingerprint(AssetKind.CLIP, inputs)):
        return ""  # made, being made, or consented to already
    if stale_clip(session, scene, inputs) is None:
        return ""
    return "ask" if is_paid(prices) else "free"


def note_free(ad: Ad, number: int) -> None:
    """A chained scene made again at no cost from the new frame: said on the ad, not done silently."""
    notes = [n for n in (ad.options or {}).get(continuity.REMADE_OPTION, []) if n.get("scene") != number]
    notes.append({"scene": number, "why": f"scene {number - 1} changed, so it starts on a new last frame"})
    ad.options = {**(ad.options or {}), continuity.REMADE_OPTION: notes}


def question(
    ctx: assets.AdContext, scene: AdScene, inputs: dict[str, Any], prices: ads_spend.UnitPrices
) -> dict[str, Any]:
    """What the creator is asked about a stale chained scene, with the re-render's price."""
    work = ads_spend.AssetWork(
        AssetKind.CLIP,
        1,
        float(inputs["duration_s"]),
        steps=continuity.clip_steps(float(inputs["duration_s"]), ctx.animator, ctx.max_extensions),
    )
    cost = ads_spend.work_cost("image_to_video", work, prices)
    return {
        "number": scene.number,
        "previous": scene.number - 1,
        "from": inputs["first_frame_key"],
        "cost_usd": round(cost, 4) if cost is not None else None,
    }


def record_questions(ad: Ad, asks: dict[str, dict[str, Any]]) -> None:
    """The questions open now (replacing earlier ones: a scene no longer stale is no longer asked about)."""
    options = {k: v for k, v in (ad.options or {}).items() if k != continuity.ASK_OPTION}
    ad.options = {**options, continuity.ASK_OPTION: asks} if asks else options


def ask_message(asks: dict[str, dict[str, Any]]) -> str:
    numbers = sorted(a["number"] for a in asks.values())
    listed = ", ".join(map(str, numbers))
    return (
        f"Scene {listed} starts on the last frame of the scene before, which changed. Making it again from the "
        "new frame is a paid call: choose to make it again or to keep it as it is."
    )


@dataclass
class ChainSync:
    """Chained scenes brought up to date after scenes ahead of them were made again."""

    clips: dict[str, str] = field(default_factory=dict)  # scene number -> its new finished clip
    jobs: list[str] = field(default_factory=list)  # free re-renders started (enqueue after commit)
    busy: bool = False
    asks: dict[str, dict[str, Any]] = field(default_factory=dict)  # paid re-renders waiting for consent
    failed: list[int] = field(default_factory=list)


def sync_chained(
    session: Session, services: Services, ad: Ad, known: dict[str, str], owner_id: str, prices: ads_spend.UnitPrices
) -> ChainSync:
    """Each chained scene's current clip against `known` (scene number -> the clip the ad is cut from):
    changed ones are reported, stale ones made again when free or asked about when paid."""
    ctx = assets.load_context(session, ad, services.settings)
    found = ChainSync()
    if not ctx.chain:
        return found
    for scene in scenes_of(session, ad.id)[1:]:
        frame = assets.chosen_frame(session, ctx, scene, approved=True)
        inputs = assets.clip_inputs(session, ctx, scene, frame) if frame else None
        if not inputs or not inputs.get("first_frame_key"):
            continue  # the scene before is not finished: its end wakes the generation again
        current = assets.assets_for(session, scene.id, AssetKind.CLIP, assets.fingerprint(AssetKind.CLIP, inputs))
        latest = current[0] if current else None
        if latest is not None:
            found.busy = found.busy or AssetStatus(latest.status).active
            if latest.status == AssetStatus.FAILED.value:
                found.failed.append(scene.number)
            elif latest.status == AssetStatus.READY.value and known.get(str(scene.number)) != latest.id:
                found.clips[str(scene.number)] = latest.id
        elif stale_clip(session, scene, inputs) is not None:
            if is_paid(prices):
                found.asks[scene.id] = question(ctx, scene, inputs, prices)
            else:
                note_free(ad, scene.number)
                _asset, job = assets.ensure_single(session, scene, AssetKind.CLIP, inputs, owner_id)
                found.jobs += [job] if job else []
                found.busy = True
    ads_spend.admit_assets(session, ad, found.jobs, prices, user_id=owner_id, services=services)
    return found


def open_questions(options: dict[str, Any] | None) -> list[tuple[str, dict[str, Any]]]:
    """(scene id, question) of the chained scenes waiting for the creator, scene order."""
    asks = (options or {}).get(continuity.ASK_OPTION) or {}
    return sorted(asks.items(), key=lambda item: item[1]["number"])


def _asked(session: Session, scene_id: str, user_id: str) -> tuple[AdScene, Ad, dict[str, Any]]:
    scene, ad = scene_with_right(session, scene_id, user_id, Right.EDIT)
    ask = ((ad.options or {}).get(continuity.ASK_OPTION) or {}).get(scene.id)
    if ask is None:
        raise ValidationError(f"Scene {scene.number} has nothing waiting for you; the page was out of date.")
    return scene, ad, ask


def _drop_question(ad: Ad, scene_id: str) -> None:
    """The question answered; the last answer takes the ad out of "needs your attention"."""
    asks = dict((ad.options or {}).get(continuity.ASK_OPTION) or {})
    asks.pop(scene_id, None)
    record_questions(ad, asks)
    if not asks and (ad.error or {}).get("code") == PARKED_CODE:
        ad.status, ad.error = AdStatus.GENERATING.value, None


def rerender_chained(scene_id: str, *, user_id: str, services: Services, charge: bool = False) -> list[str]:
    """Make a stale chained scene again from the new last frame of the scene before. A paid call,
    so only with the creator's explicit `charge` (recorded in the audit log); admitted against the
    spending ceilings like a retry (refused: nothing is created). Returns the new job ids."""
    prices = ads_spend.unit_prices(services, user_id)
    with (
        audit.refusals(services, user_id=user_id, project_id=None, what="chained scene"),
        services.db.session(user_id=user_id) as session,
    ):
        scene, ad, ask = _asked(session, scene_id, user_id)
        if is_paid(prices) and not charge:
            cost = f"about ${ask['cost_usd']:.2f}" if ask.get("cost_usd") is not None else "a paid call"
            raise ValidationError(
                f"Making scene {scene.number} again is a paid call ({cost}). Choose “Make it again” to pay for it."
            )
        ctx = assets.load_context(session, ad, services.settings)
        frame = assets.chosen_frame(session, ctx, scene, approved=True)
        if frame is None:
            raise ValidationError(f"Scene {scene.number} needs an approved storyboard frame first.")
        inputs = assets.clip_inputs(session, ctx, scene, frame)
        _asset, job = assets.ensure_single(session, scene, AssetKind.CLIP, inputs, user_id)
        jobs = [job] if job else []
        ads_spend.admit_assets(session, ad, jobs, prices, user_id=user_id, services=services)
        _drop_question(ad, scene.id)
        ad_id, project_id, owner_id, number = ad.id, ad.project_id, ad.owner_id, scene.number
    audit.record_now(
        services,
        "paid_call.rechain_consented",
        actor_id=user_id,
        owner_id=owner_id,
        project_id=project_id,
        subject=f"ad scene {number} clip",
        detail={"ad_id": ad_id, "scene_id": scene_id, "estimate_usd": ask.get("cost_usd"), "new_jobs": jobs},
    )
    assets.enqueue_all(services, jobs)
    wake_generation(services, ad_id)
    return jobs


def keep_chained(scene_id: str, *, user_id: str, services: Services) -> None:
    """Keep the stale scene's clip as it is (no new call): it no longer starts on the scene before's
    last frame, which the creator accepts; asked again only if that frame changes once more."""
    with services.db.session(user_id=user_id) as session:
        scene, ad, ask = _asked(session, scene_id, user_id)
        ctx = assets.load_context(session, ad, services.settings)
        frame = assets.chosen_frame(session, ctx, scene, approved=True)
        inputs = assets.clip_inputs(session, ctx, scene, frame) if frame else None
        old = stale_clip(session, scene, inputs) if inputs else None
        if old is not None:
            kept = dict((ad.options or {}).get(continuity.KEPT_OPTION) or {})
            kept[scene.id] = {"from": ask["from"], "kept": old.inputs["first_frame_key"]}
            ad.options = {**(ad.options or {}), continuity.KEPT_OPTION: kept}
        _drop_question(ad, scene.id)
        ad_id = ad.id
    wake_generation(services, ad_id)
