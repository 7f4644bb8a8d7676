"""CPU of our finished 30 s ad against MoneyPrinterTurbo's way of composing the same inputs.

Same inputs on both sides (the six offline clips, six eSpeak voice lines and the music bed of
`bench_postprod`, captions from the same lines), same output: 1080x1920, 30 fps, H.264 + AAC,
30 s. The MoneyPrinterTurbo side is our own re-statement of how its `app/services/video.py`
composes a video with MoviePy 2 (none of its code is copied):

1. every clip is opened with `VideoFileClip` (no audio), cut to at most 5 s
   (`max_clip_duration`), resized to cover and centre-cropped when its size differs from the
   canvas, given its transition (MoneyPrinterTurbo's transitions act on one clip: a fade in),
   and written to its own temporary MP4 by `write_videofile` (libx264 at MoviePy's default
   preset, 30 fps, the BT.709 `scale`/`setparams` filter it passes as `ffmpeg_params`);
2. the temporary clips are joined by one FFmpeg run of the concat demuxer that re-encodes
   (libx264, its default preset, 2 threads, the same BT.709 filter, `-t` the audio's length);
3. the joined video is opened again, each caption is a `TextClip` (white, black stroke,
   centred at the bottom) composited over it with `CompositeVideoClip`, the voice and the
   music bed (volume, a 3 s fade out, looped to the length) are mixed by `CompositeAudioClip`,
   and `write_videofile` encodes the result (libx264, AAC 192k, 2 threads, 30 fps).

Ours is `PostProducer.render` (one FFmpeg invocation) with the studio's default look on
(grain, vignette, shake, saturation) and, as a second figure, with the realism layer off.
Our CPU is also broken down by running our own command with its output swapped for FFmpeg's
null muxer: decode only, the graph without the realism layer, the graph with it; the encode
is the full run minus the last. CPU is user + sys of this process and all its children
(getrusage), so MoviePy's Python frame work and its FFmpeg readers and writers all count.
Both sides' outputs are checked for the same size, frame count and sound length before any
ratio is printed, and their file sizes are reported beside the times (one encode at CRF 21
against three at x264's default CRF 23: a cheaper side that wrote a much worse file would
show there). `grain_survival` is the share of our grain left in the encoded file: the
regression slope of sampled frames' decoded luma on the grain pattern each frame was given
(1: all of it, 0: the encoder smoothed it away; the picture underneath is unrelated to the
noise and only adds scatter). Prints one JSON line.

MoviePy is a bench-only dependency (see `bench/requirements-mpt.txt`).

Usage: .venv/bin/python bench/bench_mpt.py [--runs 1] [--skip-mpt]
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_postprod import FPS, OUT, SCENE_S, H, W, _music, output_facts, prepare  # noqa: E402
from core.adapters.media import postprod  # noqa: E402
from core.adapters.media.captions import FONT, chunk_line  # noqa: E402
from core.adapters.media.ffmpeg import FfmpegToolkit  # noqa: E402
from core.adapters.media.postprod import EditSpec, PostProducer, SceneCut  # noqa: E402
from core.domain.ads import RealismSettings, Transition  # noqa: E402
from tests.stubs.media import CountingToolkit  # noqa: E402

logger = logging.getLogger(__name__)

MAX_CLIP_S = 5.0  # MoneyPrinterTurbo's max_clip_duration default
BT709 = (  # the colour conversion and tags it passes to FFmpeg with every write
    "scale=out_color_matrix=bt709:out_range=tv,"
    "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv"
)
VOICE_LEAD_S = 0.12
OFF = RealismSettings(grain=0.0, vignette=0.0, shake_px=0.0, saturation=1.0)


def cpu_now() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(action: Any) -> dict[str, float]:
    cpu0, started = cpu_now(), time.perf_counter()
    action()
    return {"wall_s": round(time.perf_counter() - started, 2), "cpu_s": round(cpu_now() - cpu0, 2)}


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# --- MoneyPrinterTurbo's composition, re-stated --------------------------------------------------


def _mpt_clip(cut: SceneCut, path: Path) -> float:
    """Step 1 for one clip: cut, fit to the canvas, transition, written to its own MP4."""
    from moviepy import VideoFileClip, vfx

    source = VideoFileClip(str(cut.clip), audio=False)
    try:
        clip = source.subclipped(0, min(MAX_CLIP_S, source.duration))
        if tuple(clip.size) != (W, H):  # cover: resize so both sides reach the canvas, centre crop
            scale = max(W / clip.w, H / clip.h)
            rw, rh = max(W, round(clip.w * scale + 0.5)), max(H, round(clip.h * scale + 0.5))
            clip = clip.resized(new_size=(rw, rh)).cropped(x1=(rw - W) // 2, y1=(rh - H) // 2, width=W, height=H)
        if cut.transition is not Transition.CUT:
            clip = clip.with_effects([vfx.FadeIn(1)])
        clip.write_videofile(str(path), codec="libx264", fps=FPS, logger=None, ffmpeg_params=["-vf", BT709])
        return float(clip.duration)
    finally:
        source.close()


def _mpt_concat(exe: str, parts: list[Path], out: Path, length_s: float, work: Path) -> None:
    """Step 2: the concat demuxer, re-encoding once more."""
    listing = work / "concat.txt"
    listing.write_text("".join(f"file '{p}'\n" for p in parts), encoding="utf-8")
    command = [exe, "-y", "-loglevel", "error", "-f", "concat", "-safe", "0", "-i", str(listing)]
    command += ["-c:v", "libx264", "-threads", "2", "-vf", BT709, "-pix_fmt", "yuv420p", "-t", f"{length_s:.3f}"]
    subprocess.run([*command, str(out)], check=True, capture_output=True)


def _captions(cuts: list[SceneCut]) -> list[tuple[float, float, str]]:
    return [
        (c.start_s, c.end_s, c.text)
        for i, cut in enumerate(cuts)
        for c in chunk_line(cut.dialogue, SCENE_S * i + VOICE_LEAD_S, cut.voice_duration_s)
    ]


def _mpt_final(joined: Path, cuts: list[SceneCut], music: Path, out: Path, length_s: float, work: Path) -> None:
    """Step 3: captions composited over the joined video, sound mixed, one more encode."""
    from moviepy import AudioFileClip, CompositeAudioClip, CompositeVideoClip, TextClip, VideoFileClip, afx

    video = VideoFileClip(str(joined), audio=False)
    texts = []
    for start, end, text in _captions(cuts):
        caption = TextClip(
            text=text, font=str(FONT), font_size=60, color="#FFFFFF", stroke_color="#000000", stroke_width=5,
            size=(round(W * 0.9), None), method="caption", text_align="center",
        )  # fmt: skip
        caption = caption.with_start(start).with_duration(end - start)
        texts.append(caption.with_position(("center", H * 0.95 - caption.h)))
    picture = CompositeVideoClip([video, *texts]).with_duration(length_s)
    voices = [AudioFileClip(str(c.voice)).with_start(SCENE_S * i + VOICE_LEAD_S) for i, c in enumerate(cuts)]
    bed = AudioFileClip(str(music)).with_effects(
        [afx.MultiplyVolume(0.35), afx.AudioFadeOut(3), afx.AudioLoop(duration=length_s)]
    )
    sound = CompositeAudioClip([*voices, bed]).with_duration(length_s)
    final = picture.with_audio(sound)
    final.write_videofile(
        str(out), codec="libx264", audio_codec="aac", audio_fps=48000, audio_bitrate="192k",
        temp_audiofile_path=str(work), threads=2, fps=FPS, logger=None, ffmpeg_params=["-vf", BT709],
    )  # fmt: skip
    for clip in (final, video, *voices, bed):
        clip.close()


def mpt_compose(exe: str, cuts: list[SceneCut], music: Path, out: Path) -> None:
    length_s = SCENE_S * len(cuts)
    with tempfile.TemporaryDirectory(prefix="mpt-", dir=OUT) as tmp:
        work = Path(tmp)
        parts = [work / f"temp-clip-{i}.mp4" for i in range(len(cuts))]
        for cut, part in zip(cuts, parts, strict=True):
            _mpt_clip(cut, part)
        _mpt_concat(exe, parts, work / "combined.mp4", length_s, work)
        _mpt_final(work / "combined.mp4", cuts, music, out, length_s, work)


# --- our breakdown -------------------------------------------------------------------------------


def _null_output(toolkit: FfmpegToolkit, args: list[str]) -> list[str]:
    """Our command with its muxed, encoded output swapped for FFmpeg's null muxer (nothing encoded)."""
    keep = args[: args.index("-c:v")]
    return toolkit.command(*keep, "-c:v", "wrapped_avframe", "-c:a", "pcm_s16le", "-f", "null", "-")


