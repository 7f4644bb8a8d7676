"""The Library's combined list (ads and videos) and the Media library's images search from
indexes (migration 0010_i14idx: the word index on PostgreSQL, FTS5 on SQLite), on SQLite and
PostgreSQL: hostile text is plain text, every search finds exactly what a substring check
finds, the indexes follow edits, counts stop at the cap, and no other team's row appears."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import delete, select

from core.adapters.db.database import MIGRATIONS_DIR, Database
from core.adapters.db.models.ads import Ad, AdAsset, AdOutput, AdProductImage, AdScene
from core.adapters.db.models.base import utcnow
from core.adapters.db.models.talking import VideoAsset
from core.ports_services import Services
from core.services.accounts import team
from core.services.accounts.identity import ensure_user
from core.services.library import items
from core.services.library.items import LibraryQuery
from core.services.talking import gallery
from core.services.variant_factory import images, search
from tests.conftest import PG_ADMIN_URL, unavailable
from tests.ugc_support import new_ad

REVISION = "0010_i14idx"


@dataclass
class Shelf:
    """The maker's project (items and the texts each is searched by) and a stranger's."""

    maker: str
    project: str
    stranger: str
    texts: dict[str, list[str]] = field(default_factory=dict)  # item id -> searched texts
    ads: dict[str, str] = field(default_factory=dict)  # output id -> ad id
    theirs: set[str] = field(default_factory=set)


def _ad(services: Services, ad_id: str, title: str, product: str, prompt: str, lines: list[str], ago: int) -> str:
    """The ad's texts as the wizard leaves them, its scenes, and one finished output."""
    with services.db.session() as session:
        ad = session.get(Ad, ad_id)
        assert ad is not None
        ad.title, ad.product_name = title, product
        ad.options = {**(ad.options or {}), "brief": {"prompt": prompt, "platform": "tiktok"}}
        for number, line in enumerate(lines, start=1):
            session.add(AdScene(ad_id=ad_id, number=number, spec={"dialogue": line, "action": "smiles"}))
        output = AdOutput(ad_id=ad_id, job_id="j", aspect="9:16", created_at=utcnow() - timedelta(minutes=ago))
        session.add(output)
        session.flush()
        return output.id


def _video(services: Services, project: str, owner: str, script: str, prompt: str | None, ago: int) -> str:
    with services.db.session() as session:
        at = utcnow() - timedelta(minutes=ago)
        video = VideoAsset(owner_id=owner, project_id=project, source_type="text", source_text=script,
                           image_prompt=prompt, status="completed", created_at=at)  # fmt: skip
        session.add(video)
        session.flush()
        return video.id


def _project_of(services: Services, ad_id: str) -> str:
    with services.db.session() as session:
        return session.get(Ad, ad_id).project_id  # type: ignore[union-attr]


def _shelf(services: Services) -> Shelf:
    maker, first = new_ad(services, "maker@example.com")
    stranger, theirs = new_ad(services, "stranger@example.com")
    shelf = Shelf(maker, _project_of(services, first), stranger)
    with services.db.session() as session:  # a second ad of the project (the wizard resumes the first)
        second_ad = Ad(owner_id=maker, project_id=shelf.project)
        session.add(second_ad)
        session.flush()
        second = second_ad.id
    ads = [
        (first, 'Dew "50% off_now"', "Glow Serum", "A vitamin C serum -- NEAR the sink",
         ["Tired of dull skin? Try it*", "Straße café ünïcode 🎬"]),
        (second, "", "Night Balm", "calm sleep (no caffeine)", ["Sleep well, wake up: title glow"]),
    ]  # fmt: skip
    for n, (ad_id, title, product, prompt, lines) in enumerate(ads):
        output = _ad(services, ad_id, title, product, prompt, lines, ago=n * 2)
        shelf.ads[output] = ad_id
        shelf.texts[output] = [title, product, prompt, *lines, "Launch"]
    videos: list[tuple[str, str | None]] = [('She said "wow" and * left', "kitchen (NEAR window)"),
                                            ("plain coffee morning", None)]  # fmt: skip
    for n, (script, image_prompt) in enumerate(videos):
        video = _video(services, shelf.project, maker, script, image_prompt, ago=1 + n * 2)
        shelf.texts[video] = [script, image_prompt or "", "Launch"]
    # Another team's rows hold the same words: they must never show.
    other = _project_of(services, theirs)
    shelf.theirs.add(
        _ad(services, theirs, "Dew", "Glow Serum", "A vitamin C serum", ["Tired of dull skin? Try it*"], 0)
    )
    shelf.theirs.add(_video(services, other, stranger, 'She said "wow" and * left', "kitchen", 0))
    return shelf


