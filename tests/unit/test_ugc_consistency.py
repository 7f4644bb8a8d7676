"""Cross-scene consistency (issue 18): an outlier scene is made again automatically, once per round,
admitted and held like any asset, and the creator is told which scene and why; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import select

from core.adapters.db.database import Database
from core.adapters.db.models.ads import AdAsset, AdScene
from core.adapters.db.models.jobs import Job
from core.adapters.providers.local.vision import LocalVisionAnalyzer
from core.domain.ads import AdStatus
from core.ports import PollResult, PredictionState, Submission, VisionAnswer, VisionRequest, VisionTask
from core.services.ads import continuity, generation, wizard
from tests.ugc_support import Counting, scripted_ad, ugc_services, ugc_settings


class ScriptedIdentity:
    """Vision that scores identity by scene (read from the sampled frames' folder names): scene
    `outlier` looks like someone else until it has been scored `bad_times` times."""

    name = "scripted-vision"
    paid = False

    def __init__(self, outlier: int, bad_times: int) -> None:
        self.outlier, self.bad_left, self.clip_calls = outlier, bad_times, 0
        self.lock = threading.Lock()
        self.inner = LocalVisionAnalyzer()

    def submit(self, request: VisionRequest) -> Submission:
        return Submission(request_id=f"v{id(request)}", poll_after_s=0.0)

    def poll(self, request_id: str) -> PollResult:
        return PollResult(state=PredictionState.DONE, output={}, progress=1.0, poll_after_s=0.0)

    def collect(self, request: VisionRequest, result: PollResult, dest_dir: Path) -> VisionAnswer:
        if request.task is not VisionTask.IDENTITY:  # product DNA and the like: the real offline reader
            return self.inner.collect(request, self.inner.poll(self.inner.submit(request).request_id), dest_dir)
        scenes = [p.parent.name for p in request.images]
        clip_frames = any(s.startswith("scene") for s in scenes)
        with self.lock:
            bad = clip_frames and self.bad_left > 0
            if clip_frames and request.images[0].parent.parent.name != "qc":  # a round, not the final check
                self.clip_calls += 1
                self.bad_left -= 1
        scores = [0.3 if bad and s == f"scene{self.outlier}" else 0.9 for s in scenes]
        return VisionAnswer(text=json.dumps({"scores": scores}), model="scripted")

    def cost_usd(self, request: Any, output: Any) -> float:
        return 0.0


def test_spread_finds_the_scenes_furthest_from_the_rest() -> None:
    spread, outliers = continuity.identity_outliers({1: 0.9, 2: 0.3, 3: 0.88, 4: 0.91}, 0.1)
    assert spread > 0.1 and outliers == [2]
    assert continuity.identity_outliers({1: 0.9, 2: 0.85, 3: 0.88}, 0.1)[1] == []
    assert continuity.identity_outliers({1: 0.9, 2: 0.2, 3: 0.25, 4: 0.92, 5: 0.91}, 0.1)[1] == [2, 3]


def _run(tmp_path: Path, db: Database, vision: ScriptedIdentity, **settings: Any) -> tuple[Any, str, str, Counting]:
    values = {"ugc_storyboard_similarity_min": 0.0, **settings}
    services = ugc_services(ugc_settings(tmp_path / "data", **values), db, vision=vision)
    animator = services.providers.choices["image_to_video"].provider
    user, ad_id = scripted_ad(services)
    generation.start_generation(ad_id, user_id=user, services=services)
    services.queue.drain()  # type: ignore[attr-defined]
    generation.approve_storyboard(ad_id, user_id=user, services=services)
    services.queue.drain()  # type: ignore[attr-defined]
    return services, user, ad_id, animator


def _clips(services: Any, ad_id: str, number: int) -> list[AdAsset]:
    with services.db.session() as session:
        scene = session.scalar(select(AdScene).where(AdScene.ad_id == ad_id, AdScene.number == number))
        rows = session.scalars(
            select(AdAsset).where(AdAsset.scene_id == scene.id, AdAsset.kind == "clip").order_by(AdAsset.attempt)
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def test_an_outlier_scene_is_made_again_automatically(tmp_path: Path, db: Database) -> None:
    vision = ScriptedIdentity(outlier=2, bad_times=1)
    services, user, ad_id, animator = _run(tmp_path, db, vision)

    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    assert ad.status is AdStatus.COMPLETED, ad.error
    assert animator.submits == len(ad.scenes) + 1  # scene 2's clip once more, nothing else
    clips = _clips(services, ad_id, 2)
    assert [c.attempt for c in clips] == [1, 2] and clips[0].seed != clips[1].seed  # another seed
    assert vision.clip_calls == 2  # round 1 found it, round 2 found the scenes agree
    notes = ad.options["consistency"]
    assert [(n["scene"], n["result"]) for n in notes] == [(2, "made again")]
    assert "identity 0.30" in notes[0]["why"] and "spread" in notes[0]["why"]
    qc = ad.outputs[0].qc
    assert qc is not None
    assert next(f for f in qc.findings if f.check == "cross_scene_consistency").passed
    with services.db.session() as session:  # the new attempt was admitted and ran as its own held job
        job = session.get(Job, clips[1].job_id)
        assert job is not None and job.status == "completed"


def test_regeneration_stops_at_the_attempt_limit(tmp_path: Path, db: Database) -> None:
    vision = ScriptedIdentity(outlier=2, bad_times=100)  # scene 2 never looks right
    services, user, ad_id, animator = _run(tmp_path, db, vision, ugc_max_regen_attempts=1)

    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    assert ad.status is AdStatus.COMPLETED, ad.error
    assert animator.submits == len(ad.scenes) + 1  # one regeneration, then the limit
    assert [c.attempt for c in _clips(services, ad_id, 2)] == [1, 2]
    qc = ad.outputs[0].qc
    assert qc is not None and 2 in qc.flagged_scenes  # still flagged for the creator
    assert [n["scene"] for n in ad.options["consistency"]] == [2]


class GarbledRounds(ScriptedIdentity):
    """The vision model answers a consistency round with prose, not the JSON asked for."""

    def collect(self, request: VisionRequest, result: PollResult, dest_dir: Path) -> VisionAnswer:
        answer = super().collect(request, result, dest_dir)
        is_round = any(p.parent.name.startswith("scene") for p in request.images)
        if is_round and request.images[0].parent.parent.name != "qc":
            return VisionAnswer(text="Sure! The people in these frames look alike.", model="scripted")
        return answer


def test_a_garbled_score_is_no_round_and_the_paid_ad_still_finishes(tmp_path: Path, db: Database) -> None:
    vision = GarbledRounds(outlier=2, bad_times=1)
    services, user, ad_id, animator = _run(tmp_path, db, vision)

    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    assert ad.status is AdStatus.COMPLETED, ad.error  # before: the whole ad failed after every clip was paid
    assert animator.submits == len(ad.scenes)  # nothing made again on an answer nobody could read
    assert not ad.options.get("consistency")
