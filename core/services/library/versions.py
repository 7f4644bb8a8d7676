"""An ad's versions: every finished output of the ad, numbered in the order they were made,
each with its parent. A generation that is run again (a redo) makes a version whose parent is
the latest earlier generation's output of the same aspect; an editor export makes a version
whose parent is the output the edit was opened from (recorded by the export's row).

The parent is read from what the studio already records (the generation job of each output,
the export rows), so no output row has to change. Viewers of the project see the versions;
editors and owners may also open one in the editor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.adapters.db.models.ads import AdOutput
from core.adapters.db.models.editor import Edit, EditExport
from core.errors import PermissionDenied
from core.ports_services import Services
from core.services.accounts.access import Right, project_with_right
from core.services.library.items import visible_output

KIND_WORDS = {"original": "original", "redo": "made again", "edit": "edited"}


@dataclass(frozen=True, slots=True)
class AdVersion:
    output_id: str
    number: int
    kind: str  # original | redo | edit
    parent_id: str | None
    parent_number: int | None
    aspect: str
    video_key: str | None
    duration_s: float | None
    created_at: datetime
    edit_version: int | None = None  # the edit version an export was rendered from

    @property
    def label(self) -> str:
        origin = KIND_WORDS[self.kind]
        if self.parent_number is not None:
            origin += f" from v{self.parent_number}"
        if self.edit_version is not None:
            origin += f" (edit version {self.edit_version})"
        return f"v{self.number} · {origin} · {self.aspect} · {self.created_at:%d %b %H:%M}"


@dataclass(frozen=True, slots=True)
class AdVersions:
    ad_id: str
    title: str
    can_edit: bool
    versions: list[AdVersion]


def _exports(session: Session, output_ids: list[str]) -> dict[str, tuple[str, int]]:
    """Output id made by an export -> (the output its edit was opened from, the edit version)."""
    rows = session.execute(
        select(EditExport.result_id, Edit.source_id, EditExport.edit_version)
        .join(Edit, Edit.id == EditExport.edit_id)
        .where(
            EditExport.result_kind == "ad_output",
            EditExport.result_id.in_(output_ids),
            Edit.source_kind == "ad_output",
        )
    ).all()
    return {str(result): (str(source), int(version)) for result, source, version in rows}


def _can_edit(session: Session, project_id: str, user_id: str) -> bool:
    try:
        project_with_right(session, project_id, user_id, Right.EDIT)
    except PermissionDenied:
        return False
    return True


def ad_versions(output_id: str, *, user_id: str, services: Services) -> AdVersions:
    """Every finished version of the ad that `output_id` belongs to, oldest first."""
    with services.db.session(user_id=user_id) as session:
        _output, ad = visible_output(session, output_id, user_id)
        rows = list(
            session.scalars(
                select(AdOutput)
                .where(AdOutput.ad_id == ad.id, AdOutput.status == "ready", AdOutput.video_key.is_not(None))
                .order_by(AdOutput.created_at, AdOutput.id)
            )
        )
        exports = _exports(session, [r.id for r in rows])
        numbers = {row.id: index + 1 for index, row in enumerate(rows)}
        versions: list[AdVersion] = []
        for row in rows:
            kind, parent, edit_version = _origin(row, rows, exports)
            versions.append(
                AdVersion(
                    row.id,
                    numbers[row.id],
                    kind,
                    parent,
                    numbers.get(parent) if parent else None,
                    row.aspect,
                    row.video_key,
                    row.duration_s,
                    row.created_at,
                    edit_version,
                )
            )
        title = ad.title or ad.product_name or "Untitled ad"
        return AdVersions(ad.id, title, _can_edit(session, ad.project_id, user_id), versions)


def _origin(
    row: AdOutput, rows: list[AdOutput], exports: dict[str, tuple[str, int]]
) -> tuple[str, str | None, int | None]:
    """(kind, parent output id, edit version) of one output."""
    if row.id in exports:
        source, edit_version = exports[row.id]
        return "edit", source, edit_version
    earlier = [r for r in rows if r.created_at <= row.created_at and r.id not in exports and r.job_id != row.job_id]
    earlier = [r for r in earlier if r.created_at < row.created_at or r.id < row.id]
    if not earlier:
        return "original", None, None
    same = [r for r in earlier if r.aspect == row.aspect] or earlier
    return "redo", same[-1].id, None
