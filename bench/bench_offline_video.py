"""Benchmark the offline path: 60 s of eSpeak speech -> 720x1280 talking video via LocalLipSyncer.

Usage (from the repository root):
    .venv/bin/python bench/bench_offline_video.py [--seconds 60] [--actor ava_base_01] [--preset veryfast]

Prints one JSON line: wall time of each stage, the render's ratio to the audio length,
and peak RSS of this process and of the largest child (ffmpeg) from getrusage.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.adapters.media.ffmpeg import FfmpegToolkit, file_url  # noqa: E402
from core.adapters.providers.local.lipsync import LocalLipSyncer  # noqa: E402
from core.adapters.providers.local.speech import LocalSpeechSynthesizer  # noqa: E402
from core.domain.media import AudioClip  # noqa: E402
from core.domain.types import Voice  # noqa: E402
from core.ports import LipSyncRequest, SpeechRequest  # noqa: E402

logger = logging.getLogger(__name__)

SCRIPT = (
    "Okay, real talk. I was skeptical about this one, but after two weeks I'm honestly hooked. "
    "It takes less than a minute in the morning, it fits in my bag, and it actually works. "
    "If you've been on the fence, this is your sign. Tap the link and see for yourself. "
)
OUT = ROOT / "bench" / "out"


def _speech(seconds: float, voice: Voice, toolkit: FfmpegToolkit) -> AudioClip:
    """Loop the script until eSpeak gives at least `seconds`, then trim to exactly that."""
    tts = LocalSpeechSynthesizer(toolkit)
    text = SCRIPT
    while True:
        request = SpeechRequest(text=text, voice=voice)
        clip = tts.collect(request, tts.poll(tts.submit(request).request_id), OUT)
        if clip.duration_s >= seconds:
            break
        clip.path.unlink(missing_ok=True)
        text += SCRIPT
    trimmed = OUT / f"speech-{seconds:g}s.mp3"
    toolkit.run(
        [
            *toolkit.input_args(clip.path),
            "-t",
            f"{seconds:.3f}",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "128k",
            "-f",
            "mp3",
            file_url(trimmed),
        ],
        what="bench trim",
    )
    clip.path.unlink(missing_ok=True)
    return AudioClip(trimmed, toolkit.probe(trimmed).duration_s)


def _mb(kilobytes: int) -> float:
    return round(kilobytes / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--actor", default="ava_base_01")
    parser.add_argument("--preset", default="veryfast")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    toolkit = FfmpegToolkit()

    started = time.perf_counter()
    clip = _speech(args.seconds, Voice("en-us+f3", "en-us", 168, 58), toolkit)
    tts_s = time.perf_counter() - started

    syncer = LocalLipSyncer(toolkit, preset=args.preset, threads=args.threads)
    image = ROOT / "seeds" / "actors" / f"{args.actor}.png"
    request = LipSyncRequest(image=image, audio=clip.path, audio_duration_s=clip.duration_s)
    started = time.perf_counter()
    video = syncer.collect(request, syncer.poll(syncer.submit(request).request_id), OUT)
    render_s = time.perf_counter() - started

    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        json.dumps(
            {
                "bench": "offline_video",
                "audio_s": round(clip.duration_s, 2),
                "video_s": round(video.duration_s, 2),
                "size": f"{video.width}x{video.height}",
                "preset": args.preset,
                "tts_wall_s": round(tts_s, 2),
                "render_wall_s": round(render_s, 2),
                "render_ratio": round(render_s / clip.duration_s, 3),
                "peak_rss_self_mb": _mb(self_kb),
                "peak_rss_child_mb": _mb(child_kb),
                "peak_rss_sum_mb": _mb(self_kb + child_kb),
                "output_mb": round(video.path.stat().st_size / 1e6, 2),
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
            }
        )
    )


if __name__ == "__main__":
    main()
