"""Benchmark the editor's preview proxy: a 30 s edit (six 5 s clips at 1080x1920 with
transitions, two voice lines per clip, a music bed ducked under them, 12 captions) rendered
as the 360x640 ultrafast proxy, and the same edit exported at 1080p standard, each once.

Also the two-stage proxy (`render_proxy`: per-clip segments cached by fingerprint, then one
join): cold (no segments yet), after changing one caption (no clip decoded again) and after
trimming one clip (one segment re-rendered), and the still frame at the playhead (at a cut and
inside a transition).

Reports wall time, CPU time (user+sys of the FFmpeg children), the ratio of wall time to the
edit's length, and the load average before and after each render, as one JSON line. The
issue's target for the proxy is at most 0.25x the edit's duration on this machine's 2 cores
(a quiet machine; the load average says how quiet it was).

Usage: .venv/bin/python bench/bench_editor_proxy.py [--skip-export]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.adapters.media.edit_render import EditRenderer, export_settings, frame_settings, proxy_settings  # noqa: E402
from core.adapters.media.ffmpeg import FfmpegToolkit  # noqa: E402
from core.domain import edit as ops  # noqa: E402
from tests.editor_support import make_clip, make_tone  # noqa: E402


def _edit(folder: Path) -> tuple[ops.EditDoc, dict[str, Path]]:
    sources: dict[str, Path] = {}
    clips = []
    names = ["cut", "dissolve", "wipe left", "slide right", "circle open", "fade to black"]
    for index, name in enumerate(names):
        key = f"clip{index}"
        pattern = "testsrc2" if index % 2 else "testsrc"
        sources[key] = make_clip(folder / f"{key}.mp4", 5.5, size="1080x1920", pattern=pattern)
        seconds = 0.5 if ops.TRANSITIONS[name] else 0.0
        clips.append(
            ops.VideoClip(key, key, 5.5, 0.0, 5.5, f"Scene {index + 1}", transition=name, transition_s=seconds)
        )
    voices = []
    for index in range(12):
        key = f"voice{index}"
        sources[key] = make_tone(folder / f"{key}.wav", 2.0, 200 + 20 * index)
        voices.append(ops.AudioItem(key, key, 2.0, 0.2 + index * 2.45, 0.0, 2.0, f"Line {index + 1}"))
    sources["music"] = make_tone(folder / "music.wav", 32.0, 110)
    music = ops.AudioTrack((ops.AudioItem("music", "music", 32.0, 0.0, 0.0, 32.0, "Bed"),), 0.35, 0.5, 1.0)
    captions = tuple(
        ops.CaptionItem(f"c{i}", 0.2 + i * 2.45, 2.2 + i * 2.45, f"Caption number {i + 1} says a few words")
        for i in range(12)
    )
    doc = ops.EditDoc(tuple(clips), ops.AudioTrack(tuple(voices)), music, captions)
    return ops.validate(doc), sources


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(renderer: EditRenderer, doc: ops.EditDoc, sources: dict[str, Path], dest: Path, settings, run=None) -> dict:  # type: ignore[no-untyped-def, type-arg]
    before, cpu = os.getloadavg()[0], _children_cpu()
    start = time.perf_counter()
    if run is None:
        renderer.render(doc, sources, dest, settings)
    else:
        run()
    wall = time.perf_counter() - start
    length = ops.total_s(doc)
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(_children_cpu() - cpu, 2),
        "ratio": round(wall / length, 3),
        "load_before": before,
        "load_after": os.getloadavg()[0],
    }


def _staged(renderer: EditRenderer, doc: ops.EditDoc, sources: dict[str, Path], folder: Path) -> dict:  # type: ignore[type-arg]
    """The two-stage proxy: cold, after one caption changes, after one clip is trimmed; and frames."""
    settings, segments, out = proxy_settings("9:16"), folder / "segments", {}
    steps = [
        ("proxy_staged_cold", doc),
        ("proxy_staged_after_caption", ops.edit_caption(doc, "c3", "A new caption for this line", 7.6, 9.4)),
    ]
    steps.append(("proxy_staged_after_trim", ops.trim_clip(steps[-1][1], "clip2", 0.3, 5.5)))
    for name, version in steps:
        dest = folder / f"{name}.mp4"
        out[name] = _timed(
            renderer,
            version,
            sources,
            dest,
            settings,
            lambda v=version, d=dest: renderer.render_proxy(v, sources, d, settings, segments),
        )
    still = frame_settings("9:16")
    for name, at in (("frame_at_12.3s", 12.3), ("frame_in_transition_5.2s", 5.2)):
        dest = folder / f"{name}.jpg"
        out[name] = _timed(
            renderer, doc, sources, dest, still, lambda a=at, d=dest: renderer.frame(doc, sources, a, d, still)
        )
        out[name].pop("ratio")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-export", action="store_true")
    args = parser.parse_args()
    renderer = EditRenderer(FfmpegToolkit(timeout_s=1800.0))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        doc, sources = _edit(folder)
        report = {"edit_s": round(ops.total_s(doc), 2), "cores": os.cpu_count()}
        report["proxy_360x640_ultrafast"] = _timed(renderer, doc, sources, folder / "proxy.mp4", proxy_settings("9:16"))
        report |= _staged(renderer, doc, sources, folder)
        if not args.skip_export:
            settings = export_settings("1080p", "mp4", "standard", "9:16")
            report["export_1080x1920_standard"] = _timed(renderer, doc, sources, folder / "export.mp4", settings)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
