"""Quality check of a finished ad: one decode pass measures it, a pure function judges it.

The pass (FFmpeg, `-f null`) runs `blackdetect` and `freezedetect` on a small copy of the
picture and `ebur128` on the sound. The picture is shrunk to 1/8 of its width first (area
averaging) so the realism layer's film grain averages out. Measured with `freezedetect`
(which compares each frame with the first of a would-be freeze): a frozen shot under
grain 4-8 stays below about -54 dB there, at 270 or 1080 wide, while every offline camera
move (the slowest is "static": a 2 % drift with a light wobble) and every finished offline
ad stays above -50 dB over 2 s; so -50 dB for 2 s flags the first and never the second.
The judgement adds the caption boxes (from the layout) against the platform's safe area
and the identity scores of sampled clip frames.
"""

from __future__ import annotations

import logging
import re
import statistics
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np
from PIL import Image

from core.adapters.media.captions import PlacedCaption, Rect
from core.adapters.media.ffmpeg import graph_args
from core.adapters.media.postprod import Timeline
from core.adapters.media.probe import open_container, require_sniff
from core.domain.ads import QcFinding, QcReport
from core.domain.media import MediaInfo
from core.ports import PostProduction

logger = logging.getLogger(__name__)

BLACK_MIN_S = 0.4
FREEZE_MIN_S = 2.0
FREEZE_NOISE_DB = -50
ANALYSIS_SHRINK = 8  # the picture is measured at 1/8 of its width (grain averages out over 64 pixels)
WATCH_SHRINK = 4  # mouths are watched at 1/4 of the width
_BLACK = re.compile(r"black_start:\s*([\d.]+)\s+black_end:\s*([\d.]+)")
_FREEZE = re.compile(r"freezedetect\.freeze_(start|end):\s*([\d.]+)")
_LOUD = re.compile(r"I:\s+(-?[\d.]+|-inf) LUFS")
_PEAK = re.compile(r"Peak:\s+(-?[\d.]+|-inf) dBFS")


@dataclass(frozen=True, slots=True)
class MediaScan:
    duration_s: float
    black: list[tuple[float, float]]
    frozen: list[tuple[float, float]]
    integrated_lufs: float | None
    true_peak_db: float | None


@dataclass(frozen=True, slots=True)
class QcLimits:
    duration_tolerance_s: float = 0.5
    loudness_target_lufs: float = -14.0
    loudness_tolerance_lu: float = 2.0
    true_peak_max_db: float = -0.5
    video_similarity_min: float = 0.65
    cross_scene_std_max: float = 0.10


@dataclass
class QcInputs:
    scan: MediaScan
    expected_duration_s: float
    timeline: Timeline
    captions: list[PlacedCaption]
    safe_area: Rect
    identity: dict[int, list[float]] = field(default_factory=dict)  # scene number -> frame scores


def _number(text: str) -> float | None:
    return None if text == "-inf" else float(text)


def parse_scan(stderr: str, duration_s: float) -> MediaScan:
    black = [(float(a), float(b)) for a, b in _BLACK.findall(stderr)]
    frozen, start = [], None
    for kind, value in _FREEZE.findall(stderr):
        if kind == "start":
            start = float(value)
        elif start is not None:
            frozen.append((start, float(value)))
            start = None
    if start is not None:  # frozen until the end
        frozen.append((start, duration_s))
    loud, peak = _LOUD.findall(stderr), _PEAK.findall(stderr)
    return MediaScan(
        duration_s, black, frozen, _number(loud[-1]) if loud else None, _number(peak[-1]) if peak else None
    )


# Called with each frame's index and a small grey copy (the viewer checks watch the mouths).
FrameWatcher = Callable[[int, np.ndarray], None]


