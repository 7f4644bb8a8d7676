"""Gallery over 10,000 videos in 100 projects: the page query and a server-side page render.

    .venv/bin/python -m bench.bench_gallery [--db sqlite|postgres]

1. `library.list_videos` for one page of 24 cards (filters, count and joins in the
   database). Target <= 20 ms.
2. AppTest render of the project page (composer + gallery of 24 cards with posters and
   live chips), the whole script run on the server. Target <= 300 ms.
Median over repeated runs; one JSON line per measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("STUDIO_SECRETS_FILE", "/nonexistent/secrets.toml")

from sqlalchemy import insert, select, text  # noqa: E402

from bench.bench_runner import _database, _drop  # noqa: E402
from core.adapters.db.models.base import utcnow  # noqa: E402
from core.adapters.db.models.jobs import Job
from core.adapters.db.models.projects import Project
from core.adapters.db.models.talking import Actor, VideoAsset
from core.bootstrap import install_services  # noqa: E402
from core.config import Settings  # noqa: E402
from core.domain.types import MediaKind  # noqa: E402
from core.services.accounts.identity import ensure_user  # noqa: E402
from core.services.talking.gallery import GalleryQuery, list_videos  # noqa: E402
from seeds.loader import seed_actors  # noqa: E402
from tests.conftest import make_services  # noqa: E402
from tests.fakes import PNG_1PX  # noqa: E402


def _fill(services, owner: str, projects: int = 100, per_project: int = 100) -> list[str]:  # type: ignore[no-untyped-def]
    poster = services.storage.put_bytes(MediaKind.IMAGE, PNG_1PX, name="bench/poster", content_type="image/png")
    with services.db.session() as session:
        actor_ids = session.scalars(select(Actor.id)).all()
    project_ids = [str(uuid.uuid4()) for _ in range(projects)]
    now = utcnow()
    with services.db.engine.begin() as conn:
        conn.execute(
            insert(Project),
            [
                {"id": p, "owner_id": owner, "title": f"Project {i}", "created_at": now, "updated_at": now}
                for i, p in enumerate(project_ids)
            ],
        )
        rows, jobs = [], []
        for p_index, project_id in enumerate(project_ids):
            for n in range(per_project):
                video_id, job_id = str(uuid.uuid4()), str(uuid.uuid4())
                created = now - timedelta(minutes=p_index * per_project + n)
                jobs.append(
                    {
                        "id": job_id,
                        "owner_id": owner,
                        "kind": "talking_video",
                        "subject_id": video_id,
                        "status": "completed",
                        "progress": 1.0,
                        "payload": {},
                        "resumes": 0,
                        "cancel_requested": False,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
                rows.append(
                    {
                        "id": video_id,
                        "owner_id": owner,
                        "project_id": project_id,
                        "actor_id": actor_ids[n % len(actor_ids)],
                        "source_type": "text",
                        "source_text": f"Script {n} for project {p_index}: honest review of the serum",
                        "status": "completed",
                        "poster_key": poster,
                        "video_key": poster,
                        "duration_s": 12.0,
                        "seed": 0,
                        "version": 1,
                        "job_id": job_id,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
        conn.execute(insert(Job), jobs)
        conn.execute(insert(VideoAsset), rows)
    # A real database has statistics (autovacuum analyses a table after bulk changes); a
    # query planned straight after a bulk insert without them measures the wrong plan.
    with services.db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return project_ids


def _median_ms(fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(timings), 2)


def run(db_kind: str) -> list[dict[str, object]]:
    from streamlit.testing.v1 import AppTest

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp))
        db = _database(db_kind, Path(tmp))
        services = make_services(settings, db)
        seed_actors(services, with_previews=False)
        services._booted = True  # type: ignore[attr-defined]
        install_services(services)
        owner = ensure_user(db, settings.local_user_email)
        project_ids = _fill(services, owner)
        target = project_ids[50]
        query_ms = _median_ms(
            lambda: list_videos(GalleryQuery(project_id=target, page=2), user_id=owner, services=services), 50
        )
        across_ms = _median_ms(lambda: list_videos(GalleryQuery(search="serum"), user_id=owner, services=services), 20)

        app = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60)
        app.session_state["project_id"] = target
        app.run()
        app.switch_page("pages/project.py").run()  # warm: imports, first render
        render_ms = _median_ms(lambda: app.run(), 10)
        cards = sum(1 for b in app.button if b.label == "Play")
        install_services(None)
        services.queue.shutdown()
        _drop(db)
    return [
        {
            "bench": "gallery_query",
            "db": db_kind,
            "videos": 10_000,
            "page": 24,
            "median_ms": query_ms,
            "search_all_projects_median_ms": across_ms,
        },
        {"bench": "gallery_render", "db": db_kind, "cards": cards, "median_ms": render_ms},
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], action="append")
    args = parser.parse_args()
    for db_kind in args.db or ["sqlite", "postgres"]:
        for line in run(db_kind):
            print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
