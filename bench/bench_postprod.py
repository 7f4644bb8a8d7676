"""Benchmark post-production: a 30 s 1080x1920 ad from 6 clips, side by side with a hand-written command.

Both sides get the same inputs: six 5.8 s H.264 clips from the offline animator (5 s per
scene plus handles for the transitions), six eSpeak voice lines and a music bed; both make
the same ad: 9:16 scale/crop, cut / dissolve / crossfade / dip-to-black transitions,
voice lines at their scene times, music ducked under the voice, loudness to -14 LUFS,
film grain, vignette, micro-shake, saturation trim and burned-in captions, in one pass.

- ours: `PostProducer.render` (numpy mixdown of the sound, then one FFmpeg invocation);
- reference: one FFmpeg command written out by hand below, doing the sound in FFmpeg too
  (adelay + amix + sidechaincompress + loudnorm).

Runs alternate (ours, reference, ours, reference, ...) and the median of each is
reported, with CPU time (getrusage of this process and its children) and the number of
FFmpeg invocations and lossy video encodes. Prints one JSON line.

Usage: .venv/bin/python bench/bench_postprod.py [--runs 2] [--preset veryfast] [--scenes 6] [--ours-only]

`--scenes N` repeats the six clips to N scenes (memory should not grow with N); `--ours-only`
skips the reference and reports peak memory (Python, FFmpeg and both together, sampled from
/proc) and CPU time with the load average around each run. With `--ours-only` several counts
may be given (`--scenes 3 12`): each run renders them in turn, side by side, and the line ends
with each figure's median and the largest count's peak over the smallest's.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.adapters.media.captions import FONT, chunk_line  # noqa: E402
from core.adapters.media.ffmpeg import FfmpegToolkit  # noqa: E402
from core.adapters.media.music import write_music_bed  # noqa: E402
from core.adapters.media.postprod import EditSpec, PostProducer, SceneCut  # noqa: E402
from core.adapters.providers.local.image_gen import LocalImageGenerator  # noqa: E402
from core.adapters.providers.local.image_gen import request_id as frame_id  # noqa: E402
from core.adapters.providers.local.image_to_video import LocalImageAnimator  # noqa: E402
from core.adapters.providers.local.image_to_video import request_id as clip_id  # noqa: E402
from core.adapters.providers.local.speech import LocalSpeechSynthesizer  # noqa: E402
from core.domain.ads import Transition  # noqa: E402
from core.domain.types import Voice  # noqa: E402
from core.ports import ImageGenRequest, ImageToVideoRequest, SpeechRequest  # noqa: E402
from tests.stubs.media import CountingToolkit  # noqa: E402

logger = logging.getLogger(__name__)

OUT = ROOT / "bench" / "out" / "postprod"
W, H, FPS, SCENE_S, CLIP_S = 1080, 1920, 30, 5.0, 5.8
LINES = [
    "Okay, I did not expect this serum to be this good.",
    "Honestly, dull skin was ruining my mornings.",
    "Then I found Glow Serum, and it just works.",
    "Look at this: it absorbs in seconds.",
    "Two weeks in and I'm honestly hooked.",
    "Tap the link and try Glow Serum today.",
]
TRANSITIONS = [
    Transition.CUT,
    Transition.CUT,
    Transition.CROSSFADE,
    Transition.DISSOLVE,
    Transition.CROSSFADE,
    Transition.DIP_TO_BLACK,
]
CAMERAS = ["push_in", "handheld", "handheld", "static", "handheld", "pull_out"]
SETTINGS = ["bathroom", "bathroom", "kitchen", "bathroom", "bedroom", "bathroom"]


def prepare(toolkit: FfmpegToolkit) -> list[SceneCut]:
    """Clips, voices and captions' text, made once with the offline providers (cached in bench/out)."""
    OUT.mkdir(parents=True, exist_ok=True)
    product = OUT / "product.png"
    if not product.exists():
        from tests.ugc_support import product_png

        product.write_bytes(product_png(600, 800))
    avatar = ROOT / "seeds" / "actors" / "ava_base_01.png"
    images, animator, tts = LocalImageGenerator(), LocalImageAnimator(toolkit, fps=FPS), LocalSpeechSynthesizer(toolkit)
    cuts = []
    for i, (line, transition, camera, setting) in enumerate(zip(LINES, TRANSITIONS, CAMERAS, SETTINGS, strict=True)):
        prompt = (
            f"SETTING: {setting}\nCAMERA: medium shot, eye level, {camera}\n"
            "LIGHTING: natural light\nPRODUCT VISIBILITY: primary"
        )
        frame_request = ImageGenRequest(prompt, (avatar, product), W, H, seed=i)
        frame_path = OUT / f"{frame_id(frame_request)}.png"
        if not frame_path.exists():
            images.collect(frame_request, None, OUT)  # type: ignore[arg-type]
        clip_request = ImageToVideoRequest(frame_path, prompt, CLIP_S, camera, i, W, H)
        cached = OUT / f"{clip_id(clip_request)}.mp4"
        clip = toolkit.video_file(cached) if cached.exists() else animator.collect(clip_request, None, OUT)  # type: ignore[arg-type]
        voice = tts.collect(SpeechRequest(line, Voice("en-us+f3", "en-us", 168, 58)), None, OUT)  # type: ignore[arg-type]
        cuts.append(SceneCut(clip.path, clip.duration_s, voice.path, voice.duration_s, line, transition, SCENE_S))
    return cuts


