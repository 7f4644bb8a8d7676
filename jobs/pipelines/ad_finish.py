"""The last steps of a UGC ad: post-production (one FFmpeg pass per output) and the quality check."""

from __future__ import annotations

import hashlib
import json
import logging
import math
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from core.adapters.db.models.ads import Ad, AdAsset, AdOutput, AdQcReport
from core.adapters.media.captions import PlacedCaption, Rect, safe_area
from core.adapters.media.frame_facts import FrameFacts, read_frame_facts
from core.adapters.media.lips import watch_shrink
from core.adapters.media.lut import Lut3d
from core.adapters.media.music import BPM, write_music_bed
from core.adapters.media.postprod import EditResult, EditSpec, PostProducer, SceneCut, Timeline
from core.adapters.media.quality import QcInputs, QcLimits, judge, scan_media
from core.adapters.media.viewer_checks import ViewerInputs, judge_viewer
from core.adapters.media.voice_timing import speech_of
from core.domain.ads import Aspect, Caption, Platform, QcFinding, QcReport, RealismSettings, Transition
from core.domain.types import MediaKind
from core.errors import JobCancelled
from core.services.ads import assets
from core.services.ads.parse import SCENE_SECONDS
from core.services.ads.wizard import scenes_of
from jobs.context import StepContext
from jobs.pipelines.ad_consistency import clip_identity, final_clips, latest_scores
from jobs.pipelines.ad_viewer import MouthWatcher, brief_duration, facts_in_output, scene_views

logger = logging.getLogger(__name__)

AUTO_TRANSITIONS = {
    "hook": Transition.CUT,
    "problem": Transition.CUT,
    "solution": Transition.CROSSFADE,
    "demo": Transition.DISSOLVE,
    "testimonial": Transition.CROSSFADE,
    "cta": Transition.DIP_TO_BLACK,
}


def _asset(session: Any, asset_id: str | None) -> AdAsset | None:
    return session.get(AdAsset, asset_id) if asset_id else None


def _plan(ctx: StepContext) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    clips, voices = final_clips(ctx), ctx.output_of("voiceover")["voices"]
    with ctx.services.db.session() as session:
        ad = session.get(Ad, ctx.payload["ad_id"])
        if ad is None:
            raise JobCancelled("The ad was deleted.")
        context = assets.load_context(session, ad, ctx.services.settings)
        options = dict(ad.options or {})
        options["platform"] = (options.get("brief") or {}).get("platform", "tiktok")
        scenes = []
        for scene in scenes_of(session, ad.id):
            script = assets.script_of(context, scene)
            clip, voice = _asset(session, clips.get(str(scene.number))), _asset(session, voices.get(str(scene.number)))
            assert clip is not None and clip.media_key, f"scene {scene.number} has no clip"
            scenes.append(
                {
                    "clip": clip.media_key,
                    "clip_s": clip.duration_s or script.duration_s,
                    "voice": voice.media_key if voice else None,
                    "voice_s": (voice.duration_s or 0.0) if voice else 0.0,
                    "dialogue": script.dialogue,
                    "type": script.scene_type.value,
                    "duration_s": script.duration_s,
                    "clip_voice_at_s": _talking_at(clip),
                    "facts": _facts(ctx, clip),
                }
            )
        options["target_s"] = _brief_seconds(ad)
    # The music's seed from the words, not the ad's random id: the same script makes the same ad.
    words = json.dumps([s["dialogue"] for s in scenes], ensure_ascii=True)
    options["seed"] = int(hashlib.sha256(words.encode()).hexdigest()[:8], 16)
    return scenes, options


def _facts(ctx: StepContext, clip: AdAsset) -> dict[str, Any] | None:
    """Where the face, mouth and product are in the scene's storyboard frame (None: unknown)."""
    frame_key = (clip.inputs or {}).get("frame_key")
    return read_frame_facts(ctx.fetch(frame_key)).to_dict() if frame_key else None


def _talking_at(clip: AdAsset) -> float | None:
    """Where a lip-synced clip's voice line starts in it (None: the clip does not speak)."""
    inputs = dict(clip.inputs or {})
    return float(inputs["voice_at_s"]) if inputs.get("voice_key") else None


def _brief_seconds(ad: Ad) -> float | None:
    brief = assets.brief_of(ad)
    return float(brief.duration_s) if brief else None


