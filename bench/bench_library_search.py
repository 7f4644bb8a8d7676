"""Library search over 1,000,000 hooks in one project on PostgreSQL, with and without the index.

    .venv/bin/python -m bench.bench_library_search [--rows 1000000] [--queries 40]

`hooks.list_hooks(project, query=word)` exactly as the Media library page calls it: a
user session under row-level security, count + one page of 50, case-insensitive
substring match. Each query is a word of a 5,000-word vocabulary (about 1,200 matching
rows each). Measured with the word index of migration 0009_i14fac (vocabulary + GIN on
`studio_words(text)`), with the EXPLAIN ANALYZE execution time of the page query (robust on
a loaded machine; one plan goes to stderr), then again after dropping the index (the
sequential scan it replaces). Target: median <= 50 ms with the index. One JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("STUDIO_SECRETS_FILE", "/nonexistent/secrets.toml")

from sqlalchemy import text  # noqa: E402

from bench.bench_runner import _database, _drop  # noqa: E402
from core.config import Settings  # noqa: E402
from core.services.accounts.identity import ensure_user  # noqa: E402
from core.services.talking import projects  # noqa: E402
from core.services.variant_factory import hooks  # noqa: E402
from tests.conftest import make_services  # noqa: E402

INDEX = "CREATE INDEX ix_hooks_text_words ON hooks USING gin (studio_words(text))"  # as in 0009_i14fac
VOCABULARY = "INSERT INTO search_words SELECT DISTINCT unnest(studio_words(text)) FROM hooks ON CONFLICT DO NOTHING"


def vocabulary(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "bra", "gle", "pro", "sun", "fre", "dor"]
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def fill(db, owner: str, project: str, rows: int, words: list[str]) -> float:  # type: ignore[no-untyped-def]
    """Server-side insert of `rows` hooks of six vocabulary words each; the word index and the
    vocabulary are built after, as migration 0009_i14fac builds them for existing rows (the
    trigger that keeps the vocabulary per row is off for the bulk insert)."""
    started = time.perf_counter()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_hooks_text_words")
        conn.exec_driver_sql("ALTER TABLE hooks DISABLE TRIGGER hooks_search_words")
        conn.execute(
            text(
                """
                INSERT INTO hooks (id, owner_id, project_id, text, text_key, category, created_at, updated_at)
                SELECT gen_random_uuid()::text, :owner, :project, t, lower(t),
                       (ARRAY['pain point','curiosity','offer','social proof'])[1 + i % 4], now(), now()
                FROM (SELECT i, 'Hook ' || i || ': ' || array_to_string(ARRAY(
                        SELECT (CAST(:words AS text[]))[1 + floor(random() * :n)::int]
                        FROM generate_series(1, 6 + 0 * i)
                     ), ' ') AS t
                      FROM generate_series(1, :rows) AS i) AS s
                """
            ),
            {"owner": owner, "project": project, "words": words, "n": len(words), "rows": rows},
        )
        conn.exec_driver_sql(INDEX)
        conn.exec_driver_sql(VOCABULARY)
        conn.exec_driver_sql("ALTER TABLE hooks ENABLE TRIGGER hooks_search_words")
    # Autovacuum would vacuum and analyse after a bulk insert; measured without it, each first
    # read of a page also writes its hint bits.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE hooks")
        conn.exec_driver_sql("VACUUM ANALYZE search_words")
    return time.perf_counter() - started


def measure(services, project: str, user: str, queries: list[str]) -> list[float]:  # type: ignore[no-untyped-def]
    times, found = [], []
    for word in queries:
        started = time.perf_counter()
        page = hooks.list_hooks(project, user_id=user, services=services, query=word, per_page=50)
        times.append((time.perf_counter() - started) * 1000)
        found.append(page.total)
    assert all(found), "every query word should match some hooks"
    return times


def page_sql(services, project: str, word: str) -> str:  # type: ignore[no-untyped-def]
    """The page query `hooks.list_hooks` sends to the owner session, with its values inlined."""
    from sqlalchemy import func, literal, select

    from core.adapters.db.models.variant_factory import Hook
    from core.services.variant_factory.search import matches

    query = (
        select(Hook.id)
        .where(
            Hook.project_id == project,
            matches(services, Hook.text, word),
            func.studio_project_right(literal(project)) >= 1,
        )
        .order_by(Hook.created_at, Hook.id)
        .limit(50)
    )
    return str(query.compile(services.db.engine, compile_kwargs={"literal_binds": True}))


def explained(services, project: str, user: str, words: list[str]) -> tuple[list[float], str]:  # type: ignore[no-untyped-def]
    """EXPLAIN ANALYZE execution times of the page query (robust on a loaded machine) and one plan."""
    times, shown = [], ""
    with services.db.engine.connect() as conn:
        conn.execute(text("SELECT set_config('app.user_id', :u, false)"), {"u": user})
        for n, word in enumerate(words):
            rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + page_sql(services, project, word)).all()
            lines = [r[0] for r in rows]
            times.append(float(lines[-1].split(":")[1].split()[0]))
            if n == 0:
                shown = "\n".join(lines)
    return times, shown


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(0.95 * len(values)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=40)
    args = parser.parse_args()
    load_start = os.getloadavg()
    words = vocabulary(5000)
    with tempfile.TemporaryDirectory() as tmp:
        db = _database("postgres", Path(tmp))
        try:
            services = make_services(Settings(_env_file=None, data_dir=Path(tmp) / "data"), db)  # type: ignore[call-arg]
            owner = ensure_user(db, "bench@example.com")
            project = projects.create_project("Bench", owner_id=owner, services=services).id
            fill_s = fill(db, owner, project, args.rows, words)
            rng = random.Random(11)
            queries = [rng.choice(words) for _ in range(args.queries)]
            measure(services, project, owner, queries[:5])  # warm the cache
            indexed = measure(services, project, owner, queries)
            execution, shown = explained(services, project, owner, queries)
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP INDEX ix_hooks_text_words")
            scanned = measure(services, project, owner, queries[: max(5, args.queries // 4)])
        finally:
            _drop(db)
    print(shown, file=sys.stderr)
    print(
        json.dumps(
            {
                "bench": "library_search",
                "database": "postgresql",
                "rows": args.rows,
                "queries": args.queries,
                "fill_and_index_s": round(fill_s, 1),
                "indexed_ms": {
                    "median": round(statistics.median(indexed), 1),
                    "p95": round(sorted(indexed)[int(0.95 * len(indexed)) - 1], 1),
                },
                "explain_execution_ms": {
                    "median": round(statistics.median(execution), 2),
                    "p95": round(_p95(execution), 2),
                },
                "no_index_ms": {"median": round(statistics.median(scanned), 1)},
                "loadavg_start": load_start,
                "loadavg_end": os.getloadavg(),
                "cpus": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