def reference_command(toolkit: FfmpegToolkit, cuts: list[SceneCut], music: Path, out: Path, preset: str) -> list[str]:
    """The same ad as one hand-written FFmpeg command (sound mixed by FFmpeg's own filters)."""
    m = 3  # margin for the shake
    parts, n = [], len(cuts)
    fades = [0.0] + [c.transition.seconds for c in cuts[1:]]
    for i in range(len(cuts)):  # scene i shows from 5i - fade_i/2 for 5 + fade_i/2 + fade_(i+1)/2 seconds
        slot = SCENE_S + fades[i] / 2 + (fades[i + 1] / 2 if i + 1 < n else 0)
        parts.append(
            f"[{i}:v]fps={FPS},scale={W + 2 * m}:{H + 2 * m}:force_original_aspect_ratio=increase,"
            # tpad: a clip with no spare frames for its transitions is held on its last frame, as ours does
            f"crop={W + 2 * m}:{H + 2 * m},setsar=1,format=yuv420p,"
            f"tpad=stop_mode=clone:stop_duration={slot:.3f},trim=duration={slot:.3f},"
            f"setpts=PTS-STARTPTS,settb=1/{FPS}[s{i}]"
        )
    acc = "s0"
    for i in range(1, n):
        kind = cuts[i].transition.xfade
        if kind:
            parts.append(
                f"[{acc}][s{i}]xfade=transition={kind}:duration={fades[i]}:"
                f"offset={SCENE_S * i - fades[i] / 2:.3f}[x{i}]"
            )
        else:
            parts.append(f"[{acc}][s{i}]concat=n=2:v=1:a=0,settb=1/{FPS}[x{i}]")
        acc = f"x{i}"
    texts = []
    for i, cut in enumerate(cuts):
        for j, caption in enumerate(chunk_line(cut.dialogue, SCENE_S * i + 0.12, cut.voice_duration_s)):
            path = OUT / f"ref-caption-{i}-{j}.txt"
            path.write_text(caption.text, encoding="utf-8")
            texts.append(
                f"drawtext=fontfile={FONT}:textfile={path}:expansion=none:fontsize=60:fontcolor=white:borderw=5:"
                f"bordercolor=black@0.85:x=(w-text_w)/2:y=h*0.74:enable='between(t,{caption.start_s:.3f},{caption.end_s:.3f})'"
            )
    shake = (
        f"crop={W}:{H}:x='{m}+1.5*(0.7*sin(2*PI*1.3*t)+0.3*sin(2*PI*3.1*t+1))':"
        f"y='{m}+1.5*(0.7*sin(2*PI*1.1*t+2)+0.3*sin(2*PI*2.7*t))'"
    )
    parts.append(
        f"[{acc}]{shake},eq=saturation=0.93,noise=c0s=4:c0f=t+u,vignette=angle=0.2,{','.join(texts)},format=yuv420p[vout]"
    )
    total = SCENE_S * n
    for i in range(n):
        parts.append(
            f"[{n + i}:a]aresample=48000,aformat=channel_layouts=mono,"
            f"adelay=delays={round((SCENE_S * i + 0.12) * 1000)}:all=1[v{i}]"
        )
    parts.append(
        f"{''.join(f'[v{i}]' for i in range(n))}amix=inputs={n}:normalize=0:duration=longest,"
        f"apad=whole_dur={total},atrim=0:{total},asplit=2[vo][key]"
    )
    parts.append(
        f"[{2 * n}:a]aresample=48000,aformat=channel_layouts=mono,volume=0.35,"
        f"apad=whole_dur={total},atrim=0:{total}[mus]"
    )
    parts.append("[mus][key]sidechaincompress=threshold=0.015:ratio=12:attack=10:release=400[duck]")
    parts.append(
        "[duck][vo]amix=inputs=2:normalize=0:duration=first,loudnorm=I=-14:TP=-1.5:LRA=11,aresample=48000[aout]"
    )
    inputs = [a for cut in cuts for a in toolkit.input_args(cut.clip)] + [
        a for cut in cuts for a in toolkit.input_args(cut.voice)
    ]  # type: ignore[arg-type]
    inputs += toolkit.input_args(music)
    return [
        toolkit.exe,
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        *inputs,
        "-filter_complex",
        ";".join(parts),
        "-map",
        "[vout]",
        "-map",
        "[aout]",
        "-c:v",
        "libx264",
        "-preset",
        preset,
        "-crf",
        "21",
        "-pix_fmt",
        "yuv420p",
        "-r",
        str(FPS),
        "-threads",
        "2",
        "-c:a",
        "aac",
        "-b:a",
        "160k",
        "-ac",
        "2",
        "-t",
        f"{total}",
        "-movflags",
        "+faststart",
        str(out),
    ]