def _found(services: Services, user: str, query: str, kind: str = "all") -> list[str]:
    page = items.list_library(LibraryQuery(kind=kind, search=query, page_size=50), user_id=user, services=services)  # type: ignore[arg-type]
    found = [getattr(i, "output_id", getattr(i, "id", "")) for i in page.items]
    assert page.total == len(found)
    return found


def _expected(shelf: Shelf, query: str) -> set[str]:
    """What a plain case-blind substring check over the searched texts finds."""
    needle = " ".join(query.split())[: search.MAX_QUERY_CHARS].lower()
    return {item for item, texts in shelf.texts.items() if any(needle in t.lower() for t in texts)}


HOSTILE = [
    '"', '""', '" OR "', "*", "try it*", "it*", "NEAR", "NEAR(dull skin)", "near the", "-", "-- near", "-glow",
    "%", "50%", "_", "off_now", "f_n", "'", "dull' OR '1'='1", "\\", "a\\b", "^dew", "title: glow", "title:glow",
    "{title}: dew", "glow AND serum", "glow OR night", "(no caffeine)", "skin?", '"wow" and', "wow\" and *",
    "🎬", "café", "straße", "ünïcode 🎬", "e ü", "a" * 150, "  glow   serum  ", "x" * 3, "Dew \"50", "\x00",
]  # fmt: skip


@pytest.fixture
def shelf(services: Services) -> Shelf:
    return _shelf(services)


def test_every_search_finds_exactly_what_a_substring_check_finds_and_hostile_text_is_text(
    services: Services, shelf: Shelf
) -> None:
    everything = _found(services, shelf.maker, "")
    assert set(everything) == set(shelf.texts) and len(everything) == 4
    queries = [
        *HOSTILE,
        "glow",
        "GLOW SERUM",
        "vitamin",
        "sink",
        "dull skin",
        "wake up",
        "launch",
        "coffee",
        "NEAR window",
    ]
    if not services.db.is_sqlite:  # SQLite's LIKE folds ASCII letters only
        queries += ["STRASSE", "CAFÉ", "ÜNÏCODE"]
    for query in queries:
        assert set(_found(services, shelf.maker, query)) == _expected(shelf, query), query
    assert _found(services, shelf.maker, "NEAR window") == [
        next(i for i, t in shelf.texts.items() if "kitchen (NEAR window)" in t)
    ]
    assert _found(services, shelf.maker, "café") == [
        next(o for o in shelf.ads if "Straße café ünïcode 🎬" in shelf.texts[o])
    ]
    assert _found(services, shelf.maker, "night") and not _found(services, shelf.maker, "smiles")  # scene lines only
    assert set(_found(services, shelf.maker, "glow", kind="ad")) == set(shelf.ads)
    assert _found(services, shelf.maker, "wow", kind="talking") == [i for i in shelf.texts if i not in shelf.ads][:1]


def test_the_list_is_ordered_newest_first_paged_and_its_count_stops_at_the_cap(
    services: Services, shelf: Shelf, monkeypatch: pytest.MonkeyPatch
) -> None:
    newest_first = _found(services, shelf.maker, "launch")
    assert len(newest_first) == 4
    pages = [items.list_library(LibraryQuery(search="launch", page=n, page_size=3), user_id=shelf.maker,
                                services=services) for n in (1, 2)]  # fmt: skip
    assert [getattr(i, "output_id", getattr(i, "id", "")) for p in pages for i in p.items] == newest_first
    assert pages[0].total == 4 and pages[0].pages == 2
    monkeypatch.setattr(search, "COUNT_CAP", 3)
    for query in ("", "launch"):
        capped = items.list_library(LibraryQuery(search=query, page_size=2), user_id=shelf.maker, services=services)
        assert capped.total == 3 and len(capped.items) == 2  # "3+": counted no further
    assert search.count_label(3, "video") == "3+ videos"


