"""What continuity (issue 18) adds per clip, side by side in one run: the exact last frame of an
8 s 720x1280 H.264 clip (`last_frame` step, every chained clip), the join of two such clips by
stream copy (an extension chained from the last frame) and, for scale, one re-encode of the joined
clip at the studio's settings (what a re-encoding join would have cost).

    .venv/bin/python -m bench.repeat -- .venv/bin/python -m bench.bench_continuity

Prints one JSON line: CPU seconds (user + sys, FFmpeg included) of each, and the ratios.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from bench.measure import load, measure
from core.adapters.media.ffmpeg import FfmpegToolkit
from core.adapters.media.last_frame import extract_last_frame

WIDTH, HEIGHT, SECONDS = 720, 1280, 8.0


def _clip(toolkit: FfmpegToolkit, path: Path) -> Path:
    toolkit.run(
        ["-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate=24:duration={SECONDS}",
         "-f", "lavfi", "-i", f"sine=frequency=440:duration={SECONDS}", "-c:a", "aac", "-shortest",
         "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", str(path)],
        what="bench clip",
    )  # fmt: skip
    return path


def main() -> None:
    toolkit = FfmpegToolkit()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        first, second = _clip(toolkit, work / "a.mp4"), _clip(toolkit, work / "b.mp4")
        start = load()
        _, last = measure(lambda: extract_last_frame(toolkit, first, work / "last"))
        joined, join = measure(lambda: toolkit.concat([first, second], work / "joined.mp4"))
        _, encode = measure(
            lambda: toolkit.run(
                [*toolkit.input_args(joined.path), "-c:v", "libx264", "-preset", "veryfast", "-crf", "21",
                 "-c:a", "aac", str(work / "reencoded.mp4")],
                what="re-encode",
            )
        )  # fmt: skip
        print(
            json.dumps(
                {
                    "bench": "continuity",
                    "clip": f"{WIDTH}x{HEIGHT} {SECONDS:g} s",
                    "last_frame_cpu_s": round(last["cpu_s"], 3),
                    "join_cpu_s": round(join["cpu_s"], 3),
                    "reencode_cpu_s": round(encode["cpu_s"], 3),
                    "last_frame_vs_reencode": round(last["cpu_s"] / encode["cpu_s"], 3),
                    "join_vs_reencode": round(join["cpu_s"] / encode["cpu_s"], 3),
                    "joined_s": round(joined.duration_s, 2),
                    "load_start": start,
                    "load_end": load(),
                }
            )
        )


if __name__ == "__main__":
    main()
