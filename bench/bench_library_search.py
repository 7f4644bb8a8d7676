"""Library search over 1,000,000 hooks in one project on PostgreSQL, with and without the index;
and the Library's combined list (ads and videos) over 1,000,000 rows.

    .venv/bin/python -m bench.bench_library_search [--rows 1000000] [--queries 40] [--only hooks|combined]

`hooks.list_hooks(project, query=word)` exactly as the Media library page calls it: a
user session under row-level security, count + one page of 50, case-insensitive
substring match. Each query is a word of a 5,000-word vocabulary (about 1,200 matching
rows each). Measured with the word index of migration 0009_i14fac (vocabulary + GIN on
`studio_words(text)`), with the EXPLAIN ANALYZE execution time of the page query (robust on
a loaded machine; one plan goes to stderr), then again after dropping the index (the
sequential scan it replaces). Target: median <= 50 ms with the index. One JSON line.

The combined list (`items.list_library`, as the Library page calls it: count up to 10,000 and a
page of 24 cards): half the rows are talking videos (a script of six words, a prompt of three),
half finished ads (a title of two words, a product name, a brief's prompt of four, one scene
line of six, one output each), in four projects of one user. Searched for all kinds and for
ads alone, each word as above (about 2,500 matches across the searched texts); the page and
count queries' EXPLAIN ANALYZE times; the unsearched first page; then three searches again
without the word indexes of migrations 0009_i14fac and 0010_i14idx. One JSON line.
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


# The combined list's word indexes (0009_i14fac for videos, 0010_i14idx for ads and scene lines).
COMBINED_INDEXES = {
    "ix_video_assets_source_text_words": "video_assets USING gin (studio_words(source_text))",
    "ix_video_assets_image_prompt_words": "video_assets USING gin (studio_words(image_prompt))",
    "ix_ugc_ads_title_words": "ugc_ads USING gin (studio_words(title))",
    "ix_ugc_ads_product_name_words": "ugc_ads USING gin (studio_words(product_name))",
    "ix_ugc_ads_prompt_words": "ugc_ads USING gin (studio_words((options -> 'brief' ->> 'prompt')))",
    "ix_ugc_scenes_dialogue_words": "ugc_scenes USING gin (studio_words((spec ->> 'dialogue')))",
}
COMBINED_TRIGGERS = ("video_assets", "ugc_ads", "ugc_scenes")  # `<table>_search_words`
PHRASE = "array_to_string(ARRAY(SELECT w[1 + floor(random() * n)::int] FROM generate_series(1, {k} + 0 * i)), ' ')"
COMBINED_FILL = [
    """INSERT INTO video_assets (id, owner_id, project_id, source_type, source_text, image_prompt, status, seed,
                                 version, created_at, updated_at)
       SELECT gen_random_uuid()::text, :owner, (CAST(:projects AS text[]))[1 + i % 4], 'text',
              'Video ' || i || ': ' || {six}, {three}, 'completed', 0, 1,
              now() - i * interval '1 second', now()
       FROM generate_series(1, :videos) AS i, (SELECT CAST(:words AS text[]) AS w, :n AS n) AS v""",
    """INSERT INTO ugc_ads (id, owner_id, project_id, title, status, wizard_step, product_name, brand_name, options,
                            created_at, updated_at)
       SELECT 'ad-' || i, :owner, (CAST(:projects AS text[]))[1 + i % 4], 'Ad ' || i || ' ' || {two}, 'ready',
              'done', {one}, 'Brand', json_build_object('brief', json_build_object('prompt', {four})),
              now() - i * interval '1 second', now()
       FROM generate_series(1, :ads) AS i, (SELECT CAST(:words AS text[]) AS w, :n AS n) AS v""",
    """INSERT INTO ugc_scenes (id, ad_id, number, spec, original, edited, revision, auto_approve, redo_frame,
                               redo_clip, redo_audio, created_at, updated_at)
       SELECT 'scene-' || i, 'ad-' || i, 1, json_build_object('dialogue', {six}), '{{}}'::json, false, 1, false,
              0, 0, 0, now(), now()
       FROM generate_series(1, :ads) AS i, (SELECT CAST(:words AS text[]) AS w, :n AS n) AS v""",
    """INSERT INTO ugc_outputs (id, ad_id, job_id, aspect, status, captions, encode_passes, created_at)
       SELECT 'output-' || i, 'ad-' || i, 'job', '9:16', 'ready', '[]'::json, 1, now() - i * interval '1 second'
       FROM generate_series(1, :ads) AS i""",
]


def fill_combined(db, owner: str, project_ids: list[str], rows: int, words: list[str]) -> float:  # type: ignore[no-untyped-def]
    """Server-side insert of `rows` library rows, half videos and half finished ads; the word
    indexes and the vocabulary are built after, as the migrations build them for existing rows."""
    started = time.perf_counter()
    phrases = {name: PHRASE.format(k=k) for name, k in (("one", 1), ("two", 2), ("three", 3), ("four", 4), ("six", 6))}
    values = {"owner": owner, "projects": project_ids, "words": words, "n": len(words)}
    values |= {"videos": rows // 2, "ads": rows - rows // 2}
    with db.engine.begin() as conn:
        for name in COMBINED_INDEXES:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
        for table in COMBINED_TRIGGERS:
            conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {table}_search_words")
        for sql in COMBINED_FILL:
            conn.execute(text(sql.format(**phrases)), values)
        for name, definition in COMBINED_INDEXES.items():
            conn.exec_driver_sql(f"CREATE INDEX {name} ON {definition}")
            target = definition.split(" USING gin ")
            conn.exec_driver_sql(
                f"INSERT INTO search_words SELECT DISTINCT unnest({target[1][1:-1]}) FROM {target[0]} "
                "ON CONFLICT DO NOTHING"
            )
        for table in COMBINED_TRIGGERS:
            conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER {table}_search_words")
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("video_assets", "ugc_ads", "ugc_scenes", "ugc_outputs", "search_words"):
            conn.exec_driver_sql(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - started


def measure_combined(services, user: str, queries: list[str], kind: str = "all") -> list[float]:  # type: ignore[no-untyped-def]
    from core.services.library.items import LibraryQuery, list_library

    times, found = [], []
    for word in queries:
        started = time.perf_counter()
        page = list_library(LibraryQuery(kind=kind, search=word), user_id=user, services=services)  # type: ignore[arg-type]
        times.append((time.perf_counter() - started) * 1000)
        found.append(page.total)
    assert all(found), "every query word should match some library rows"
    return times


def combined_sql(services, user: str, word: str, kind: str = "all") -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The page and count queries `items.list_library` sends to the owner session, values inlined."""

    from core.services.library import items
    from core.services.talking.gallery import titled_projects

    with services.db.session(user_id=user) as session:
        titled = titled_projects(session, word, user, services)
    query = items.LibraryQuery(kind=kind, search=word)  # type: ignore[arg-type]
    parts = items._parts(query, user, titled, services, word_index=True)
    page, count = items._page_query(parts, 1, 24), items._count_query(parts)

    def inline(query):  # type: ignore[no-untyped-def]
        return str(query.compile(services.db.engine, compile_kwargs={"literal_binds": True}))

    return inline(page), inline(count)


