"""Edits as versioned documents: every change is a new version row (never rewritten), undo and
redo move the edit's current version along the chain, and a change made from an older view of
the edit (another tab, another browser) is refused instead of silently overwriting it.

Viewers of the project open and read an edit; editors and owners change it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.adapters.db.locks import lock_row
from core.adapters.db.models.editor import Edit, EditVersion
from core.domain.edit import EditDoc, validate
from core.errors import NotFound, PermissionDenied, ValidationError
from core.ports_services import Services
from core.services.accounts.access import Right, project_with_right, visible_project_ids
from core.services.editor import sources
from core.services.talking.projects import remove_files

Operation = Callable[[EditDoc], EditDoc]
STALE = "This edit was changed in another window; it has been reloaded. Make your change again."


@dataclass(frozen=True, slots=True)
class EditView:
    id: str
    project_id: str
    title: str
    source_kind: str
    source_id: str
    version: int
    document: EditDoc
    can_undo: bool
    can_redo: bool
    can_edit: bool
    last_action: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class VersionLine:
    version: int
    parent_version: int | None
    action: str
    created_at: datetime
    current: bool


def _version(session: Session, edit_id: str, version: int) -> EditVersion:
    row = session.scalar(select(EditVersion).where(EditVersion.edit_id == edit_id, EditVersion.version == version))
    if row is None:
        raise NotFound("That version of the edit no longer exists.")
    return row


def _right(session: Session, edit: Edit, user_id: str) -> Right:
    try:
        project_with_right(session, edit.project_id, user_id, Right.EDIT)
        return Right.EDIT
    except PermissionDenied:
        project_with_right(session, edit.project_id, user_id, Right.VIEW)
        return Right.VIEW


def _edit(session: Session, edit_id: str, user_id: str, need: Right) -> Edit:
    edit = session.get(Edit, edit_id)
    if edit is None:
        raise NotFound("That edit no longer exists.")
    project_with_right(session, edit.project_id, user_id, need)
    return edit


def _locked(session: Session, edit_id: str, user_id: str) -> Edit:
    _edit(session, edit_id, user_id, Right.EDIT)
    edit = lock_row(session, Edit, edit_id)
    if edit is None:
        raise NotFound("That edit no longer exists.")
    return edit


def _view(session: Session, edit: Edit, user_id: str) -> EditView:
    row = _version(session, edit.id, edit.current_version)
    return EditView(
        edit.id,
        edit.project_id,
        edit.title,
        edit.source_kind,
        edit.source_id,
        edit.current_version,
        EditDoc.from_dict(row.document),
        row.parent_version is not None,
        bool(edit.redo),
        _right(session, edit, user_id) >= Right.EDIT,
        row.action,
        edit.updated_at,
    )


def open_edit(source_kind: str, source_id: str, *, user_id: str, services: Services) -> str:
    """The source's edit in its project (made from the source the first time an editor opens it)."""
    with services.db.session(user_id=user_id) as session:
        source = sources.find_source(session, source_kind, source_id, user_id, Right.VIEW)
        existing = session.scalar(
            select(Edit.id)
            .where(Edit.project_id == source.project_id, Edit.source_kind == source_kind, Edit.source_id == source_id)
            .order_by(Edit.created_at)
        )
        if existing:
            return existing
        sources.find_source(session, source_kind, source_id, user_id, Right.EDIT)
    return _create(source, user_id=user_id, services=services)


def _create(source: sources.Source, *, user_id: str, services: Services) -> str:
    edit = Edit(owner_id=user_id, project_id=source.project_id, source_kind=source.kind, source_id=source.id)
    edit.title, edit.current_version, edit.redo = source.title[:160], 1, []
    stored: set[str] = set()
    try:
        with services.db.session(user_id=user_id) as session:
            session.add(edit)
            session.flush()
            if source.kind == "ad_output":
                doc = sources.ad_document(session, source.id, services, edit.id)
                stored = {i.source_key for i in doc.music.items}
            else:
                doc = sources.video_document(session, source.id)
            session.add(
                EditVersion(
                    edit_id=edit.id,
                    version=1,
                    action="Opened from the original",
                    author_id=user_id,
                    document=doc.to_dict(),
                )
            )
            return edit.id
    except Exception:
        remove_files(services, stored)
        raise


