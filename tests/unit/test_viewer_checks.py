"""The quality check's viewer checks fail with the scene and the reason, and say "not checked" when blind."""

from __future__ import annotations

from core.adapters.media.captions import PlacedCaption, Rect, place
from core.adapters.media.lips import LipReading
from core.adapters.media.postprod import Timeline
from core.adapters.media.viewer_checks import SceneView, ViewerInputs, judge_viewer
from core.domain.ads import Caption, Platform

FACE, PRODUCT = Rect(80, 90, 110, 150), Rect(190, 260, 60, 200)
TALKING = LipReading(4.0, 0.7, 60)
STILL = LipReading(0.2, 0.05, 60)


def _timeline(starts: list[float], ends: list[float]) -> Timeline:
    scene_starts = tuple(max(0.0, s - 0.2) for s in starts)
    return Timeline(
        scene_starts,
        (5.0,) * len(starts),
        tuple(starts),
        (0.0,) * len(starts),
        ends[-1] + 0.5,
        (),
        tuple(starts),
        tuple(ends),
    )


def _scenes(**changes: object) -> list[SceneView]:
    scenes = [
        SceneView(1, "Hello there friends.", True, False, FACE, PRODUCT, FACE, PRODUCT, True, TALKING),
        SceneView(2, "Tap the link.", True, True, FACE, None, FACE, None, False, TALKING),
    ]
    for key, value in changes.items():
        number, name = key.split("_", 1)
        setattr(scenes[int(number[1:]) - 1], name, value)
    return scenes


def _captions(texts: list[tuple[str, float, float]], box: Rect = Rect(20, 300, 150, 30)) -> list[PlacedCaption]:
    return [PlacedCaption(Caption(a, b, t), (t,), box, 15, 4) for t, a, b in texts]


def _findings(scenes: list[SceneView], timeline: Timeline, captions: list[PlacedCaption]) -> dict[str, object]:
    return {f.check: f for f in judge_viewer(ViewerInputs(scenes, timeline, captions))}


GOOD_TIMES = _timeline([0.15, 4.0], [3.5, 5.5])
GOOD_CAPTIONS = _captions([("Hello there friends.", 0.15, 3.5), ("Tap the link.", 4.0, 5.5)])


def test_a_good_ad_passes_every_viewer_check() -> None:
    found = _findings(_scenes(), GOOD_TIMES, GOOD_CAPTIONS)
    assert all(f.passed and f.checked for f in found.values()), found  # type: ignore[attr-defined]


def test_each_fault_fails_its_check_with_the_scene() -> None:
    cases = {
        "lips": (_scenes(s2_lips=STILL), GOOD_TIMES, GOOD_CAPTIONS),
        "silence": (_scenes(s2_pause_before=False), _timeline([0.15, 4.5], [3.5, 6.0]), GOOD_CAPTIONS),
        "product": (_scenes(s1_product=None), GOOD_TIMES, GOOD_CAPTIONS),
        "captions_clear": (
            _scenes(),
            GOOD_TIMES,
            _captions([("Hello there friends.", 0.15, 3.5)], Rect(100, 300, 150, 30)),
        ),
        "captions_match_voice": (
            _scenes(),
            GOOD_TIMES,
            _captions([("Hello there enemies.", 0.15, 3.5), ("Tap the link.", 4.0, 5.5)]),
        ),
    }
    for check, (scenes, timeline, captions) in cases.items():
        finding = _findings(scenes, timeline, captions)[check]
        assert not finding.passed and finding.checked, (check, finding)  # type: ignore[attr-defined]
        assert finding.scene_numbers and finding.detail, finding  # type: ignore[attr-defined]
    covering = _findings(_scenes(s1_product=Rect(100, 150, 50, 100)), GOOD_TIMES, GOOD_CAPTIONS)["product"]
    assert "covers the face" in covering.detail  # type: ignore[attr-defined]
    late = _findings(
        _scenes(), GOOD_TIMES, _captions([("Hello there friends.", 0.15, 3.5), ("Tap the link.", 7.0, 8.0)])
    )
    assert not late["captions_match_voice"].passed  # type: ignore[attr-defined]  # a caption while nobody speaks


def test_a_blind_check_says_not_checked_and_never_passed() -> None:
    blind = [SceneView(1, "Hi.", True), SceneView(2, "Bye.", True, True)]
    found = _findings(blind, GOOD_TIMES, [])
    for check in ("lips", "product", "captions_clear"):
        assert not found[check].checked, check  # type: ignore[attr-defined]


def test_captions_move_off_the_face_and_the_product() -> None:
    captions = [Caption(0.0, 1.0, "Stop scrolling if you deal"), Caption(1.0, 2.0, "with dull skin today")]
    (first, second) = place(captions, Platform.TIKTOK, 270, 480, [[FACE, PRODUCT], []])
    assert not first.box.intersects(FACE) and not first.box.intersects(PRODUCT)
    assert second.box.y + second.box.h == first.box.y + first.box.h or second.box.y > first.box.y  # free: bottom
