"""Scenes longer than one generation (issue 18): how long a script may ask a scene to be, the paid
calls (and seconds charged) of a long clip as each provider bills them, and the storyboard's
references in order of relevance."""

from __future__ import annotations

import json

import pytest

from core.domain.ads import AssetKind
from core.errors import ValidationError
from core.ports import AnimatorContinuity
from core.services.ads import continuity, parse
from core.services.ads.assets import CLIP_HANDLE_S
from core.services.ads.script import SCRIPT_SCHEMA, script_schema
from core.services.ads.spend import AssetWork, work_cost
from core.services.usage.estimates import UnitPrice

VEO = AnimatorContinuity(last_frame=True, max_references=3, extends=True, max_clip_s=8.0, extension_s=7.0,
                         clip_lengths_s=(4.0, 6.0, 8.0))  # fmt: skip
KLING = AnimatorContinuity(max_clip_s=10.0, clip_lengths_s=(5.0, 10.0))
OFFLINE = AnimatorContinuity(max_clip_s=20.0)


def test_a_long_clip_is_a_generation_then_extensions_each_billed_as_the_provider_makes_it() -> None:
    assert continuity.clip_steps(20.8, VEO, 3) == (8.0, 7.0, 7.0)  # Veo adds 7 s per extension
    assert continuity.clip_steps(5.3, VEO, 3) == (6.0,)  # durationSeconds is 4, 6 or 8: 5.3 s is made (and paid) as 6
    assert continuity.clip_steps(20.8, KLING, 3) == (10.0, 10.0, 5.0)  # chained from the last frame, 5 or 10 s each
    assert continuity.clip_steps(24.8, OFFLINE, 3) == pytest.approx((20.0, 4.8))
    assert continuity.clip_steps(40.0, VEO, 2) == (8.0, 7.0, 7.0)  # no more than the settings allow
    assert continuity.clip_steps(20.8, VEO, 0) == (8.0,)
    assert continuity.clip_steps(20.8, AnimatorContinuity(max_clip_s=0.0), 3) == (20.8,)  # nothing pinned yet


def test_each_paid_call_is_priced_as_charged() -> None:
    per_second = {"image_to_video": UnitPrice(0.4, "second", "google_veo_per_second")}
    per_call = {"image_to_video": UnitPrice(0.5, "call", "x")}
    work = AssetWork(AssetKind.CLIP, 1, 20.8, steps=(8.0, 7.0, 7.0))
    assert work_cost("image_to_video", work, per_second) == pytest.approx(0.4 * 22)  # not 0.4 * 20.8
    assert work_cost("image_to_video", work, per_call) == pytest.approx(1.5)  # three calls, not one
    assert work_cost("image_to_video", work, {"image_to_video": None}) is None


def test_a_scene_may_be_as_long_as_one_generation_and_every_extension_reach() -> None:
    assert continuity.longest_scene_s(VEO, 3, CLIP_HANDLE_S) == 28.0  # 8 + 3 x 7, less the 0.8 s handle
    assert continuity.longest_scene_s(KLING, 1, CLIP_HANDLE_S) == 19.0
    assert continuity.longest_scene_s(VEO, 0, CLIP_HANDLE_S) == 8.0  # never under the spec's 8 s
    assert continuity.longest_scene_s(AnimatorContinuity(max_clip_s=0.0), 3, CLIP_HANDLE_S) == 8.0


def _scene(seconds: float) -> dict[str, object]:
    return {"scene_type": "demo", "duration_seconds": seconds, "dialogue": "Watch it sink in.", "action": "applies it"}


def test_the_script_asks_for_a_long_scene_within_the_bound() -> None:
    assert parse.scene(_scene(20.0), 1, max_s=28.0).duration_s == 20.0
    with pytest.raises(ValidationError, match="scenes last 2-8 s"):
        parse.scene(_scene(20.0), 1)  # the spec's bound when the video model cannot extend
    with pytest.raises(ValidationError, match="scenes last 2-28 s"):
        parse.scene(_scene(31.0), 1, max_s=28.0)
    long_line = " ".join(["word"] * 19)  # too long for 6 s: grows to fit, but not past the spec's 8 s
    assert parse.scene({**_scene(6.0), "dialogue": long_line}, 1, max_s=28.0).duration_s == 8.0
    stored = parse.canonical(parse.scene(_scene(20.0), 1, max_s=28.0))
    assert parse.scene(stored, 1, max_s=parse.stored_max_s(stored)).duration_s == 20.0  # read back as written
    draft = parse.script(json.dumps({"title": "t", "scenes": [_scene(20.0), _scene(4.0)]}), max_s=28.0)
    assert [s.duration_s for s in draft.scenes] == [20.0, 4.0]
    schema = script_schema(28.0)
    assert schema["properties"]["scenes"]["items"]["properties"]["duration_seconds"]["maximum"] == 28.0
    assert SCRIPT_SCHEMA["properties"]["scenes"]["items"]["properties"]["duration_seconds"]["maximum"] == 8.0


def test_storyboard_references_most_relevant_first_up_to_the_limit() -> None:
    avatar, products = ["front", "three_quarter", "low"], ["hero", "side", "back"]
    assert continuity.frame_references(avatar, products, "eye_level", 2) == ["front", "hero"]  # as before
    assert continuity.frame_references(avatar, products, "low_angle", 4) == ["front", "hero", "low", "side"]
    assert continuity.frame_references(avatar, products, "eye_level", 14) == [
        "front", "hero", "three_quarter", "side", "back", "low"
    ]  # fmt: skip
    assert continuity.frame_references(["front"], ["hero"], "high_angle", 3) == ["front", "hero"]