def breakdown(toolkit: FfmpegToolkit, spec: EditSpec, work: Path) -> dict[str, float]:
    """CPU of decode, of scale + transitions + captions, of the realism layer and of the encode."""
    producer = PostProducer(toolkit)
    decode = sum(
        timed(
            lambda c=c: subprocess.run(
                [toolkit.exe, "-v", "error", "-threads", "1", "-i", str(c.clip), "-f", "null", "-"], check=True
            )
        )["cpu_s"]
        for c in spec.scenes
    )
    plain, _, _ = producer.arguments(replace(spec, realism=OFF), work / "null.mp4", work / "a")
    looked, _, _ = producer.arguments(spec, work / "null.mp4", work / "b")
    graph_off = timed(lambda: subprocess.run(_null_output(toolkit, plain), check=True, capture_output=True))["cpu_s"]
    graph_on = timed(lambda: subprocess.run(_null_output(toolkit, looked), check=True, capture_output=True))["cpu_s"]
    return {
        "decode": round(decode, 2),
        "scale_transitions_captions": round(graph_off - decode, 2),
        "realism": round(graph_on - graph_off, 2),
        "graph_with_realism": round(graph_on, 2),
    }


GRAIN_SAMPLES = (*range(100, 106), *range(460, 466), *range(760, 766))  # frames in three different scenes