def _cut(ctx: StepContext, scene: dict[str, Any], choice: str) -> SceneCut:
    voice = ctx.fetch(scene["voice"]) if scene["voice"] else None
    facts = FrameFacts.from_dict(scene["facts"]) if scene.get("facts") else None
    return SceneCut(
        ctx.fetch(scene["clip"]),
        float(scene["clip_s"]),
        voice,
        float(scene["voice_s"]),
        scene["dialogue"],
        AUTO_TRANSITIONS[scene["type"]] if choice == "auto" else Transition(choice),
        float(scene["duration_s"]),
        speech=speech_of(voice) if voice else None,
        clip_voice_at_s=scene.get("clip_voice_at_s"),
        pause_before=scene["type"] == "cta",
        keep_clear=tuple(b for b in (facts.face, facts.product) if b) if facts else (),
        clip_size=facts.size if facts else None,
        # a scene the script asked to run past one generation (it was extended to length) holds that long
        hold_s=float(scene["duration_s"]) if float(scene["duration_s"]) > SCENE_SECONDS[1] else 0.0,
    )


def _cuts(ctx: StepContext, scenes: list[dict[str, Any]], choice: str) -> tuple[SceneCut, ...]:
    return tuple(_cut(ctx, s, choice) for s in scenes)


def _store(ctx: StepContext, aspect: str, result: EditResult) -> dict[str, Any]:
    slug = aspect.replace(":", "x")
    video_key = ctx.store(MediaKind.VIDEO, result.video.path, label=f"final-{slug}", content_type="video/mp4")
    poster = ctx.services.media.poster_frame(result.video.path, ctx.work_dir / f"poster-{slug}.jpg", at_s=1.0)
    poster_key = ctx.store(MediaKind.IMAGE, poster.path, label=f"poster-{slug}", content_type="image/jpeg")
    placed = [
        {
            "caption": asdict(p.caption),
            "lines": list(p.lines),
            "box": asdict(p.box),
            "font_size": p.font_size,
            "line_spacing": p.line_spacing,
        }
        for p in result.placed
    ]
    return {
        "aspect": aspect,
        "video_key": video_key,
        "poster_key": poster_key,
        "duration_s": result.video.duration_s,
        "width": result.video.width,
        "height": result.video.height,
        "planned_s": result.timeline.total_s,
        "timeline": asdict(result.timeline),
        "captions": placed,
        "encode_passes": result.encode_passes,
    }


def _realism(ctx: StepContext, options: dict[str, Any]) -> RealismSettings:
    """The ad's realism layer; with grading on, its stored LUT checked again and written as our own .cube."""
    realism = RealismSettings(**options.get("realism", {}))
    lut = options.get("lut") or {}
    if not (lut.get("on") and lut.get("key")):
        return realism
    cube = Lut3d.from_json(ctx.fetch(lut["key"]).read_bytes()).write_cube(ctx.work_dir / "grade.cube")
    return replace(realism, lut=str(cube))


def _edit_spec(
    ctx: StepContext, cuts: tuple[SceneCut, ...], options: dict[str, Any], aspect: str, music: Path | None
) -> EditSpec:
    settings = ctx.services.settings
    width, height = Aspect(aspect).size(settings.ugc_long_side)
    return EditSpec(
        cuts, width, height, fps=settings.ugc_fps, platform=Platform(options["platform"]),
        realism=_realism(ctx, options), music=music, music_volume=settings.ugc_music_volume,
        captions=options.get("captions", True), preset=settings.ugc_x264_preset, crf=settings.ugc_crf,
        loudness_lufs=settings.ugc_loudness_target_lufs, target_s=options.get("target_s"), follow_voice=True,
    )  # fmt: skip


def _save_outputs(ctx: StepContext, outputs: list[dict[str, Any]]) -> None:
    with ctx.services.db.session() as session:
        session.execute(delete(AdOutput).where(AdOutput.job_id == ctx.job_id))  # a re-run replaces, never duplicates
        for out in outputs:
            row = AdOutput(ad_id=ctx.payload["ad_id"], job_id=ctx.job_id, aspect=out["aspect"])
            row.video_key, row.poster_key, row.duration_s = out["video_key"], out["poster_key"], out["duration_s"]
            row.width, row.height, row.encode_passes = out["width"], out["height"], out["encode_passes"]
            row.captions = [c["caption"] for c in out["captions"]]
            session.add(row)


