"""The offline copilot's intent rules on a table of labelled messages, with the facts of the
chat's ad as they would be at that point, and its slots and edits."""

from __future__ import annotations

import pytest

from core.adapters.providers.local.copilot import LocalCopilot, detect, edits_for, slots_of
from core.ports import CopilotRequest, EditRequest, Intent

ACTORS = ["Ava", "Maya", "Liam", "Omar"]
EMPTY = {"actors": ACTORS}
PHOTO = {"actors": ACTORS, "has_product_photo": True, "product_name": "Glow Serum"}
PHOTO_AVATAR = {**PHOTO, "avatar": "Ava"}
ALL = {**PHOTO_AVATAR, "platform": "tiktok"}
NO_NAME = {"actors": ACTORS, "has_product_photo": True, "avatar": "Ava", "platform": "reels"}

C, N, R = Intent.CHAT, Intent.VIDEO_NEEDS_INPUT, Intent.VIDEO_READY
TABLE = [
    # small talk and questions: CHAT whatever the ad has
    ("hi", EMPTY, C),
    ("hello there", EMPTY, C),
    ("hey", ALL, C),
    ("thanks!", EMPTY, C),
    ("good morning", PHOTO, C),
    ("what makes a good hook?", EMPTY, C),
    ("how long should a TikTok ad be?", EMPTY, C),
    ("why do UGC ads convert better?", ALL, C),
    ("which lighting works best for skincare?", EMPTY, C),
    ("should I show the price?", PHOTO, C),
    ("how do I make a video here?", EMPTY, C),
    ("what do you think about my product?", PHOTO, C),
    ("tips for a strong call to action", EMPTY, C),
    ("is 60 seconds too long for reels?", ALL, C),
    ("who is the best actor for a serum?", EMPTY, C),
    ("tell me a joke", EMPTY, C),
    ("explain the storyboard review", ALL, C),
    # wants a video, something missing
    ("make me a 20 s TikTok for this serum with Ava, hook on dull skin", EMPTY, N),
    ("I want an ad for my new coffee", EMPTY, N),
    ("create a video", EMPTY, N),
    ("make a reel for this serum", EMPTY, N),
    ("generate a TikTok with Maya", EMPTY, N),
    ("let's make an ad", PHOTO, N),
    ("make it with Liam", PHOTO, N),
    ("make it", PHOTO_AVATAR, N),
    ("make a TikTok", PHOTO, N),
    ("I'd like a short video for Shorts", PHOTO_AVATAR, N),
    ("don't make the video yet, TikTok is the platform", PHOTO_AVATAR, N),
    ("the platform is TikTok", PHOTO_AVATAR, N),
    ("use Ava as the avatar", PHOTO, N),
    ("an ad for Reels please", PHOTO_AVATAR, N),
    ("make it", NO_NAME, N),
    ("make it for reels", EMPTY, N),
    ("a 30 second testimonial ad", PHOTO, N),
    # everything there and a clear go
    ("make it", ALL, R),
    ("go ahead", ALL, R),
    ("let's go", ALL, R),
    ("generate the video", ALL, R),
    ("create the ad now", ALL, R),
    ("can you make the video?", ALL, R),
    ("make a TikTok with Ava", PHOTO, R),
    ("make a reel with Omar", PHOTO, R),
    ("start", ALL, R),
    ("ok make a 15 s tiktok", PHOTO_AVATAR, R),
    ("make it, product is Glow Serum", NO_NAME, R),
]


def test_the_table_is_large_enough() -> None:
    assert len(TABLE) >= 40
    assert {label for _, _, label in TABLE} == {C, N, R}


@pytest.mark.parametrize(("message", "facts", "label"), TABLE, ids=[m for m, _, _ in TABLE])
def test_offline_intent(message: str, facts: dict, label: Intent) -> None:  # type: ignore[type-arg]
    assert detect(message, facts).intent is label


def test_slots_read_from_one_message() -> None:
    slots = slots_of("make me a 20 s TikTok for this serum with Ava, hook on dull skin", EMPTY)
    assert slots == {
        "platform": "tiktok",
        "duration_s": 20,
        "actor": "Ava",
        "product_name": "Serum",
        "hook": "dull skin",
    }
    assert slots_of("an energetic unboxing for Reels, it's called Glow iQ", EMPTY) == {
        "platform": "reels",
        "product_name": "Glow iQ",
        "tone": "energetic",
        "style": "unboxing",
    }


def test_approve_and_edit_are_actions_only_where_they_make_sense() -> None:
    review = {**ALL, "status": "review", "scenes": 3}
    assert detect("looks good", review).action == "approve"
    assert detect("looks good", {**ALL, "status": "completed", "scenes": 3}).action == "none"
    assert detect("redo scene 3 with a closer shot", review).action == "edit"
    assert detect("make scene 2 punchier", {**ALL, "status": "completed", "scenes": 3}).action == "edit"
    assert detect("make scene 2 punchier", ALL).action == "none"  # no script yet


SCENES = (
    {
        "number": 1,
        "dialogue": "I am so tired of dull skin every single morning, honestly.",
        "duration_seconds": 4.0,
        "camera": {"shot_type": "medium"},
    },
    {
        "number": 2,
        "dialogue": "This serum sinks in fast and it is light, so I use it daily.",
        "duration_seconds": 5.0,
        "camera": {"shot_type": "medium"},
    },
)
LIMITS = {"words_per_minute": 150, "max_words_per_8s": 20}


def test_edits_touch_only_the_named_scene() -> None:
    answer = edits_for(EditRequest("make scene 2 punchier", SCENES, LIMITS))
    assert [e.number for e in answer.edits] == [2]
    assert answer.edits[0].changes["dialogue"].endswith("!")
    assert len(answer.edits[0].changes["dialogue"].split()) <= 8


def test_shorter_casual_and_closer() -> None:
    shorter = edits_for(EditRequest("shorter", SCENES, LIMITS))
    assert [e.changes["duration_seconds"] for e in shorter.edits] == [3.0, 3.8]
    assert all(
        len(e.changes["dialogue"].split()) <= int(e.changes["duration_seconds"] * 150 / 60) for e in shorter.edits
    )
    casual = edits_for(EditRequest("more casual", SCENES, LIMITS))
    assert "it's" in casual.edits[1].changes["dialogue"] and casual.edits[0].changes["dialogue"].startswith("Honestly")
    closer = edits_for(EditRequest("redo scene 1 with a closer shot", SCENES, LIMITS))
    assert [(e.number, e.changes) for e in closer.edits] == [(1, {"camera": {"shot_type": "close_up"}})]
    assert closer.redo == (1,)
    nothing = edits_for(EditRequest("make it sparkle", SCENES, LIMITS))
    assert nothing.edits == () and "Offline" in nothing.summary


def test_answers_say_they_are_offline_and_stream_word_by_word() -> None:
    chunks = list(LocalCopilot(word_delay_s=0).stream_answer(CopilotRequest("what makes a good hook?")))
    assert len(chunks) > 10 and "offline" in "".join(chunks)
    assert "first second" in "".join(chunks)
