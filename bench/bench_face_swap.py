"""Benchmark the offline face swap on a 720x1280 talking-head video (issue 17).

Usage (from the repository root):
    .venv/bin/python bench/bench_face_swap.py [--seconds 10] [--runs 3]

Builds a source video from a seed portrait (the head drifts a little each frame, with a
sine-tone audio track that must survive), swaps in another seed face with
`LocalFaceSwapper` (probe, per-frame cascade, colour match, seamless clone, H.264), and
prints one JSON line: seconds of work per second of video (median over runs), frames
swapped, and the load average before and after (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import imageio_ffmpeg  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from core.adapters.media.face_swap import swap_video  # noqa: E402
from core.adapters.media.probe import probe_media  # noqa: E402
from core.adapters.providers.local.face_swap import LocalFaceSwapper  # noqa: E402
from core.ports import FaceSwapRequest  # noqa: E402

SEEDS = ROOT / "seeds" / "actors"
W, H, FPS = 720, 1280, 25


def source_video(dest: Path, seconds: float) -> Path:
    base = np.asarray(Image.open(SEEDS / "ava_base_01.png").convert("RGB").resize((W, H)))
    silent = dest.with_suffix(".silent.mp4")
    writer = imageio_ffmpeg.write_frames(str(silent), (W, H), fps=FPS, codec="libx264", macro_block_size=2,
                                         output_params=["-preset", "veryfast", "-crf", "20"])  # fmt: skip
    writer.send(None)
    for i in range(int(FPS * seconds)):
        shift = int(6 * np.sin(i / 12))  # a small sway so every frame's face is found anew
        writer.send(np.ascontiguousarray(np.roll(base, shift, axis=1)))
    writer.close()
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    subprocess.run(
        [ffmpeg, "-y", "-loglevel", "error", "-i", str(silent), "-f", "lavfi",
         "-i", f"sine=frequency=220:duration={seconds}", "-c:v", "copy", "-c:a", "aac", "-shortest", str(dest)],
        check=True,
    )  # fmt: skip
    return dest


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        video = source_video(work / "source.mp4", args.seconds)
        face = work / "face.png"
        Image.open(SEEDS / "kenji_base_08.png").save(face)
        swapper = LocalFaceSwapper(max_seconds=600)
        request = FaceSwapRequest(video=video, face=face, duration_s=args.seconds)
        load_before = os.getloadavg()
        timings, out = [], None
        for run in range(args.runs):
            started = time.perf_counter()
            out = swapper.collect(request, swapper.poll(swapper.submit(request).request_id), work / f"out-{run}")
            timings.append(time.perf_counter() - started)
        load_after = os.getloadavg()
        assert out is not None
        info = probe_media(out.path)
        face_rgb = np.asarray(Image.open(face).convert("RGB"))
        stats = swap_video(video, face_rgb, work / "stats.mp4", ffmpeg_safe_input=["-protocol_whitelist", "file"])
    median = statistics.median(timings)
    print(json.dumps({
        "video": f"{W}x{H} @ {FPS} fps, {args.seconds:.0f} s", "runs": args.runs,
        "seconds_per_video_second_median": round(median / args.seconds, 3),
        "seconds_per_video_second_all": [round(t / args.seconds, 3) for t in timings],
        "frames": stats.frames, "frames_swapped": stats.swapped,
        "output_has_audio": info.has_audio, "output_duration_s": round(info.duration_s, 2),
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in load_after],
        "cpus": os.cpu_count(), "python": platform.python_version(),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
