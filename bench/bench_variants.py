"""P7: hook variants by partial re-encode vs full re-encode, side by side; and the peak memory
of a 100-variant batch run through the real services, jobs and renderer.

    .venv/bin/python -m bench.bench_variants [--variants 20] [--batch 100] [--batch-seconds 10]

1. A 30 s 1080x1920 30 fps H.264 source (2 s GOP, as phones and our own transcodes make),
   a 30 s soundtrack, 20 different hooks of 3 s. For each hook, alternately: the partial
   render (head under the hook re-encoded, rest stream-copied, joined) and the full render
   (the whole picture re-encoded with the hook). CPU = user + sys of this process and its
   FFmpeg children (getrusage), per side. Goal: partial <= 0.25x full.
2. A batch of `--batch` variants (every combination of 5 videos x 2 sounds x 10 hooks) of a
   `--batch-seconds` 1080x1920 source on the embedded runner (2 workers), the process tree's
   resident memory sampled every 100 ms. Goal: peak < 500 MB.
One JSON line per part.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("STUDIO_SECRETS_FILE", "/nonexistent/secrets.toml")

from core.adapters.media.ffmpeg import FfmpegToolkit  # noqa: E402
from core.adapters.media.variants import HookStyle, VariantRenderer, VariantSpec  # noqa: E402
from tests.procs import descendants  # noqa: E402
from tests.stubs.media import ffmpeg_exe  # noqa: E402

HOOKS = [
    "Stop scrolling if you have dry skin",
    "I tried it for 30 days",
    "Nobody talks about this",
    "This changed my morning routine",
    "POV: you finally found it",
    "3 reasons I switched",
    "Dermatologists hate how simple this is",
    "Wait for the end",
    "I was so wrong about this",
    "The $12 fix for tired eyes",
    "You need this before summer",
    "My sister made me try it",
    "Is it worth the hype?",
    "Day 1 vs day 30",
    "Don't buy it until you watch this",
    "The secret is in the texture",
    "Finally, no more breakouts",
    "Why is nobody using this?",
    "Honest review, no filter",
    "50% off ends tonight",
]


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def make_source(path: Path, seconds: float, size: str = "1080x1920") -> Path:
    subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size={size}:rate=30",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=220:sample_rate=48000",
            "-t",
            str(seconds),
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "21",
            "-g",
            "60",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            str(path),
        ],
        check=True,
    )
    return path


def make_sound(path: Path, seconds: float, freq: int = 330) -> Path:
    subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency={freq}:sample_rate=44100",
            "-t",
            str(seconds),
            "-c:a",
            "libmp3lame",
            str(path),
        ],
        check=True,
    )
    return path


def side_by_side(tmp: Path, variants: int) -> dict[str, object]:
    source, sound = make_source(tmp / "src.mp4", 30.0), make_sound(tmp / "vo.mp3", 30.0)
    renderer = VariantRenderer(FfmpegToolkit())
    cpu: dict[str, list[float]] = {"partial": [], "full": []}
    wall: dict[str, list[float]] = {"partial": [], "full": []}
    modes = set()
    for i, hook in enumerate(HOOKS[:variants]):
        spec = VariantSpec(source, sound, hook, HookStyle(duration_s=3.0))
        for side in ("partial", "full") if i % 2 == 0 else ("full", "partial"):
            before, started = _cpu(), time.perf_counter()
            result = renderer.render(spec, tmp / f"{side}-{i}.mp4", tmp / f"work-{side}-{i}", force_full=side == "full")
            cpu[side].append(_cpu() - before)
            wall[side].append(time.perf_counter() - started)
            modes.add((side, result.mode))
            (tmp / f"{side}-{i}.mp4").unlink()
    assert modes == {("partial", "partial"), ("full", "full")}, modes
    total = {side: sum(values) for side, values in cpu.items()}
    return {
        "bench": "variants_p7",
        "variants": variants,
        "source": "30 s 1080x1920 30 fps H.264, 2 s GOP",
        "hook_s": 3.0,
        "cpu_s": {k: round(v, 2) for k, v in total.items()},
        "cpu_ratio": round(total["partial"] / total["full"], 3),
        "median_wall_s": {k: round(statistics.median(v), 2) for k, v in wall.items()},
    }


def upload_now(services, project: str, data: bytes, title: str, user: str) -> str:  # type: ignore[no-untyped-def]
    """A library video from an upload, waiting for its job like the page's chip does."""
    from core.services.variant_factory import uploads

    upload_id = uploads.queue_video_upload(project, data, title=title, user_id=user, services=services)
    while (view := uploads.upload_status(upload_id, user_id=user, services=services)).active:
        time.sleep(0.2)
    assert view.video_id, view.error
    return view.video_id