def test_another_teams_rows_never_appear_and_a_team_member_sees_the_projects(services: Services, shelf: Shelf) -> None:
    for query in ("", "glow", "tired of dull", "wow", "launch", '"'):
        assert not set(_found(services, shelf.maker, query)) & shelf.theirs, query
        assert set(_found(services, shelf.stranger, query)) <= shelf.theirs, query
    assert len(_found(services, shelf.stranger, "glow serum")) == 1
    viewer = ensure_user(services.db, "viewer@example.com")
    assert _found(services, viewer, "glow") == []
    team.invite_member(shelf.project, "viewer@example.com", "viewer", user_id=shelf.maker, services=services)
    assert set(_found(services, viewer, "glow")) == set(_found(services, shelf.maker, "glow")) == set(shelf.ads)
    team.remove_member(shelf.project, "viewer@example.com", user_id=shelf.maker, services=services)
    assert _found(services, viewer, "glow") == [] and _found(services, viewer, "") == []


def test_the_indexes_follow_edits_and_deletes(services: Services, shelf: Shelf) -> None:
    first = next(o for o in shelf.ads if "Glow Serum" in shelf.texts[o])
    with services.db.session() as session:
        ad = session.get(Ad, shelf.ads[first])
        assert ad is not None
        ad.title, ad.product_name = "Zephyrine", "Quokka Cream"
        ad.options = {**ad.options, "brief": {"prompt": "a marmalade morning"}}
        scene = session.scalars(select(AdScene).where(AdScene.ad_id == ad.id, AdScene.number == 1)).one()
        scene.spec = {"dialogue": "Xylophone line"}
        session.execute(delete(AdScene).where(AdScene.ad_id == ad.id, AdScene.number == 2))
        video = session.scalars(select(VideoAsset).where(VideoAsset.image_prompt.is_not(None),
                                                          VideoAsset.project_id == shelf.project)).one()  # fmt: skip
        video.image_prompt = "Vortexian prompt"
        renamed = video.id
        session.execute(delete(VideoAsset).where(VideoAsset.source_text == "plain coffee morning"))
    for word in ("zephyrine", "quokka", "marmalade", "xylophone"):
        assert _found(services, shelf.maker, word) == [first], word
    assert _found(services, shelf.maker, "vortexian") == [renamed]
    for gone in ("glow serum", "vitamin", "dull skin", "straße", "kitchen", "coffee"):
        assert _found(services, shelf.maker, gone) == [], gone
    if services.db.is_sqlite:  # the deleted rows left the FTS5 indexes too
        with services.db.engine.connect() as conn:
            assert (
                conn.exec_driver_sql(
                    "SELECT count(*) FROM ugc_scenes_fts WHERE ugc_scenes_fts MATCH '\"straße\"'"
                ).scalar()
                == 0
            )
            assert (
                conn.exec_driver_sql(
                    "SELECT count(*) FROM video_assets_fts WHERE video_assets_fts MATCH '\"coffee\"'"
                ).scalar()
                == 0
            )


def _sql(services: Services, shelf: Shelf, query: str) -> str:
    with services.db.session(user_id=shelf.maker) as session:
        titled = gallery.titled_projects(session, query, shelf.maker, services)
    parts = items._parts(LibraryQuery(search=query), shelf.maker, titled, services, word_index=True)
    statement = items._page_query(parts, 1, 24)
    return str(statement.compile(services.db.engine, compile_kwargs={"literal_binds": True}))


def test_the_searches_are_answered_by_the_indexes(services: Services, shelf: Shelf) -> None:
    sql = _sql(services, shelf, "glow")
    with services.db.engine.begin() as conn:
        if services.db.is_sqlite:
            plan = " | ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
            for fts in ("ugc_ads_fts", "ugc_scenes_fts", "video_assets_fts"):
                assert f"{fts} VIRTUAL TABLE INDEX" in plan, plan
            assert "SCAN ugc_ads " not in plan + " " and "SCAN video_assets " not in plan + " ", plan
        else:  # the planner prefers a scan at this size: forbid that
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = " ".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql))
            for index in ("ix_ugc_ads_title_words", "ix_ugc_ads_product_name_words", "ix_ugc_ads_prompt_words",
                          "ix_ugc_scenes_dialogue_words", "ix_video_assets_source_text_words"):  # fmt: skip
                assert index in plan, plan


def _image(services: Services, ad_id: str, *, frame: bool) -> str:
    with services.db.session() as session:
        if not frame:
            photo = AdProductImage(ad_id=ad_id, image_key=f"ugc/{ad_id}/p.png", width=30, height=40)
            session.add(photo)
            session.flush()
            return photo.id
        scene = session.scalars(select(AdScene).where(AdScene.ad_id == ad_id, AdScene.number == 1)).one()
        asset = AdAsset(ad_id=ad_id, scene_id=scene.id, kind="frame", fingerprint=uuid.uuid4().hex, status="ready",
                        media_key=f"ugc/{ad_id}/f.png")  # fmt: skip
        session.add(asset)
        session.flush()
        return asset.id


