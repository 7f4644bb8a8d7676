"""Benchmark the editor's export against a hand-written single-pass FFmpeg command, side by side.

The same 30 s edit as bench_editor_proxy (six 5.5 s 1080x1920 clips with five transitions,
twelve voice lines, a music bed ducked under them, twelve captions) is exported at 1080x1920
MP4 "standard" (x264 veryfast CRF 21, AAC 128k, 30 fps) by the editor (`EditRenderer.render`,
an ffmpeg-python graph) and by a reference command written out by hand here as one
`-filter_complex` string over the same inputs with the same filters and encoder settings.
Before any time is compared the two files must agree on duration, resolution, video frame
count and audio length. The two alternate (ours, reference, ours, reference, ...) so load
drifts hit both; reported: wall and CPU (user+sys of the FFmpeg child) per run, the medians
and the ratio ours/reference, and the load average before and after.

Usage: .venv/bin/python bench/bench_editor_export.py [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import av

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_editor_proxy import _edit  # noqa: E402
from core.adapters.media.captions import FONT  # noqa: E402
from core.adapters.media.edit_render import EditRenderer, export_settings  # noqa: E402
from core.adapters.media.ffmpeg import FfmpegToolkit  # noqa: E402
from core.domain import edit as ops  # noqa: E402


def _reference_command(exe: str, doc: ops.EditDoc, sources: dict[str, Path], folder: Path, out: Path) -> list[str]:
    """The export written by hand: every input trimmed by -ss/-t, one filter_complex string."""
    total, w, h, fps = ops.total_s(doc), 1080, 1920, 30
    args = [exe, "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    for clip in doc.clips:
        args += ["-ss", f"{clip.in_s:.3f}", "-t", f"{clip.length_s:.3f}", "-i", str(sources[clip.source_key])]
    for item in doc.voice.items + doc.music.items:
        args += ["-ss", f"{item.in_s:.3f}", "-t", f"{item.length_s:.3f}", "-i", str(sources[item.source_key])]
    args += ["-f", "lavfi", "-t", f"{total:.3f}", "-i", "anullsrc=r=48000:cl=stereo"]
    graph = []
    for i, _clip in enumerate(doc.clips):
        graph.append(
            f"[{i}:v]scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},setsar=1,fps={fps},"
            f"format=yuv420p,settb=AVTB,setpts=PTS-STARTPTS[v{i}]"
        )
    current, length = "[v0]", doc.clips[0].length_s
    for i, clip in enumerate(doc.clips[1:], start=1):
        kind = ops.TRANSITIONS[clip.transition]
        if kind:
            offset = length - clip.transition_s
            graph.append(
                f"{current}[v{i}]xfade=transition={kind}:duration={clip.transition_s}:offset={offset:.3f}[j{i}]"
            )
            length += clip.length_s - clip.transition_s
        else:
            graph.append(f"{current}[v{i}]concat=n=2:v=1:a=0[j{i}]")
            length += clip.length_s
        current = f"[j{i}]"
    size = 56
    drawn = []
    for i, cap in enumerate(doc.captions):
        text = folder / f"ref{i}.txt"
        text.write_text("\n".join(textwrap.wrap(cap.text, max(8, int(w * 0.86 / (size * 0.58))))[:4]), encoding="utf-8")
        drawn.append(
            f"drawtext=fontfile={FONT}:textfile={text}:expansion=none:fontsize={size}:fontcolor=0xFFFFFF:"
            f"borderw=3:bordercolor=0x000000:x=(w-text_w)/2:y=h*0.80-text_h:line_spacing={size // 5}:"
            f"enable='between(t,{cap.start_s:.3f},{cap.end_s:.3f})'"
        )
    graph.append(f"{current}{','.join(drawn)}[vout]")
    first, audio = len(doc.clips), "aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo"
    voices = []
    for k, item in enumerate(doc.voice.items):
        graph.append(f"[{first + k}:a]{audio},adelay=delays={round(item.start_s * 1000)}:all=1[vo{k}]")
        voices.append(f"[vo{k}]")
    graph.append(
        f"{''.join(voices)}amix=inputs={len(voices)}:normalize=0:duration=longest,apad=whole_dur={total:.3f},"
        f"atrim=0:{total:.3f},volume=1.000[voice]"
    )
    music, silence = first + len(doc.voice.items), first + len(doc.voice.items) + len(doc.music.items)
    graph.append(
        f"[{music}:a]{audio},adelay=delays=0:all=1,apad=whole_dur={total:.3f},atrim=0:{total:.3f},volume=0.350,"
        f"afade=t=in:st=0:d=0.500,afade=t=out:st={total - 1.0:.3f}:d=1.000[music]"
    )
    graph.append(f"[{silence}:a]{audio},atrim=0:{total:.3f}[silence]")
    graph.append("[voice]asplit=2[voicemix][voicekey]")
    graph.append("[music][voicekey]sidechaincompress=threshold=0.03:ratio=8:attack=20:release=350[ducked]")
    graph.append(
        f"[silence][voicemix][ducked]amix=inputs=3:normalize=0:duration=first,volume=1.000,atrim=0:{total:.3f}[aout]"
    )
    encode = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "21", "-pix_fmt", "yuv420p"]
    encode += ["-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", "-threads", "2", "-f", "mp4"]
    maps = ["-map", "[vout]", "-map", "[aout]", "-t", f"{total:.3f}"]
    return [*args, "-filter_complex", ";".join(graph), *maps, *encode, str(out)]


def _facts(path: Path) -> dict[str, float]:
    with av.open(str(path)) as container:
        video, sound = container.streams.video[0], container.streams.audio[0]
        frames = sum(1 for _ in container.demux(video))
    with av.open(str(path)) as container:
        sound = container.streams.audio[0]
        samples = sum(p.duration or 0 for p in container.demux(sound) if p.size)
        rate = sound.time_base
    with av.open(str(path)) as container:
        duration = float(container.duration or 0) / 1e6
    return {
        "duration_s": round(duration, 3),
        "width": video.codec_context.width,
        "height": video.codec_context.height,
        "frames": frames,
        "audio_s": round(float(samples * rate), 3),
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(run) -> dict[str, float]:  # type: ignore[no-untyped-def]
    cpu, start = _children_cpu(), time.perf_counter()
    run()
    return {"wall_s": round(time.perf_counter() - start, 2), "cpu_s": round(_children_cpu() - cpu, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    toolkit = FfmpegToolkit(timeout_s=3600.0)
    renderer, settings = EditRenderer(toolkit), export_settings("1080p", "mp4", "standard", "9:16")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        doc, sources = _edit(folder)
        doc = ops.validate(ops.EditDoc(doc.clips, doc.voice, doc.music, doc.captions))
        ours_out, ref_out = folder / "ours.mp4", folder / "reference.mp4"
        reference = _reference_command(toolkit.exe, doc, sources, folder, ref_out)
        report: dict[str, object] = {"edit_s": round(ops.total_s(doc), 2), "cores": os.cpu_count()}
        report["load_before"] = os.getloadavg()
        ours_runs, ref_runs = [], []
        for _ in range(args.rounds):
            ours_runs.append(_timed(lambda: renderer.render(doc, sources, ours_out, settings)))
            ref_runs.append(_timed(lambda: subprocess.run(reference, check=True)))
        report["load_after"] = os.getloadavg()
        ours_facts, ref_facts = _facts(ours_out), _facts(ref_out)
        assert ours_facts["width"] == ref_facts["width"] == 1080 and ours_facts["height"] == ref_facts["height"] == 1920
        assert ours_facts["frames"] == ref_facts["frames"], (ours_facts, ref_facts)
        assert abs(ours_facts["duration_s"] - ref_facts["duration_s"]) < 0.05, (ours_facts, ref_facts)
        assert abs(ours_facts["audio_s"] - ref_facts["audio_s"]) < 0.05, (ours_facts, ref_facts)
        report |= {"ours": ours_runs, "reference": ref_runs, "ours_facts": ours_facts, "reference_facts": ref_facts}
        for what in ("wall_s", "cpu_s"):
            ours_median = statistics.median(r[what] for r in ours_runs)
            ref_median = statistics.median(r[what] for r in ref_runs)
            report[f"ratio_{what[:-2]}"] = round(ours_median / ref_median, 3)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