def _usage() -> tuple[float, float]:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def measure(action: Any) -> dict[str, float]:
    self0, kids0 = _usage()
    started = time.perf_counter()
    action()
    wall = time.perf_counter() - started
    self1, kids1 = _usage()
    return {"wall_s": wall, "cpu_s": (self1 - self0) + (kids1 - kids0), "ffmpeg_cpu_s": kids1 - kids0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--preset", default="veryfast")
    parser.add_argument("--scenes", type=int, nargs="+", default=[6])
    parser.add_argument("--ours-only", action="store_true")
    args = parser.parse_args()
    toolkit = CountingToolkit()
    six = prepare(toolkit)
    if args.ours_only:
        return ours_only(toolkit, six, args)
    cuts = [six[i % len(six)] for i in range(args.scenes[0])]
    music = write_music_bed(OUT / "music.wav", SCENE_S * len(cuts) + 2, seed=1)
    spec = EditSpec(tuple(cuts), W, H, fps=FPS, music=music, preset=args.preset)
    producer = PostProducer(toolkit)
    ours: list[dict[str, float]] = []
    reference: list[dict[str, float]] = []
    for run in range(args.runs):
        toolkit.runs.clear()
        result: dict[str, Any] = {}
        ours.append(measure(lambda: result.setdefault("r", producer.render(spec, OUT / "ours.mp4", OUT / "work"))))  # noqa: B023  (called at once)
        passes = len(toolkit.runs)
        command = reference_command(toolkit, cuts, music, OUT / "reference.mp4", args.preset)
        reference.append(measure(lambda: subprocess.run(command, check=True, capture_output=True)))  # noqa: B023
        logger.info("run %d: ours %.1f s, reference %.1f s", run + 1, ours[-1]["wall_s"], reference[-1]["wall_s"])
        if run == 0:
            same_work(OUT / "ours.mp4", OUT / "reference.mp4")
    median = {
        side: {k: round(statistics.median(r[k] for r in runs), 2) for k in runs[0]}
        for side, runs in (("ours", ours), ("reference", reference))
    }
    video = result["r"].video
    print(
        json.dumps(
            {
                "bench": "postprod",
                "ad_s": round(video.duration_s, 2),
                "size": f"{video.width}x{video.height}",
                "scenes": len(cuts),
                "preset": args.preset,
                "runs": args.runs,
                "ours": {**median["ours"], "ffmpeg_invocations": passes, "lossy_video_encodes": 1},
                "reference": {**median["reference"], "ffmpeg_invocations": 1, "lossy_video_encodes": 1},
                "wall_ratio": round(median["ours"]["wall_s"] / median["reference"]["wall_s"], 3),
                "cpu_ratio": round(median["ours"]["cpu_s"] / median["reference"]["cpu_s"], 3),
                "all_walls_s": {
                    "ours": [round(r["wall_s"], 2) for r in ours],
                    "reference": [round(r["wall_s"], 2) for r in reference],
                },
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
            }
        )
    )


def output_facts(path: Path) -> dict[str, Any]:
    """What a comparison of times must hold equal: duration, size, frames and sound, read by decoding."""
    import av

    with av.open(str(path)) as container:
        video = container.streams.video[0]
        frames = sum(1 for packet in container.demux(video) if packet.size)
    with av.open(str(path)) as container:
        audio = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(audio))
        rate = audio.rate
    return {
        "size": (video.codec_context.width, video.codec_context.height),
        "frames": frames,
        "video_s": round(frames / FPS, 3),
        "audio_s": round(samples / rate, 2),
    }


