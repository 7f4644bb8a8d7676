"""Continuity between an ad's scenes (issue 18): first/last-frame chaining, reference images
per clip, extension of long scenes, and the cross-scene identity check that regenerates outliers.

What the video model can do is read from its adapter (`core.ports.continuity_of`) and pinned
on the ad when a generation starts (`ad.options["continuity"]`), so every reader of the
ad's clip inputs (the pipeline, the estimate, the scene views) computes the same fingerprints.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass
from typing import Any

from core.errors import ValidationError
from core.ports import DEFAULT_IMAGE_REFERENCES, AnimatorContinuity, continuity_of, image_references_of
from core.ports_services import Services
from core.services.accounts.access import Right
from core.services.ads.wizard import ad_with_right

CHAIN_OPTION = "chain_frames"
PINNED_OPTION = "continuity"
FRAME_REFERENCES_OPTION = "frame_references"  # how many references the storyboard generator takes
LENGTH_TOLERANCE_S = 0.25  # a clip this close to its length needs no extension (jobs.pipelines.ad_clip)
SCENE_SECONDS_FLOOR = 8.0  # scenes may always last this long (spec 8.1), whatever the video model
REGENERATED_OPTION = "consistency"  # [{job_id, round, scene, why, result}] (jobs.pipelines.ad_consistency)
# A chained scene whose first frame changed (core.services.ads.rechain): the questions for the
# creator, scene id -> {number, previous, from, cost_usd, priced}, and the scenes they chose to keep,
# scene id -> {from: the new first frame, kept: the one their clip was made from}.
ASK_OPTION = "rechain"
KEPT_OPTION = "rechain_kept"
REMADE_OPTION = "rechain_made"  # [{scene, why}]: chained scenes made again at no cost, for the creator
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
    if not isinstance(raw, dict):
        return AnimatorContinuity(max_clip_s=0.0)
    return AnimatorContinuity(**{**raw, "clip_lengths_s": tuple(raw.get("clip_lengths_s") or ())})


def pin(options: dict[str, Any] | None, found: AnimatorContinuity, frame_references: int) -> dict[str, Any]:
    """The video model's abilities, and (at the ad's first generation only, so frames already drawn
    keep their fingerprints) how many references the storyboard generator takes."""
    frames = (options or {}).get(FRAME_REFERENCES_OPTION) or frame_references
    return {**(options or {}), PINNED_OPTION: asdict(found), FRAME_REFERENCES_OPTION: int(frames)}


def image_references(services: Services, owner_id: str | None) -> int:
    """Reference images the storyboard generator this owner's frames go to takes (its documented limit)."""
    providers = services.providers_for(owner_id)
    if "image_gen" not in providers.choices:
        return DEFAULT_IMAGE_REFERENCES
    return image_references_of(providers.chain("image_gen")[0].provider)


def pinned_frame_references(options: dict[str, Any] | None) -> int:
    return int((options or {}).get(FRAME_REFERENCES_OPTION) or DEFAULT_IMAGE_REFERENCES)


def frame_references(avatar_refs: list[str], product_keys: list[str], angle: str, limit: int) -> list[str]:
    """A storyboard frame's references, most relevant first, up to the generator's limit: the
    avatar's front portrait (identity), the hero product photo, the avatar's angle for the scene's
    camera, the other product photos (position order), then the avatar's other angles."""
    index = ANGLE_REFERENCE.get(angle, 1)
    ordered = [*avatar_refs[:1], *product_keys[:1], *avatar_refs[index : index + 1], *product_keys[1:],
               *avatar_refs[1:]]  # fmt: skip
    return list(dict.fromkeys(ordered))[: max(0, limit)]


def _made_length(asked: float, found: AnimatorContinuity) -> float:
    """What one generation asked for `asked` seconds makes, and is charged for."""
    asked = min(asked, found.max_clip_s)
    return next((n for n in sorted(found.clip_lengths_s) if n >= asked), asked if not found.clip_lengths_s
                else max(found.clip_lengths_s))  # fmt: skip


def clip_steps(seconds: float, found: AnimatorContinuity, max_extensions: int) -> tuple[float, ...]:
    """Seconds made (and billed) by each paid call of a clip `seconds` long, as the clip job makes
    them (jobs.pipelines.ad_clip): one generation, then extensions while it is short."""
    if found.max_clip_s <= 0:  # nothing pinned yet: one generation of the asked length
        return (seconds,)
    steps = [_made_length(seconds, found)]
    if not max_extensions or seconds <= found.max_clip_s:
        return tuple(steps)
    made = steps[0]
    for _ in range(max_extensions):
        missing = seconds - made
        if missing <= LENGTH_TOLERANCE_S:
            break
        added = found.extension_s if found.extends and found.extension_s else _made_length(missing, found)
        steps.append(added)
        made += added
    return tuple(steps)


def longest_scene_s(found: AnimatorContinuity, max_extensions: int, handle_s: float) -> float:
    """The longest scene a script may ask for: what one generation plus every allowed extension
    reaches, less the clip's handle, to the half second (never under the spec's 8 s)."""
    if found.max_clip_s <= 0:
        return SCENE_SECONDS_FLOOR
    each = found.extension_s if found.extends and found.extension_s else found.max_clip_s
    reached = found.max_clip_s + max_extensions * each + LENGTH_TOLERANCE_S - handle_s
    return max(SCENE_SECONDS_FLOOR, math.floor(reached * 2) / 2)


def scene_bound(services: Services, owner_id: str | None, handle_s: float) -> float:
    """`longest_scene_s` for the video model this owner's clips go to now."""
    return longest_scene_s(animator_continuity(services, owner_id), services.settings.ugc_max_extensions, handle_s)


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


def chain_on(options: dict[str, Any] | None, animator: AnimatorContinuity | None = None) -> bool:
    return bool((options or {}).get(CHAIN_OPTION)) and (animator or pinned(options)).last_frame


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
