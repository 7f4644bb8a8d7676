"""Benchmark the whole offline mass generator: product photo to a finished 30 s 1080x1920 ad.

Runs the wizard's services as the page does (product, DNA, catalog avatar, brief, script,
generate, approve the storyboard) on the embedded runner (2 worker threads), with the
offline providers and default settings (1080x1920, 30 fps, x264 veryfast, 2 storyboard
variants per scene). Prints one JSON line: wall time per phase, peak memory of this
process and of the largest child (FFmpeg), and the quality check's verdict.

Usage: .venv/bin/python bench/bench_wizard.py [--seconds 30] [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("STUDIO_SECRETS_FILE", "/nonexistent/secrets.toml")

from core.bootstrap import Services, build_services  # noqa: E402
from core.config import Settings  # noqa: E402
from core.domain.ads import AdStatus, BriefInput, Platform  # noqa: E402
from core.services.accounts.identity import ensure_user  # noqa: E402
from core.services.ads import avatar, generation, product, script, wizard  # noqa: E402
from core.services.talking.catalog import list_actors  # noqa: E402
from core.services.talking.projects import create_project  # noqa: E402
from seeds.loader import seed_actors  # noqa: E402

logger = logging.getLogger(__name__)
OUT = ROOT / "bench" / "out" / "wizard"


def wait_for(services: Services, ad_id: str, user: str, statuses: tuple[AdStatus, ...], timeout_s: float = 1800) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ad = wizard.get_ad(ad_id, user_id=user, services=services, with_scenes=False)
        if ad.status in statuses:
            return ad
        if ad.status in (AdStatus.FAILED, AdStatus.NEEDS_ATTENTION):
            raise RuntimeError(f"generation stopped: {ad.status.value}: {ad.error}")
        time.sleep(0.25)
    raise TimeoutError("the generation did not finish in time")


def run(services: Services, seconds: int) -> dict[str, Any]:
    from tests.ugc_support import product_png

    phases: dict[str, float] = {}
    mark = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        phases[name] = round(now - mark, 2)
        mark = now

    user = ensure_user(services.db, "bench@example.com")
    project = create_project("Bench", owner_id=user, services=services)
    ad_id = wizard.open_wizard(project.id, user_id=user, services=services)
    product.save_product_info(ad_id, name="Glow Serum", brand="Lumi", user_id=user, services=services)
    product.add_product_images(ad_id, [product_png(900, 1200)], user_id=user, services=services)
    product.extract_product_dna(ad_id, user_id=user, services=services)
    lap("product_and_dna")
    actor = next(a for a in list_actors(services=services) if a.key == "ava_base_01")
    avatar.choose_catalog_actor(ad_id, actor.id, user_id=user, services=services)
    lap("avatar_and_dna")
    brief = BriefInput(
        Platform.TIKTOK,
        "testimonial",
        "warm",
        seconds,
        "A vitamin C serum for busy mornings; tired of dull skin; absorbs fast",
    )
    script.save_brief(ad_id, brief, user_id=user, services=services)
    script.expand_brief(ad_id, user_id=user, services=services)
    script.generate_script(ad_id, user_id=user, services=services)
    lap("brief_and_script")
    generation.start_generation(ad_id, user_id=user, services=services)
    wait_for(services, ad_id, user, (AdStatus.REVIEW,))
    lap("storyboard")
    generation.approve_storyboard(ad_id, user_id=user, services=services)
    ad = wait_for(services, ad_id, user, (AdStatus.COMPLETED,))
    lap("clips_voice_edit_and_qc")
    output = ad.outputs[0]
    return {
        "phases_s": phases,
        "total_s": round(sum(phases.values()), 2),
        "ad_s": round(output.duration_s or 0, 2),
        "size": f"{output.width}x{output.height}",
        "scenes": len(wizard.get_ad(ad_id, user_id=user, services=services).scenes),
        "qc_passed": output.qc.passed if output.qc else None,
        "qc_failed": [f.check for f in (output.qc.findings if output.qc else []) if not f.passed],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    shutil.rmtree(OUT, ignore_errors=True)
    settings = Settings(_env_file=None, data_dir=OUT / "data", database_url=args.database_url)  # type: ignore[call-arg]
    services = build_services(settings)
    from core.bootstrap import install_services

    install_services(services)
    services.db.migrate()
    seed_actors(services, with_previews=False)
    try:
        result = run(services, args.seconds)
    finally:
        services.close()
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        json.dumps(
            {
                "bench": "wizard",
                "database": services.db.engine.dialect.name,
                "runner": services.queue.name,
                **result,
                "peak_rss_self_mb": round(self_kb / 1024, 1),
                "peak_rss_largest_child_mb": round(child_kb / 1024, 1),
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
            }
        )
    )


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    main()
