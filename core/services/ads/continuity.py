"""Continuity between an ad's scenes (issue 18): first/last-frame chaining, reference images
per clip, extension of long scenes, and the cross-scene identity check that regenerates outliers.

What the video model can do is read from its adapter (`core.ports.continuity_of`) and pinned
on the ad when a generation starts (`ad.options["continuity"]`), so every reader of the
ad's clip inputs (the pipeline, the estimate, the scene views) computes the same fingerprints.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from typing import Any

from core.errors import ValidationError
from core.ports import AnimatorContinuity, continuity_of
from core.ports_services import Services
from core.services.accounts.access import Right
from core.services.ads.wizard import ad_with_right

CHAIN_OPTION = "chain_frames"
PINNED_OPTION = "continuity"
REGENERATED_OPTION = "consistency"  # [{job_id, round, scene, why, result}] (jobs.pipelines.ad_consistency)
# Which of the avatar's references shows the angle a scene's camera asks for (reference_keys:
# first = front, then the other angles in the order the avatar step stores them).
ANGLE_REFERENCE = {"eye_level": 1, "three_quarter": 1, "low_angle": 2, "high_angle": 2}


@dataclass(frozen=True)
class ChainAvailability:
    available: bool
    reason: str  # why not, when not
    on: bool  # the ad's switch


def animator_continuity(services: Services, owner_id: str | None) -> AnimatorContinuity:
    """What the video model this owner's clips go to (the chain's first entry) can do."""
    chain = services.providers_for(owner_id).chain("image_to_video")
    return continuity_of(chain[0].provider)


def pinned(options: dict[str, Any] | None) -> AnimatorContinuity:
    """The model's abilities as pinned on the ad (before any generation: none)."""
    raw = (options or {}).get(PINNED_OPTION)
    return AnimatorContinuity(**raw) if isinstance(raw, dict) else AnimatorContinuity(max_clip_s=0.0)


def pin(options: dict[str, Any] | None, found: AnimatorContinuity) -> dict[str, Any]:
    return {**(options or {}), PINNED_OPTION: asdict(found)}


def chaining(services: Services, ad_id: str, *, user_id: str) -> ChainAvailability:
    found = animator_continuity(services, user_id)
    with services.db.session(user_id=user_id) as session:
        ad = ad_with_right(session, ad_id, user_id, Right.VIEW)
        on = bool((ad.options or {}).get(CHAIN_OPTION))
    return ChainAvailability(found.last_frame, "" if found.last_frame else found.reason, on and found.last_frame)


def set_chaining(ad_id: str, on: bool, *, user_id: str, services: Services) -> None:
    """The per-ad switch; refused (nothing changed) where the video model cannot end on a frame."""
    found = animator_continuity(services, user_id)
    if on and not found.last_frame:
        raise ValidationError(f"Scene chaining is not available: {found.reason}.")
    with services.db.session(user_id=user_id) as session:
        ad = ad_with_right(session, ad_id, user_id, Right.EDIT)
        ad.options = {**(ad.options or {}), CHAIN_OPTION: bool(on)}


def chain_on(options: dict[str, Any] | None) -> bool:
    return bool((options or {}).get(CHAIN_OPTION)) and pinned(options).last_frame


def clip_references(avatar_refs: list[str], angle: str, frame_key: str | None, limit: int) -> list[str]:
    """Up to three: the front portrait, the angle matching the scene's camera, the approved frame."""
    picked: list[str] = avatar_refs[:1]
    index = ANGLE_REFERENCE.get(angle, 1)
    if len(avatar_refs) > index:
        picked.append(avatar_refs[index])
    if frame_key:
        picked.append(frame_key)
    return list(dict.fromkeys(picked))[: min(limit, 3)]


def identity_outliers(means: dict[int, float], spread_max: float) -> tuple[float, list[int]]:
    """(spread, the scenes furthest from the median) while the spread exceeds the limit; the
    outliers are removed one at a time until the rest agree (so two bad scenes are both found)."""
    if len(means) < 2:
        return 0.0, []
    spread = statistics.pstdev(means.values())
    rest, outliers = dict(means), []
    while len(rest) > 1 and statistics.pstdev(rest.values()) > spread_max:
        centre = statistics.median(rest.values())
        worst = max(rest, key=lambda n: abs(rest[n] - centre))
        outliers.append(worst)
        del rest[worst]
    return spread, sorted(outliers)