def explained_combined(
    services, user: str, words: list[str], kind: str = "all"
) -> tuple[list[float], list[float], str]:  # type: ignore[no-untyped-def]
    """EXPLAIN ANALYZE execution times of the page and the count queries, and the first page plan."""
    pages: list[float] = []
    counts: list[float] = []
    shown = ""
    with services.db.engine.connect() as conn:
        for n, word in enumerate(words):
            for sql, into in zip(combined_sql(services, user, word, kind), (pages, counts), strict=True):
                rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql).all()
                lines = [r[0] for r in rows]
                into.append(float(lines[-1].split(":")[1].split()[0]))
                if n == 0 and not shown:
                    shown = "\n".join(lines)
    return pages, counts, shown


def plain_pages(services, user: str, times: int) -> list[float]:  # type: ignore[no-untyped-def]
    """The unsearched first page (user session, under the policies), as the Library opens."""
    from core.services.library.items import LibraryQuery, list_library

    out = []
    for _ in range(times):
        started = time.perf_counter()
        list_library(LibraryQuery(), user_id=user, services=services)
        out.append((time.perf_counter() - started) * 1000)
    return out


def _stats(values: list[float], digits: int = 1) -> dict[str, float]:
    return {"median": round(statistics.median(values), digits), "p95": round(_p95(values), digits)}