def same_work(ours: Path, reference: Path) -> None:
    """Refuse to compare times unless both sides made the same ad (within one frame and 50 ms of sound)."""
    a, b = output_facts(ours), output_facts(reference)
    problems = [
        name
        for name, equal in (
            ("size", a["size"] == b["size"]),
            ("frames", abs(a["frames"] - b["frames"]) <= 1),
            ("audio", abs(a["audio_s"] - b["audio_s"]) <= 0.05),
        )
        if not equal
    ]
    if problems:
        raise SystemExit(f"the reference did different work ({', '.join(problems)}): ours {a}, reference {b}")


def _music(seconds: float, name: str = "music.wav") -> Path:
    """The music bed, a little longer where the synthesiser trips on a length (a known bug in `synthesise`)."""
    for extra in range(0, 40):
        try:
            return write_music_bed(OUT / name, seconds + extra * 0.25, seed=1)
        except ValueError:
            continue
    raise RuntimeError("no music bed")


def ours_only(toolkit: CountingToolkit, six: list[SceneCut], args: argparse.Namespace) -> None:
    from bench.measure import measure as sampled

    if len(args.scenes) > 1:
        return side_by_side(args)
    count = args.scenes[0]
    cuts = [six[i % len(six)] for i in range(count)]
    music = _music(SCENE_S * count + 2, f"music-{count}.wav")
    spec = EditSpec(tuple(cuts), W, H, fps=FPS, music=music, preset=args.preset)
    producer, runs = PostProducer(toolkit), []
    for _ in range(args.runs):
        toolkit.runs.clear()
        result, figures = sampled(lambda: producer.render(spec, OUT / "ours.mp4", OUT / "work"))
        runs.append({**figures, "ffmpeg_invocations": len(toolkit.runs)})
    print(json.dumps({"bench": "postprod", "scenes": count, "ad_s": round(result.video.duration_s, 2), "runs": runs}))


def side_by_side(args: argparse.Namespace) -> None:
    """Each count in turn, each render in a fresh process (one render's Python heap would carry into
    the next), `--runs` rounds; one line with every run, the medians and the largest count's peak over
    the smallest's."""
    runs: dict[int, list[dict[str, Any]]] = {count: [] for count in args.scenes}
    for _ in range(args.runs):
        for count in args.scenes:
            command = [sys.executable, "-m", "bench.bench_postprod", "--ours-only", "--runs", "1"]
            command += ["--preset", args.preset, "--scenes", str(count)]
            done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
            runs[count] += json.loads(done.stdout.strip().splitlines()[-1])["runs"]
    medians = {
        count: {k: round(statistics.median(r[k] for r in runs[count]), 1) for k in ("cpu_s", "together_mb")}
        for count in args.scenes
    }
    low, high = min(args.scenes), max(args.scenes)
    ratio = round(medians[high]["together_mb"] / medians[low]["together_mb"], 3)
    print(json.dumps({"bench": "postprod", "runs": runs, "medians": medians, "peak_ratio": ratio}))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    main()