def scan_media(
    toolkit: PostProduction,
    video: Path,
    *,
    timeout_s: float = 600.0,
    watch: FrameWatcher | None = None,
    watch_shrink: int = WATCH_SHRINK,
) -> MediaScan:
    """One decode: black, freeze and loudness from FFmpeg's log; with `watch`, the same decoded
    picture also streams out small and grey (raw, on stdout) to `watch`, frame by frame."""
    info = toolkit.probe(video)
    graph = _scan_graph(toolkit, video, info, watch_shrink if watch is not None else None)
    head = [toolkit.exe, "-nostdin", "-hide_banner", "-loglevel", "info"]
    gw, gh = _watch_size(info, watch_shrink)
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen([*head, *graph_args(graph)], stdout=subprocess.PIPE, stderr=errors)
        try:
            _feed(proc, watch, (gh, gw))
            code = proc.wait(timeout=timeout_s)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        errors.seek(0)
        stderr = errors.read().decode("utf-8", "replace")
    if code != 0:
        raise toolkit.failure("quality check", stderr)
    return parse_scan(stderr, info.duration_s)


def _scan_graph(toolkit: PostProduction, video: Path, info: MediaInfo, watch_shrink: int | None) -> Any:
    """Detectors on a shrunk copy into the null muxer (with `ebur128` on the sound); with
    `watch_shrink`, a split of the same decode also goes out small and grey on stdout."""
    source = toolkit.source(video)
    width = max(16, (info.width or 1080) // ANALYSIS_SHRINK // 2 * 2)
    picture = watched = source["v:0"]
    if watch_shrink is not None:
        split = picture.split()
        picture, watched = split[0], split[1]
    detected = (
        picture.filter("scale", width, -2, flags="area")
        .filter("blackdetect", d=BLACK_MIN_S, pix_th="0.10", pic_th="0.98")
        .filter("freezedetect", n=f"{FREEZE_NOISE_DB}dB", d=FREEZE_MIN_S)
    )
    streams = [detected] if info.has_video or watch_shrink is not None else []  # a sound file has no picture
    streams += [source["a:0"].filter("ebur128", peak="true")] if info.has_audio else []
    measured = ffmpeg.output(*streams, "-", format="null")
    if watch_shrink is None:
        return measured
    grey = watched.filter("scale", *_watch_size(info, watch_shrink), flags="area").filter("format", "gray")
    return ffmpeg.merge_outputs(measured, ffmpeg.output(grey, "pipe:1", format="rawvideo"))


def _watch_size(info: MediaInfo, shrink: int) -> tuple[int, int]:
    """(width, height) of the grey copy the viewer checks watch: even, at least 16."""
    gw = max(16, (info.width or 1080) // shrink // 2 * 2)
    gh = max(16, round((info.height or 1920) * gw / (info.width or 1080)) // 2 * 2)
    return gw, gh


def _feed(proc: subprocess.Popen[bytes], watch: FrameWatcher | None, shape: tuple[int, int]) -> None:
    assert proc.stdout is not None
    size, index = shape[0] * shape[1], 0
    while True:
        chunk = proc.stdout.read(size)
        if len(chunk) < size:
            break
        if watch is not None:
            watch(index, np.frombuffer(chunk, np.uint8).reshape(shape))
        index += 1


def sample_frames(video: Path, every_s: float, dest_dir: Path, *, max_side: int = 360) -> list[Path]:
    """One small PNG per `every_s` seconds of a clip (spec 22: identity sampled at 1 fps)."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    next_t = every_s / 2
    with open_container(video, require_sniff(video)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            if frame.time is None or frame.time < next_t:
                continue
            image: Image.Image = frame.to_image()
            image.thumbnail((max_side, max_side))
            path = dest_dir / f"frame{len(paths):04d}.png"
            image.save(path, format="PNG")
            paths.append(path)
            next_t += every_s
    return paths


def scene_at(timeline: Timeline, t: float) -> int:
    """1-based scene number showing at time t (the later scene during a transition)."""
    number = 1
    for index, start in enumerate(timeline.starts):
        if start <= t + 1e-6:
            number = index + 1
    return number


def _stretches(name: str, spans: list[tuple[float, float]], timeline: Timeline) -> QcFinding:
    if not spans:
        return QcFinding(name, True, f"no {name.replace('_', ' ')} stretches")
    scenes = sorted({scene_at(timeline, (a + b) / 2) for a, b in spans})
    listed = ", ".join(f"{a:.1f}-{b:.1f} s" for a, b in spans)
    return QcFinding(name, False, f"{len(spans)} found: {listed}", scenes)


def _identity(inputs: QcInputs, limits: QcLimits) -> tuple[list[QcFinding], list[int], dict[str, float]]:
    means = {n: statistics.fmean(s) for n, s in sorted(inputs.identity.items()) if s}
    if not means:
        # Nothing scored (no vision provider, or its answer held no scores): unknown, not a pass.
        return (
            [
                QcFinding("identity", True, "not checked: no clip frame was scored", checked=False),
                QcFinding("cross_scene_consistency", True, "not checked: no clip frame was scored", checked=False),
            ],
            [],
            {},
        )
    low = [n for n, m in means.items() if m < limits.video_similarity_min]
    spread = statistics.pstdev(means.values()) if len(means) > 1 else 0.0
    outliers: list[int] = []
    if spread > limits.cross_scene_std_max:
        centre = statistics.median(means.values())
        outliers = [max(means, key=lambda n: abs(means[n] - centre))]
    scores = ", ".join(f"{n}: {m:.2f}" for n, m in means.items())
    findings = [
        QcFinding(
            "identity", not low, f"mean similarity per scene {scores}; minimum {limits.video_similarity_min}", low
        ),
        QcFinding(
            "cross_scene_consistency",
            not outliers,
            f"spread {spread:.3f}; limit {limits.cross_scene_std_max}",
            outliers,
        ),
    ]
    metrics = {f"identity_scene_{n}": round(m, 4) for n, m in means.items()} | {"identity_spread": round(spread, 4)}
    return findings, sorted(set(low + outliers)), metrics


def judge(inputs: QcInputs, limits: QcLimits) -> QcReport:
    scan = inputs.scan
    off = abs(scan.duration_s - inputs.expected_duration_s)
    findings = [
        QcFinding(
            "duration",
            off <= limits.duration_tolerance_s,
            f"{scan.duration_s:.2f} s for {inputs.expected_duration_s:.2f} s planned "
            f"(tolerance {limits.duration_tolerance_s} s)",
        )
    ]
    lufs, peak = scan.integrated_lufs, scan.true_peak_db
    loud_ok = lufs is not None and abs(lufs - limits.loudness_target_lufs) <= limits.loudness_tolerance_lu
    peak_ok = peak is None or peak <= limits.true_peak_max_db
    findings.append(
        QcFinding(
            "loudness",
            loud_ok and peak_ok,
            f"integrated {lufs if lufs is not None else '-inf'} LUFS (target {limits.loudness_target_lufs} "
            f"± {limits.loudness_tolerance_lu}), true peak {peak} dBFS (max {limits.true_peak_max_db})",
        )
    )
    findings += [_stretches("black", scan.black, inputs.timeline), _stretches("frozen", scan.frozen, inputs.timeline)]
    outside = [p for p in inputs.captions if not inputs.safe_area.contains(p.box)]
    findings.append(
        QcFinding(
            "captions_safe_area",
            not outside,
            f"{len(inputs.captions) - len(outside)} of {len(inputs.captions)} captions inside the safe area",
            sorted({scene_at(inputs.timeline, p.caption.start_s) for p in outside}),
        )
    )
    identity, flagged, scores = _identity(inputs, limits)
    findings += identity
    loudness = {"integrated_lufs": lufs, "true_peak_db": peak}
    metrics: dict[str, float | None] = {**scores, "duration_s": scan.duration_s, **loudness}
    return QcReport(all(f.passed for f in findings), findings, metrics, flagged)