def test_image_search_matches_the_label_from_the_indexes_and_never_another_team(
    services: Services, shelf: Shelf
) -> None:
    for ad_id in shelf.ads.values():
        for frame in (False, True):
            _image(services, ad_id, frame=frame)

    def found(query: str) -> list[str]:
        page = images.list_images(shelf.project, user_id=shelf.maker, services=services, query=query, source=None)
        return sorted(i.label for i in page.items if i.source != "avatar")

    titled_label = 'Dew "50% off_now"'
    assert found("") == sorted([titled_label, f"{titled_label} · scene 1", "Night Balm", "Night Balm · scene 1"])
    assert found("off_now") == [titled_label, f"{titled_label} · scene 1"]  # the title, wildcards as text
    assert found("NIGHT") == ["Night Balm", "Night Balm · scene 1"]  # the product name where there is no title
    assert found("glow serum") == []  # the titled ad's product name is not in its label
    assert found("scene 1") == [f"{titled_label} · scene 1", "Night Balm · scene 1"] and found("e 1") == found(
        "scene 1"
    )
    assert found("balm · sc") == ["Night Balm · scene 1"] and found("1") == found("scene 1")
    for query in HOSTILE:
        labels_found = found(query)
        needle = " ".join(query.split())[: search.MAX_QUERY_CHARS].lower()
        assert labels_found == sorted(x for x in found("") if needle in x.lower()), query
    (their_ad,) = _ad_ids(services, shelf.stranger)
    _image(services, their_ad, frame=False)
    stranger_project = _project_of(services, their_ad)
    mine = images.list_images(shelf.project, user_id=shelf.maker, services=services, query="dew")
    theirs_page = images.list_images(stranger_project, user_id=shelf.stranger, services=services, query="dew")
    assert theirs_page.total == 1 and not {i.id for i in theirs_page.items} & {i.id for i in mine.items}


def _ad_ids(services: Services, owner: str) -> list[str]:
    with services.db.session() as session:
        return list(session.scalars(select(Ad.id).where(Ad.owner_id == owner)))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    import psycopg

    name = f"studio_i14idx_{uuid.uuid4().hex[:8]}"
    admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001
        unavailable("PostgreSQL", exc)
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


CREATED = "'ix_video_assets_created', 'ix_ugc_outputs_created'"


def _search_objects(db: Database) -> set[str]:
    """This migration's indexes, triggers, tables and function found in the database."""
    with db.engine.connect() as conn:
        if db.is_sqlite:
            rows = conn.exec_driver_sql(
                f"SELECT name FROM sqlite_master WHERE name LIKE '%\\_fts%' ESCAPE '\\' OR name IN ({CREATED})"
            )
        else:
            rows = conn.exec_driver_sql(
                f"SELECT indexname FROM pg_indexes WHERE indexname LIKE 'ix_ugc_%%_words' OR indexname IN ({CREATED}) "
                "UNION ALL SELECT tgname FROM pg_trigger WHERE tgname LIKE 'ugc_%%_search_words' "
                "UNION ALL SELECT proname FROM pg_proc WHERE proname = 'studio_note_text_words'"
            )
        return {r[0] for r in rows if not str(r[0]).startswith(("hooks_", "library_"))}


def test_the_migration_downgrades_and_upgrades_again(fresh_url: str) -> None:
    db = Database(fresh_url)
    try:
        db.migrate()
        made = _search_objects(db)
        # SQLite: 3 FTS5 tables + 9 triggers (their shadow tables aside); PostgreSQL: 4 word indexes,
        # 2 triggers, 1 function; both: 2 created_at indexes.
        expected_count = 14 if db.is_sqlite else 9
        assert (
            len({n for n in made if not n.endswith(("_data", "_idx", "_docsize", "_config", "_content"))})
            == expected_count
        ), made
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection_url"] = fresh_url
        before = ScriptDirectory.from_config(config).get_revision(REVISION).down_revision
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, str(before))
        assert _search_objects(db) == set()
        db.migrate()
        assert _search_objects(db) == made
    finally:
        db.dispose()
