"""Benchmark the zero-key ad: a fixed brief to a finished offline 30 s 1080x1920 ad, and its frame sheet.

The wizard's services as the page calls them (product, DNA, catalog avatar, brief,
script, generate), offline providers, default settings (1080x1920, 30 fps, x264
veryfast), embedded runner with 2 worker threads. Measured from the approved storyboard
to the finished file (voice lines, six lip-synced clips, post-production, quality
check): wall time, CPU time of the process tree (user + sys, FFmpeg included) and peak
memory of Python and FFmpeg together, sampled from /proc, with the load average. With
`--sheet PATH` it also writes one frame from the middle of each scene's line, side by
side (a small JPEG for the docs).

Usage: .venv/bin/python bench/bench_offline_ad.py [--seconds 30] [--sheet docs/offline_ad_frames.jpg]
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

from PIL import Image  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench.bench_wizard import wait_for  # noqa: E402
from bench.measure import measure  # noqa: E402
from core.adapters.db.models.jobs import JobStep  # noqa: E402
from core.adapters.media.probe import open_container, require_sniff  # noqa: E402
from core.bootstrap import Services, build_services, install_services  # noqa: E402
from core.config import Settings  # noqa: E402
from core.domain.ads import AdStatus, BriefInput, Platform  # noqa: E402
from core.services.accounts.identity import ensure_user  # noqa: E402
from core.services.ads import avatar, generation, product, script, wizard  # noqa: E402
from core.services.talking.catalog import list_actors  # noqa: E402
from core.services.talking.projects import create_project  # noqa: E402
from seeds.loader import seed_actors  # noqa: E402

logger = logging.getLogger(__name__)
OUT = ROOT / "bench" / "out" / "offline_ad"
PROMPT = "A vitamin C serum for busy mornings; tired of dull, tired-looking skin; light texture, fresh citrus scent"


def to_gate(services: Services, seconds: int) -> tuple[str, str]:
    from tests.ugc_support import product_png

    user = ensure_user(services.db, "bench@example.com")
    project = create_project("Bench", owner_id=user, services=services)
    ad_id = wizard.open_wizard(project.id, user_id=user, services=services)
    product.save_product_info(ad_id, name="Glow Serum", brand="Lumi", user_id=user, services=services)
    product.add_product_images(ad_id, [product_png(900, 1200)], user_id=user, services=services)
    product.extract_product_dna(ad_id, user_id=user, services=services)
    actor = next(a for a in list_actors(services=services) if a.key == "ava_base_01")
    avatar.choose_catalog_actor(ad_id, actor.id, user_id=user, services=services)
    brief = BriefInput(Platform.TIKTOK, "testimonial", "warm", seconds, PROMPT)
    script.save_brief(ad_id, brief, user_id=user, services=services)
    script.expand_brief(ad_id, user_id=user, services=services)
    script.generate_script(ad_id, user_id=user, services=services)
    generation.start_generation(ad_id, user_id=user, services=services)
    wait_for(services, ad_id, user, (AdStatus.REVIEW,))
    return user, ad_id


def frame_sheet(video: Path, times: list[float], dest: Path, height: int = 480) -> Path:
    """One frame at each time (seconds), scaled to `height`, side by side; a JPEG."""
    wanted, frames = sorted(times), []
    with open_container(video, require_sniff(video)) as container:
        for frame in container.decode(container.streams.video[0]):
            if frame.time is not None and len(frames) < len(wanted) and frame.time >= wanted[len(frames)]:
                image = frame.to_image()
                frames.append(image.resize((round(image.width * height / image.height), height)))
    sheet = Image.new("RGB", (sum(f.width for f in frames) + 4 * (len(frames) - 1), height), "white")
    x = 0
    for image in frames:
        sheet.paste(image, (x, 0))
        x += image.width + 4
    dest.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(dest, format="JPEG", quality=80, optimize=True)
    return dest


def steps_s(services: Services, job_id: str) -> dict[str, float]:
    """Wall time per step of the ad's job, attempts summed (a step waiting for its scenes' jobs is re-run)."""
    totals: dict[str, float] = {}
    with services.db.session() as session:
        for r in session.scalars(select(JobStep).where(JobStep.job_id == job_id)):
            if r.started_at and r.finished_at:
                totals[r.name] = round(totals.get(r.name, 0.0) + (r.finished_at - r.started_at).total_seconds(), 2)
    return totals


def edit_timeline(services: Services, job_id: str) -> dict[str, Any]:
    with services.db.session() as session:
        step = session.scalars(
            select(JobStep).where(
                JobStep.job_id == job_id, JobStep.name == "post_production", JobStep.status == "completed"
            )
        ).first()
        return dict((step.output or {})["outputs"][0]["timeline"]) if step else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--sheet", default="")
    args = parser.parse_args()
    shutil.rmtree(OUT, ignore_errors=True)
    settings = Settings(_env_file=None, data_dir=OUT / "data")  # type: ignore[call-arg]
    services = build_services(settings)
    install_services(services)
    services.db.migrate()
    seed_actors(services, with_previews=False)
    try:
        user, ad_id = to_gate(services, args.seconds)
        approve: Any = lambda: (  # noqa: E731
            generation.approve_storyboard(ad_id, user_id=user, services=services),
            wait_for(services, ad_id, user, (AdStatus.COMPLETED,)),
        )[1]
        _, figures = measure(approve)
        ad = wizard.get_ad(ad_id, user_id=user, services=services)  # with its scenes (the wait reads none)
        output = ad.outputs[0]
        video = services.storage.download_to(output.video_key, OUT / "ad.mp4")
        result: dict[str, Any] = {
            "bench": "offline_ad",
            "approved_to_finished": figures,
            "steps_s": steps_s(services, ad.job.id) if ad.job else {},
            "ad_s": round(output.duration_s or 0, 2),
            "size": f"{output.width}x{output.height}",
            "scenes": len(ad.scenes),
            "lines": [s.script.dialogue for s in ad.scenes],
            "qc_passed": output.qc.passed if output.qc else None,
            "qc": {f.check: ("not checked" if not f.checked else "ok" if f.passed else f"FAILED: {f.detail}")
                   for f in (output.qc.findings if output.qc else [])},
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        }  # fmt: skip
        if args.sheet:
            timeline = edit_timeline(services, ad.job.id)  # type: ignore[union-attr]
            times = [(a + b) / 2 for a, b in zip(timeline["speech_starts"], timeline["speech_ends"], strict=True)]
            result["sheet"] = str(frame_sheet(video, times, Path(args.sheet)))
    finally:
        services.close()
    print(json.dumps(result))


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    main()
