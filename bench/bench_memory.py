"""Peak memory of the offline renders (issue 12): one talking video, and offline ads one or two at a time.

Memory is Python's resident set plus that of every FFmpeg child at the same moment, sampled
from /proc every 50 ms (`bench.measure`), with the load average before and after (the
machine is shared, so wall times here are context, not results).

- talking video: `LocalLipSyncer.render` of 30 s of eSpeak speech to 720x1280 H.264/AAC;
- ads: the fixed brief of `bench/bench_offline_ad.py` (30 s, 1080x1920, 30 fps), each taken
  to its storyboard review, then all approved at once and measured until every one is
  finished (embedded runner, 2 worker threads, as the app runs by default).

Usage: .venv/bin/python bench/bench_memory.py [--ads 2] [--seconds 30] [--skip-video]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("STUDIO_SECRETS_FILE", "/nonexistent/secrets.toml")

from bench.bench_offline_ad import to_gate  # noqa: E402
from bench.bench_wizard import wait_for  # noqa: E402
from bench.measure import measure  # noqa: E402
from core.adapters.media.ffmpeg import FfmpegToolkit  # noqa: E402
from core.adapters.providers.local.lipsync import LocalLipSyncer  # noqa: E402
from core.adapters.providers.local.speech import LocalSpeechSynthesizer  # noqa: E402
from core.bootstrap import build_services, install_services  # noqa: E402
from core.config import Settings  # noqa: E402
from core.domain.ads import AdStatus  # noqa: E402
from core.domain.types import Voice  # noqa: E402
from core.ports import SpeechRequest  # noqa: E402
from core.services.ads import generation  # noqa: E402
from seeds.loader import seed_actors  # noqa: E402

logger = logging.getLogger(__name__)
OUT = ROOT / "bench" / "out" / "memory"
LINE = "Okay, real talk. I was skeptical about this one, but after two weeks I am honestly hooked. "


def talking_video(seconds: float) -> dict[str, Any]:
    """One offline talking video of about `seconds` of speech, measured from speech to finished file."""
    toolkit = FfmpegToolkit()
    speech, syncer = LocalSpeechSynthesizer(toolkit), LocalLipSyncer(toolkit)
    text = LINE * max(1, round(seconds / 5.5))
    portrait = ROOT / "seeds" / "actors" / "ava_base_01.png"

    def render() -> float:
        voice = speech.collect(SpeechRequest(text, Voice("en-us")), None, OUT)  # type: ignore[arg-type]
        video = syncer.render(portrait, voice.path, OUT / "talking.mp4", width=720, height=1280)
        return video.duration_s

    duration, figures = measure(render)
    return {"what": "offline talking video, 720x1280", "video_s": round(duration, 2), **figures}


def ads_at_once(count: int, seconds: int) -> dict[str, Any]:
    settings = Settings(_env_file=None, data_dir=OUT / "data")  # type: ignore[call-arg]
    services = build_services(settings)
    install_services(services)
    services.db.migrate()
    seed_actors(services, with_previews=False)
    try:
        gated = [to_gate(services, seconds) for _ in range(count)]

        def approve_all() -> list[Any]:
            for user, ad_id in gated:
                generation.approve_storyboard(ad_id, user_id=user, services=services)
            return [wait_for(services, ad_id, user, (AdStatus.COMPLETED,)) for user, ad_id in gated]

        ads, figures = measure(approve_all)
    finally:
        services.close()
    qc = [bool(ad.outputs and ad.outputs[0].qc and ad.outputs[0].qc.passed) for ad in ads]
    return {"what": f"{count} offline ad(s) at once, {seconds} s 1080x1920", "qc_passed": qc, **figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ads", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--skip-video", action="store_true")
    args = parser.parse_args()
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    runs = [] if args.skip_video else [talking_video(30.0)]
    runs.append(ads_at_once(args.ads, args.seconds))
    for run in runs:
        print(json.dumps({"bench": "memory", **run, "cpus": os.cpu_count(), "python": platform.python_version()}))


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    main()