def run_combined(rows: int, queries_n: int, words: list[str]) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        db = _database("postgres", Path(tmp))
        try:
            services = make_services(Settings(_env_file=None, data_dir=Path(tmp) / "data"), db)  # type: ignore[call-arg]
            owner = ensure_user(db, "bench@example.com")
            project_ids = [
                projects.create_project(f"Bench {n}", owner_id=owner, services=services).id for n in range(4)
            ]
            fill_s = fill_combined(db, owner, project_ids, rows, words)
            rng = random.Random(13)
            queries = [rng.choice(words) for _ in range(queries_n)]
            measure_combined(services, owner, queries[:5])  # warm the cache
            combined = measure_combined(services, owner, queries)
            ads = measure_combined(services, owner, queries, kind="ad")
            pages, counts, shown = explained_combined(services, owner, queries)
            ad_pages, ad_counts, _ = explained_combined(services, owner, queries, kind="ad")
            plain = plain_pages(services, owner, 5)
            with db.engine.begin() as conn:
                for name in COMBINED_INDEXES:
                    conn.exec_driver_sql(f"DROP INDEX {name}")
            scanned = measure_combined(services, owner, queries[:3])  # each scans every searched text
        finally:
            _drop(db)
    print(shown, file=sys.stderr)
    return {
        "bench": "library_combined_search",
        "database": "postgresql",
        "rows": rows,
        "queries": queries_n,
        "fill_and_index_s": round(fill_s, 1),
        "combined_ms": _stats(combined),
        "ads_only_ms": _stats(ads),
        "explain_page_ms": _stats(pages, 2),
        "explain_count_ms": _stats(counts, 2),
        "explain_ads_page_ms": _stats(ad_pages, 2),
        "explain_ads_count_ms": _stats(ad_counts, 2),
        "plain_first_page_ms": _stats(plain),
        "no_index_ms": {"median": round(statistics.median(scanned), 1)},
    }


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(0.95 * len(values)) - 1)]


def run_hooks(rows: int, queries_n: int, words: list[str]) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        db = _database("postgres", Path(tmp))
        try:
            services = make_services(Settings(_env_file=None, data_dir=Path(tmp) / "data"), db)  # type: ignore[call-arg]
            owner = ensure_user(db, "bench@example.com")
            project = projects.create_project("Bench", owner_id=owner, services=services).id
            fill_s = fill(db, owner, project, rows, words)
            rng = random.Random(11)
            queries = [rng.choice(words) for _ in range(queries_n)]
            measure(services, project, owner, queries[:5])  # warm the cache
            indexed = measure(services, project, owner, queries)
            execution, shown = explained(services, project, owner, queries)
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP INDEX ix_hooks_text_words")
            scanned = measure(services, project, owner, queries[: max(5, queries_n // 4)])
        finally:
            _drop(db)
    print(shown, file=sys.stderr)
    return {
        "bench": "library_search",
        "database": "postgresql",
        "rows": rows,
        "queries": queries_n,
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
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--only", choices=("hooks", "combined"), default=None)
    args = parser.parse_args()
    words = vocabulary(5000)
    for name, run in (("hooks", run_hooks), ("combined", run_combined)):
        if args.only in (None, name):
            load_start = os.getloadavg()
            result = run(args.rows, args.queries, words)
            result |= {"loadavg_start": load_start, "loadavg_end": os.getloadavg(), "cpus": os.cpu_count()}
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