def get_edit(edit_id: str, *, user_id: str, services: Services) -> EditView:
    with services.db.session(user_id=user_id) as session:
        return _view(session, _edit(session, edit_id, user_id, Right.VIEW), user_id)


def change(
    edit_id: str, action: str, operation: Operation, *, base_version: int | None, user_id: str, services: Services
) -> EditView:
    """Apply one operation to the current document and save it as the next version.

    The operation validates and raises before anything is written; `base_version` is the version
    the creator was looking at, so a change from a stale view is refused (None: a job's change,
    such as a voice line said again, applies to whatever version is current when it lands)."""
    with services.db.session(user_id=user_id) as session:
        edit = _locked(session, edit_id, user_id)
        if base_version is not None and edit.current_version != base_version:
            raise ValidationError(STALE)
        current = EditDoc.from_dict(_version(session, edit_id, edit.current_version).document)
        updated = validate(operation(current))
        if updated == current:
            return _view(session, edit, user_id)
        latest = session.scalar(select(func.max(EditVersion.version)).where(EditVersion.edit_id == edit_id)) or 0
        session.add(
            EditVersion(
                edit_id=edit_id,
                version=latest + 1,
                parent_version=edit.current_version,
                action=action[:80],
                author_id=user_id,
                document=updated.to_dict(),
            )
        )
        edit.current_version, edit.redo = latest + 1, []
        session.flush()
        return _view(session, edit, user_id)


def undo(edit_id: str, *, base_version: int, user_id: str, services: Services) -> EditView:
    with services.db.session(user_id=user_id) as session:
        edit = _locked(session, edit_id, user_id)
        if edit.current_version != base_version:
            raise ValidationError(STALE)
        row = _version(session, edit_id, edit.current_version)
        if row.parent_version is None:
            raise ValidationError("Nothing to undo: this is the edit as it was opened.")
        edit.redo, edit.current_version = [*edit.redo, edit.current_version], row.parent_version
        session.flush()
        return _view(session, edit, user_id)


def redo(edit_id: str, *, base_version: int, user_id: str, services: Services) -> EditView:
    with services.db.session(user_id=user_id) as session:
        edit = _locked(session, edit_id, user_id)
        if edit.current_version != base_version:
            raise ValidationError(STALE)
        if not edit.redo:
            raise ValidationError("Nothing to redo.")
        edit.current_version, edit.redo = int(edit.redo[-1]), list(edit.redo[:-1])
        session.flush()
        return _view(session, edit, user_id)


def history(edit_id: str, *, user_id: str, services: Services) -> list[VersionLine]:
    with services.db.session(user_id=user_id) as session:
        edit = _edit(session, edit_id, user_id, Right.VIEW)
        rows = session.scalars(select(EditVersion).where(EditVersion.edit_id == edit_id).order_by(EditVersion.version))
        return [
            VersionLine(r.version, r.parent_version, r.action, r.created_at, r.version == edit.current_version)
            for r in rows
        ]


def document_at(edit_id: str, version: int, *, user_id: str, services: Services) -> EditDoc:
    with services.db.session(user_id=user_id) as session:
        _edit(session, edit_id, user_id, Right.VIEW)
        return EditDoc.from_dict(_version(session, edit_id, version).document)


def list_edits(project_id: str | None, *, user_id: str, services: Services) -> list[tuple[str, str]]:
    """(edit id, title) of the edits the user may see, newest first."""
    with services.db.session(user_id=user_id) as session:
        stmt = select(Edit.id, Edit.title).where(Edit.project_id.in_(visible_project_ids(user_id)))
        if project_id:
            stmt = stmt.where(Edit.project_id == project_id)
        return [(i, t) for i, t in session.execute(stmt.order_by(Edit.updated_at.desc())).all()]
