"""A scene clip's steps in its asset job (issue 18 continuity): render, extend, last frame.

`render` makes the first generation: from the storyboard frame, or, chained, from the previous
scene's exact last frame, ending on the scene's own frame where the model takes a last frame.
A scene longer than one generation is then extended by `extend_1..extend_N`, each its own step
so each paid call is made once (the engine's step attempts: request id saved before anything
else, admission and the ledger): Veo extends the video it made (the answer is the whole clip);
any other model, or a fallback, animates on from the clip's exact last frame and the two are
joined without a re-encode. `last_frame` stores the finished clip's exact last frame, which
the next scene of a chained ad starts from.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from core.adapters.media.last_frame import extract_last_frame
from core.domain.media import VideoFile
from core.domain.types import MediaKind
from core.ports import ImageToVideoRequest
from core.services.ads.continuity import LENGTH_TOLERANCE_S
from jobs.context import StepContext
from jobs.pipelines.common import ffmpeg_toolkit

logger = logging.getLogger(__name__)

MAX_EXTENSIONS = 4  # steps in the clip job; settings.ugc_max_extensions (<= this) bounds the ones used
EXTEND_STEPS = tuple(f"extend_{n}" for n in range(1, MAX_EXTENSIONS + 1))


def _request(ctx: StepContext, inputs: dict[str, Any], seed: int, image: Path, seconds: float, **more: Any) -> Any:
    return ImageToVideoRequest(
        image=image,
        prompt=inputs["prompt"],
        duration_s=seconds,
        camera=inputs["camera"],
        seed=seed,
        width=inputs["width"],
        height=inputs["height"],
        references=tuple(ctx.fetch(k) for k in inputs.get("reference_keys") or ()),
        **more,
    )


def _longest(inputs: dict[str, Any]) -> float:
    return float(inputs.get("max_clip_s") or inputs["duration_s"])


def _ends_on_frame(inputs: dict[str, Any]) -> bool:
    """Chained scenes after the first end on their own storyboard frame."""
    return bool(inputs.get("first_frame_key"))


def _output(ctx: StepContext, video: VideoFile, path: Path | None = None) -> dict[str, Any]:
    key = ctx.store(MediaKind.VIDEO, path or video.path, label="clip", content_type="video/mp4")
    return {
        "media_key": key,
        "duration_s": video.duration_s,
        "width": video.width,
        "height": video.height,
        "source_uri": video.source_uri if path is None else None,  # a joined clip is no provider's video
        "provider": ctx.served_by(),
    }


def render_clip(ctx: StepContext, inputs: dict[str, Any], seed: int) -> dict[str, Any]:
    wanted, longest = float(inputs["duration_s"]), _longest(inputs)
    first = inputs.get("first_frame_key")
    whole = wanted <= longest + LENGTH_TOLERANCE_S
    request = _request(
        ctx,
        inputs,
        seed,
        ctx.fetch(first or inputs["frame_key"]),
        min(wanted, longest),
        audio=ctx.fetch(inputs["voice_key"]) if inputs.get("voice_key") else None,
        audio_at_s=float(inputs.get("voice_at_s", 0.0)),
        last_frame=ctx.fetch(inputs["frame_key"]) if first and whole else None,
    )
    return _output(ctx, ctx.call_provider("image_to_video", request))


def current_clip(ctx: StepContext, before: str) -> dict[str, Any]:
    """The clip as the steps before `before` left it (the latest one not skipped)."""
    names = ("render", *EXTEND_STEPS)
    for name in reversed(names[: names.index(before)] if before in names else names):
        found = ctx.output_of(name)
        if found and not found.get("skipped"):
            return found
    return {}


def needs_extension(ctx: StepContext, inputs: dict[str, Any], number: int) -> float:
    """Seconds still missing before extension `number`, 0 when none is to be made."""
    clip = current_clip(ctx, f"extend_{number}")
    if "max_clip_s" not in inputs or not clip or number > ctx.services.settings.ugc_max_extensions:
        return 0.0
    missing = float(inputs["duration_s"]) - float(clip.get("duration_s") or 0.0)
    return missing if missing > LENGTH_TOLERANCE_S else 0.0


def extend(ctx: StepContext, inputs: dict[str, Any], seed: int, number: int) -> dict[str, Any]:
    missing = needs_extension(ctx, inputs, number)
    if not missing:
        return ctx.skipped()
    clip = current_clip(ctx, f"extend_{number}")
    video = ctx.fetch(clip["media_key"])
    last = extract_last_frame(ffmpeg_toolkit(ctx), video, ctx.work_dir / f"extend_{number}" / "from")
    extend_uri = clip.get("source_uri") if inputs.get("extends") else None
    final = missing <= _longest(inputs) + LENGTH_TOLERANCE_S
    request = _request(
        ctx,
        inputs,
        seed + number,  # another seed for the new seconds: the same one would repeat the motion
        last.path,
        min(missing, _longest(inputs)),
        extend_uri=extend_uri,
        last_frame=ctx.fetch(inputs["frame_key"]) if final and _ends_on_frame(inputs) and not extend_uri else None,
    )
    answer = ctx.call_provider("image_to_video", request)
    if extend_uri and ctx.served_by() == clip.get("provider"):
        logger.info("extension %s: %s made the whole clip, %.1f s", number, ctx.served_by(), answer.duration_s)
        return _output(ctx, answer)
    joined = ffmpeg_toolkit(ctx).concat([video, answer.path], ctx.work_dir / f"extend_{number}" / "joined.mp4")
    logger.info("extension %s: chained from the last frame, %.1f s", number, joined.duration_s)
    return _output(ctx, joined, joined.path)


def last_frame(ctx: StepContext, inputs: dict[str, Any]) -> dict[str, Any]:
    """The finished clip's exact last frame, for the next scene of a chained ad."""
    if not inputs.get("chain"):
        return ctx.skipped()
    clip = current_clip(ctx, "last_frame")
    image = extract_last_frame(ffmpeg_toolkit(ctx), ctx.fetch(clip["media_key"]), ctx.work_dir / "last_frame" / "end")
    key = ctx.store(MediaKind.IMAGE, image.path, label="last-frame", content_type="image/png")
    return {"last_frame_key": key, "width": image.width, "height": image.height}
