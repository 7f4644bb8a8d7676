"""Named collections of library videos or audio; an item may be in several."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from core.adapters.db.models.variant_factory import (
    CollectionAudio,
    CollectionVideo,
    LibraryAudio,
    LibraryVideo,
    MediaCollection,
)
from core.errors import NotFound, ValidationError
from core.ports_services import Services
from core.services.accounts.access import Right, project_with_right
from core.services.variant_factory.views import CollectionView

KINDS = ("video", "audio")
MAX_NAME = 80
# kind -> (link model, its item column, the library model); the models differ per kind
_LINKS: dict[str, tuple[Any, Any, Any]] = {
    "video": (CollectionVideo, CollectionVideo.video_id, LibraryVideo),
    "audio": (CollectionAudio, CollectionAudio.audio_id, LibraryAudio),
}


def _name(name: str) -> str:
    text = " ".join((name or "").split())
    if not text:
        raise ValidationError("Give the collection a name.")
    if len(text) > MAX_NAME:
        raise ValidationError(f"Collection names are at most {MAX_NAME} characters.")
    return text


def create_collection(project_id: str, kind: str, name: str, *, user_id: str, services: Services) -> str:
    if kind not in KINDS:
        raise ValidationError("Collections hold videos or audio.")
    name = _name(name)
    try:
        with services.db.session(user_id=user_id) as session:
            project_with_right(session, project_id, user_id, Right.EDIT)
            row = MediaCollection(owner_id=user_id, project_id=project_id, kind=kind, name=name)
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        raise ValidationError(f"There is already a {kind} collection called “{name}”.") from None


def _collection(session, collection_id: str, user_id: str, need: Right) -> MediaCollection:  # type: ignore[no-untyped-def]
    row = session.get(MediaCollection, collection_id)
    if row is None:
        raise NotFound("That collection no longer exists.")
    project_with_right(session, row.project_id, user_id, need)
    return row


def delete_collection(collection_id: str, *, user_id: str, services: Services) -> None:
    """The collection goes; its videos and audio stay in the library."""
    with services.db.session(user_id=user_id) as session:
        session.delete(_collection(session, collection_id, user_id, Right.EDIT))


def set_members(collection_id: str, item_ids: list[str], *, add: bool, user_id: str, services: Services) -> int:
    """Add (or remove) library items of the collection's project and kind; returns how many changed."""
    with services.db.session(user_id=user_id) as session:
        collection = _collection(session, collection_id, user_id, Right.EDIT)
        link, column, model = _LINKS[collection.kind]
        wanted = set(
            session.scalars(select(model.id).where(model.id.in_(item_ids), model.project_id == collection.project_id))
        )
        if len(wanted) != len(set(item_ids)):
            raise NotFound("Some of those items are not in this project's library.")
        present = set(session.scalars(select(column).where(link.collection_id == collection_id)))
        if not add:
            gone = wanted & present
            session.execute(delete(link).where(link.collection_id == collection_id, column.in_(gone)))
            return len(gone)
        new = wanted - present
        key = "video_id" if collection.kind == "video" else "audio_id"
        session.add_all([link(collection_id=collection_id, **{key: item}) for item in sorted(new)])
        return len(new)


def list_collections(project_id: str, kind: str, *, user_id: str, services: Services) -> list[CollectionView]:
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.VIEW)
        link, column, model = _LINKS[kind]
        rows = session.scalars(
            select(MediaCollection)
            .where(MediaCollection.project_id == project_id, MediaCollection.kind == kind)
            .order_by(MediaCollection.name)
        ).all()
        counts: dict[str, int] = dict(
            session.execute(
                select(link.collection_id, func.count())
                .where(link.collection_id.in_([r.id for r in rows]))
                .group_by(link.collection_id)
            ).all()
        )
        views = []
        for row in rows:
            poster = None
            if kind == "video":
                poster = session.scalar(
                    select(LibraryVideo.poster_key)
                    .join(CollectionVideo, CollectionVideo.video_id == LibraryVideo.id)
                    .where(CollectionVideo.collection_id == row.id)
                    .order_by(CollectionVideo.created_at)
                    .limit(1)
                )
            views.append(CollectionView(row.id, row.kind, row.name, int(counts.get(row.id, 0)), poster))
        return views


def members(session, collection_ids: list[str], kind: str, project_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Item ids of these collections (of this project), in the order they were added, no repeats."""
    link, column, _ = _LINKS[kind]
    ok = select(MediaCollection.id).where(
        MediaCollection.id.in_(collection_ids), MediaCollection.project_id == project_id, MediaCollection.kind == kind
    )
    found = set(session.scalars(ok))
    if found != set(collection_ids):
        raise NotFound(f"Some of those {kind} collections are not in this project.")
    rows = session.execute(
        select(column).where(link.collection_id.in_(collection_ids)).order_by(link.created_at, column)
    ).all()
    return list(dict.fromkeys(r[0] for r in rows))