def _grain_pattern(tile: Any, n: int, width: int, height: int) -> Any:
    """The grain output frame `n` got: the tile cropped where `postprod.grain_offset` puts grain frame n // hold."""
    offsets = []
    for axis in (1, 2):
        hashed = math.sin(n // postprod.GRAIN_HOLD * 12.9898 + axis) * 43758.5453
        offsets.append(2 * math.floor(postprod.GRAIN_ROOM * (hashed - math.floor(hashed))))
    x, y = offsets
    return tile[y : y + height, x : x + width].astype(np.float32) - 128


def grain_survival(video: Path, realism: RealismSettings, work: Path) -> float:
    import av

    w, h = W + 2 * postprod.GRAIN_ROOM, H + 2 * postprod.GRAIN_ROOM
    tile = np.fromfile(postprod.write_grain_tile(W, H, realism.grain, work / "grain.yuv"), np.uint8)[: w * h]
    tile = tile.reshape(h, w)
    slopes = []
    with av.open(str(video)) as container:
        for n, frame in enumerate(container.decode(video=0)):
            if n in GRAIN_SAMPLES:
                luma, grain = frame.to_ndarray(format="gray").astype(np.float32), _grain_pattern(tile, n, W, H)
                slopes.append(float(np.mean((luma - luma.mean()) * grain) / np.var(grain)))
    return round(statistics.mean(slopes), 3)


def _megabytes(path: Path) -> float:
    return round(path.stat().st_size / 1e6, 2)


def same_output(a: Path, b: Path) -> dict[str, Any]:
    fa, fb = output_facts(a), output_facts(b)
    ok = (
        fa["size"] == fb["size"]
        and abs(fa["frames"] - fb["frames"]) <= 1
        and abs(fa["audio_s"] - fb["audio_s"]) <= 0.05
    )
    if not ok:
        raise SystemExit(f"the two sides made different videos: ours {fa}, MoneyPrinterTurbo {fb}")
    return fa


def _size(toolkit: FfmpegToolkit, clip: Path) -> tuple[int, int]:
    video = toolkit.video_file(clip)
    return video.width, video.height


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--skip-mpt", action="store_true", help="only our two figures and the breakdown")
    args = parser.parse_args()
    toolkit = CountingToolkit()
    # Each clip's size, as the ad pipeline knows it from the clip's frame facts (it picks the cheapest fit).
    cuts = [replace(c, clip_size=_size(toolkit, c.clip)) for c in prepare(toolkit)]
    music = _music(SCENE_S * len(cuts) + 2)
    spec = EditSpec(tuple(cuts), W, H, fps=FPS, music=music)  # the studio's default look
    producer = PostProducer(toolkit)
    (OUT / "work").mkdir(parents=True, exist_ok=True)
    started_load = load()
    runs: dict[str, list[dict[str, float]]] = {"look_on": [], "look_off": [], "mpt": []}
    for _ in range(args.runs):  # sides alternate within each run
        toolkit.runs.clear()
        runs["look_on"].append(timed(lambda: producer.render(spec, OUT / "ours-look.mp4", OUT / "work")))
        encodes = len(toolkit.runs)
        off = replace(spec, realism=OFF)
        runs["look_off"].append(timed(lambda: producer.render(off, OUT / "ours-plain.mp4", OUT / "work")))  # noqa: B023
        if not args.skip_mpt:
            runs["mpt"].append(timed(lambda: mpt_compose(toolkit.exe, cuts, music, OUT / "mpt.mp4")))
    parts = breakdown(toolkit, spec, OUT / "work")
    on = statistics.median(r["cpu_s"] for r in runs["look_on"])
    off_cpu = statistics.median(r["cpu_s"] for r in runs["look_off"])
    parts["encode_and_mux"] = round(on - parts["graph_with_realism"], 2)
    report: dict[str, Any] = {
        "bench": "mpt",
        "ad": same_output(OUT / "ours-look.mp4", OUT / "ours-plain.mp4"),
        "runs": runs,
        "ours_ffmpeg_invocations": encodes,
        "ours_cpu_s": {"look_on": on, "look_off": off_cpu},  # scalars: `bench.repeat` gathers them across runs
        "ours_breakdown_cpu_s": parts,
        "file_mb": {"look_on": _megabytes(OUT / "ours-look.mp4"), "look_off": _megabytes(OUT / "ours-plain.mp4")},
        "grain_survival": grain_survival(OUT / "ours-look.mp4", spec.realism, OUT / "work"),
        "load_start": started_load,
    }
    if runs["mpt"]:
        same_output(OUT / "ours-look.mp4", OUT / "mpt.mp4")
        report["file_mb"]["mpt"] = _megabytes(OUT / "mpt.mp4")
        mpt = statistics.median(r["cpu_s"] for r in runs["mpt"])
        report["mpt_cpu_s"] = mpt
        report["cpu_ratio_mpt_over_ours_look_on"] = round(mpt / on, 2)
        report["cpu_ratio_mpt_over_ours_look_off"] = round(mpt / off_cpu, 2)
    report |= {"load_end": load(), "cpus": os.cpu_count(), "python": platform.python_version()}
    print(json.dumps(report))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    main()