def _kb(path: str, field: str) -> int:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(path).read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def _exe(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


def _what(pid: int) -> str:
    """A short name for an FFmpeg child: the option that tells its job apart."""
    with contextlib.suppress(OSError):
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        for hint, name in (("libx264", "x264 encode"), ("concat", "join"), ("h264_mp4toannexb", "tail copy")):
            if hint in args:
                return name
        return " ".join(a for a in args[:8] if not a.startswith("file:"))
    return ""


def tree_memory(pids: list[int]) -> dict[str, Any]:
    """RSS and PSS (shared library pages split between the processes that map them) of the
    tree, this process's RSS, the largest child's RSS and how many children, in MB. (The
    earlier figures summed RSS over every descendant, a child caught between fork and exec
    included: a copy of this process's RSS counted twice.)"""
    # A child between fork and exec is still this process (same pages): not counted twice.
    own = os.readlink(f"/proc/{pids[0]}/exe")
    children = [p for p in descendants(pids) if _exe(p) not in (own, "")]
    rss = {pid: _kb(f"/proc/{pid}/status", "VmRSS:") / 1024 for pid in [*pids, *children]}
    pss = sum(_kb(f"/proc/{pid}/smaps_rollup", "Pss:") for pid in rss) / 1024
    biggest = max(children, key=lambda p: rss[p], default=None)
    return {
        "child_what": _what(biggest) if biggest else "",
        "tree_rss": sum(rss.values()),
        "tree_pss": pss,
        "python_rss": sum(rss[p] for p in pids),
        "child_rss": max((rss[p] for p in children), default=0.0),
        "children": len(children),
    }


def batch_memory(tmp: Path, count: int, seconds: float, encode_slots: int = 1) -> dict[str, object]:
    from core.adapters.media import variants
    from core.adapters.queue.embedded import EmbeddedQueue
    from core.bootstrap import build_services, install_services
    from core.config import Settings
    from core.services.accounts.identity import ensure_user
    from core.services.talking import projects
    from core.services.variant_factory import audio, batches, handoff, hooks
    from tests.fakes import fake_providers

    tmp.mkdir(parents=True, exist_ok=True)
    variants.ENCODE_SLOTS = threading.BoundedSemaphore(encode_slots)  # 2 = as before (no gate with 2 workers)
    settings = Settings(_env_file=None, data_dir=tmp / "data", factory_batch_max_variants=max(100, count))  # type: ignore[call-arg]
    services = build_services(settings, queue=EmbeddedQueue(workers=2), providers=fake_providers())
    services.db.migrate()
    install_services(services)
    user = ensure_user(services.db, "bench@example.com")
    project = projects.create_project("Bench", owner_id=user, services=services).id
    source = make_source(tmp / "batch.mp4", seconds).read_bytes()
    videos = [upload_now(services, project, source, f"v{i}", user) for i in range(5)]
    sounds = [
        audio.upload_audio(
            project,
            make_sound(tmp / f"s{i}.mp3", seconds, 300 + 50 * i).read_bytes(),
            title=f"s{i}",
            user_id=user,
            services=services,
        )
        for i in range(2)
    ]
    hooks.add_hooks(project, "\n".join(HOOKS[: max(1, count // 10)]), category="offer", user_id=user, services=services)
    request = batches.BatchRequest(
        project, video_ids=tuple(videos), audio_ids=tuple(sounds), hook_categories=("offer",), mode="every_combination"
    )
    peak: dict[str, float] = {"tree_rss": 0.0, "tree_pss": 0.0, "python_rss": 0.0, "child_rss": 0.0, "children": 0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            now = tree_memory([os.getpid()])
            if now["tree_rss"] > peak["tree_rss"]:
                peak["at_peak"] = now  # type: ignore[assignment]
            if now["child_rss"] > peak["child_rss"]:
                peak["child_what"] = now["child_what"]  # type: ignore[assignment]
            for key in ("tree_rss", "tree_pss", "python_rss", "child_rss", "children"):
                peak[key] = max(peak[key], now[key])  # type: ignore[index]
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    cpu_start, python_start = _cpu(), tree_memory([os.getpid()])["python_rss"]
    started = time.perf_counter()
    batch_id = batches.create_batch(request, user_id=user, services=services)
    while not handoff.batch_status(batch_id, user_id=user, services=services).finished:
        time.sleep(0.5)
    elapsed = time.perf_counter() - started
    stop.set()
    sampler.join()
    status = handoff.batch_status(batch_id, user_id=user, services=services)
    services.close()
    return {
        "bench": "variants_batch_memory",
        "variants": status.total,
        "counts": status.counts,
        "source": f"{seconds:g} s 1080x1920",
        "wall_s": round(elapsed, 1),
        "encode_slots": encode_slots,
        "peak_rss_tree_mb": round(peak["tree_rss"], 1),
        "peak_pss_tree_mb": round(peak["tree_pss"], 1),
        "python_rss_start_mb": round(python_start, 1),
        "peak_python_rss_mb": round(peak["python_rss"], 1),
        "peak_child_rss_mb": round(peak["child_rss"], 1),
        "peak_child_what": peak.get("child_what", ""),
        "at_peak": {k: v if isinstance(v, str) else round(v, 1) for k, v in peak.get("at_peak", {}).items()},  # type: ignore[union-attr]
        "cpu_s": round(_cpu() - cpu_start, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", type=int, default=20)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--batch-seconds", type=float, default=10.0)
    parser.add_argument("--skip-batch", action="store_true")
    parser.add_argument("--skip-p7", action="store_true")
    parser.add_argument(
        "--encode-slots", type=int, action="append", help="x264 encodes at once (1 = committed, 2 = before); repeatable"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_p7:
            load = os.getloadavg()
            result = side_by_side(Path(tmp), args.variants)
            print(
                json.dumps({**result, "loadavg_start": load, "loadavg_end": os.getloadavg(), "cpus": os.cpu_count()}),
                flush=True,
            )
        for n, slots in enumerate([] if args.skip_batch else args.encode_slots or [1]):
            load = os.getloadavg()
            result = batch_memory(Path(tmp) / f"batch{n}", args.batch, args.batch_seconds, slots)
            print(json.dumps({**result, "loadavg_start": load, "loadavg_end": os.getloadavg()}), flush=True)


if __name__ == "__main__":
    main()
