"""The hooks library: opening lines with categories, added one by one or in bulk (paste or
CSV: one a line; empty lines and duplicates dropped; an over-long line refused by number)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import select

from core.adapters.db.models.variant_factory import Hook
from core.errors import NotFound, ValidationError
from core.ports_services import Services
from core.services.accounts.access import Right, project_with_right
from core.services.variant_factory.search import matches, page_of
from core.services.variant_factory.views import HookView, Page

CATEGORIES = ("pain point", "curiosity", "social proof", "offer", "question", "story", "general")
MAX_CATEGORY = 40
MAX_BULK_LINES = 2000


@dataclass(frozen=True, slots=True)
class BulkResult:
    added: int
    duplicates: int
    empty: int


def text_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def clean_hook(text: str, max_chars: int, *, line: int | None = None) -> str:
    cleaned = " ".join((text or "").strip().split())
    where = f"Line {line}: " if line is not None else ""
    if not cleaned:
        raise ValidationError(f"{where}the hook is empty.")
    if len(cleaned) > max_chars:
        raise ValidationError(
            f"{where}this hook has {len(cleaned)} characters; the limit is {max_chars}.",
            details={"line": line, "chars": len(cleaned)},
        )
    if any(ord(c) < 32 for c in cleaned):
        raise ValidationError(f"{where}the hook contains control characters.")
    return cleaned


def clean_category(category: str | None) -> str:
    text = " ".join((category or "").strip().split()).lower()[:MAX_CATEGORY]
    return text or "general"


def parse_lines(raw: str, *, csv_file: bool = False) -> list[tuple[int, str, str | None]]:
    """(line number, text, category from a CSV second column) for each line; CSV takes `text[,category]`."""
    if not csv_file:
        return [(n, line, None) for n, line in enumerate(raw.splitlines(), start=1)]
    rows = []
    for n, row in enumerate(csv.reader(io.StringIO(raw)), start=1):
        text = row[0] if row else ""
        if n == 1 and text.strip().lower() in ("hook", "text", "hook text"):
            continue  # a header row
        rows.append((n, text, row[1] if len(row) > 1 and row[1].strip() else None))
    return rows


def add_hooks(
    project_id: str, raw: str, *, category: str, user_id: str, services: Services, csv_file: bool = False
) -> BulkResult:
    """All or nothing: one over-long line refuses the whole paste, with its number."""
    max_chars = services.settings.factory_hook_max_chars
    lines = parse_lines(raw, csv_file=csv_file)
    if len(lines) > MAX_BULK_LINES:
        raise ValidationError(f"Paste at most {MAX_BULK_LINES:,} hooks at a time ({len(lines):,} lines given).")
    empty, wanted = 0, dict[str, tuple[str, str]]()
    for number, text, own_category in lines:
        if not text.strip():
            empty += 1
            continue
        cleaned = clean_hook(text, max_chars, line=number)
        wanted.setdefault(text_key(cleaned), (cleaned, clean_category(own_category or category)))
    if not wanted:
        raise ValidationError("There are no hooks in that text.")
    duplicates = len(lines) - empty - len(wanted)
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.EDIT)
        existing = set(
            session.scalars(select(Hook.text_key).where(Hook.project_id == project_id, Hook.text_key.in_(list(wanted))))
        )
        new = [(k, v) for k, v in wanted.items() if k not in existing]
        session.add_all(
            [
                Hook(owner_id=user_id, project_id=project_id, text=text, text_key=key, category=cat)
                for key, (text, cat) in new
            ]
        )
    return BulkResult(len(new), duplicates + len(wanted) - len(new), empty)


def _hook(session, hook_id: str, user_id: str, need: Right) -> Hook:  # type: ignore[no-untyped-def]
    row = session.get(Hook, hook_id)
    if row is None:
        raise NotFound("That hook no longer exists.")
    project_with_right(session, row.project_id, user_id, need)
    return row


def edit_hook(hook_id: str, *, text: str, category: str, user_id: str, services: Services) -> None:
    cleaned = clean_hook(text, services.settings.factory_hook_max_chars)
    with services.db.session(user_id=user_id) as session:
        row = _hook(session, hook_id, user_id, Right.EDIT)
        clash = session.scalar(
            select(Hook.id).where(
                Hook.project_id == row.project_id, Hook.text_key == text_key(cleaned), Hook.id != hook_id
            )
        )
        if clash:
            raise ValidationError("That hook is already in the library.")
        row.text, row.text_key, row.category = cleaned, text_key(cleaned), clean_category(category)


def delete_hooks(hook_ids: list[str], *, user_id: str, services: Services) -> int:
    with services.db.session(user_id=user_id) as session:
        rows = [_hook(session, hook_id, user_id, Right.EDIT) for hook_id in hook_ids]
        for row in rows:
            session.delete(row)
        return len(rows)


def list_hooks(
    project_id: str,
    *,
    user_id: str,
    services: Services,
    query: str | None = None,
    categories: tuple[str, ...] = (),
    page: int = 1,
    per_page: int = 50,
) -> Page:
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.VIEW)
        where = [Hook.project_id == project_id]
        if (clause := matches(services, Hook.text, query)) is not None:
            where.append(clause)
        if categories:
            where.append(Hook.category.in_(categories))
    rows, total = page_of(
        services,
        user_id=user_id,
        model=Hook,
        project_id=project_id,
        where=where,
        order_by=(Hook.created_at, Hook.id),
        page=page,
        per_page=per_page,
    )
    return Page(tuple(HookView(r.id, r.text, r.category, r.created_at) for r in rows), total, page, per_page)


def categories_of(project_id: str, *, user_id: str, services: Services) -> list[str]:
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.VIEW)
        used = session.scalars(select(Hook.category).distinct().where(Hook.project_id == project_id)).all()
    return sorted(set(used))