def post_production(ctx: StepContext) -> dict[str, Any]:
    """One FFmpeg pass (one lossy video encode) per output format."""
    scenes, options = _plan(ctx)
    cuts = _cuts(ctx, scenes, options.get("transition", "auto"))
    music = None
    if options.get("music", True):
        length = sum(c.clip_duration_s + 1.0 for c in cuts) + 2.0
        bar_s = 4 * 60 / BPM
        length = math.ceil(length / bar_s) * bar_s  # whole bars: the bed ends on a bar line
        music = write_music_bed(ctx.work_dir / "music.wav", length, seed=options["seed"])
    producer, outputs = PostProducer(ctx.services.media), []
    for aspect in options.get("aspects", ["9:16"]):
        slug = aspect.replace(":", "x")
        spec = _edit_spec(ctx, cuts, options, aspect, music)
        result = producer.render(spec, ctx.work_dir / f"final-{slug}.mp4", ctx.work_dir / f"edit-{slug}")
        outputs.append(_store(ctx, aspect, result))
    _save_outputs(ctx, outputs)
    return {"outputs": outputs}


def _identity(ctx: StepContext) -> dict[int, list[float]]:
    """Clip frames sampled at 1 fps, scored against the avatar's references in one vision call."""
    reused = latest_scores(ctx)  # the consistency round scored these very clips: no second paid call
    return reused if reused is not None else clip_identity(ctx, final_clips(ctx), ctx.work_dir / "qc")


def _limits(ctx: StepContext) -> QcLimits:
    s = ctx.services.settings
    return QcLimits(
        s.ugc_duration_tolerance_s,
        s.ugc_loudness_target_lufs,
        s.ugc_loudness_tolerance_lu,
        -0.5,
        s.ugc_video_similarity_min,
        s.ugc_cross_scene_std_max,
    )


def _verdict(finding: QcFinding) -> str:
    return "not checked" if not finding.checked else "ok" if finding.passed else "FAILED"


def with_findings(report: QcReport, extra: list[QcFinding]) -> QcReport:
    """The report with the viewer checks added: failing ones fail it and flag their scenes."""
    findings = report.findings + extra
    flagged = sorted(set(report.flagged_scenes) | {n for f in extra if not f.passed for n in f.scene_numbers})
    return QcReport(all(f.passed for f in findings), findings, report.metrics, flagged)


def _placed(raw: list[dict[str, Any]]) -> list[PlacedCaption]:
    return [
        PlacedCaption(Caption(**c["caption"]), tuple(c["lines"]), Rect(**c["box"]), c["font_size"], c["line_spacing"])
        for c in raw
    ]


def quality_check(ctx: StepContext) -> dict[str, Any]:
    outputs = ctx.output_of("post_production")["outputs"]
    identity, limits, summaries = _identity(ctx), _limits(ctx), []
    scenes, options = _plan(ctx)
    platform = Platform(options["platform"])
    voices = {k: ctx.fetch(s["voice"]) for k, s in enumerate(scenes) if s["voice"]}
    with ctx.services.db.session() as session:
        rows = {o.aspect: o.id for o in session.scalars(select(AdOutput).where(AdOutput.job_id == ctx.job_id))}
    for out in outputs:
        fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in out["timeline"].items()}
        timeline = Timeline(**fields)
        mouths = {
            k: m
            for k, s in enumerate(scenes)
            if s.get("facts")
            and (m := facts_in_output(FrameFacts.from_dict(s["facts"]), out["width"], out["height"])["mouth"])
        }
        shrink = watch_shrink(out["width"])
        watcher = MouthWatcher(timeline, mouths, ctx.services.settings.ugc_fps, shrink)
        video = ctx.fetch(out["video_key"])
        scan = scan_media(ctx.services.media, video, watch=watcher, watch_shrink=shrink)
        views = scene_views(scenes, out["width"], out["height"], watcher.readings(voices, timeline.voice_at))
        viewer = ViewerInputs(views, timeline, _placed(out["captions"]), bool(options.get("captions", True)))
        extra = [
            *judge_viewer(viewer),
            brief_duration(scan.duration_s, options.get("target_s"), limits.duration_tolerance_s),
        ]
        inputs = QcInputs(
            scan,
            out["planned_s"],
            timeline,
            _placed(out["captions"]),
            safe_area(platform, out["width"], out["height"]),
            identity,
        )
        report = with_findings(judge(inputs, limits), extra)
        summary = "; ".join(f"{f.check}: {_verdict(f)}" for f in report.findings)
        with ctx.services.db.session() as session:
            session.execute(delete(AdQcReport).where(AdQcReport.output_id == rows[out["aspect"]]))
            session.add(
                AdQcReport(
                    ad_id=ctx.payload["ad_id"],
                    output_id=rows[out["aspect"]],
                    passed=report.passed,
                    report=report.to_dict(),
                    summary=summary,
                )
            )
        summaries.append({"aspect": out["aspect"], "passed": report.passed, "flagged": report.flagged_scenes})
    flagged = sorted({n for s in summaries for n in s["flagged"]})
    return {"passed": all(s["passed"] for s in summaries), "flagged": flagged, "reports": summaries}
