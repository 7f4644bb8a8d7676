"""A batch's status, its ZIP with a manifest CSV for ad-manager bulk upload, "keep" into the
video library, and the expiry that deletes a batch's files (and nothing else) after 24 h."""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from core.adapters.db.models.base import utcnow
from core.adapters.db.models.variant_factory import BatchVariant, VariantBatch
from core.adapters.media.files import format_mb
from core.domain.types import MediaKind
from core.errors import ValidationError
from core.ports_services import Services
from core.services.accounts.access import Right
from core.services.scratch import scratch_dir
from core.services.variant_factory.batches import batch_of, time_left
from core.services.variant_factory.media import _copy_in
from core.services.variant_factory.naming import safe_part
from core.services.variant_factory.views import aspect_label

logger = logging.getLogger(__name__)

MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = (
    "file_name",
    "source_video",
    "audio",
    "hook_text",
    "hook_category",
    "duration_s",
    "aspect",
    "created_at",
    "batch_id",
)


@dataclass(frozen=True, slots=True)
class VariantView:
    id: str
    n: int
    file_name: str
    status: str
    video_key: str | None
    video_title: str
    audio_title: str
    hook_text: str | None
    hook_category: str
    duration_s: float | None
    aspect: str
    render_mode: str | None
    error: str | None
    kept: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class BatchStatus:
    id: str
    name: str
    mode: str
    total: int
    counts: dict[str, int]
    variants: tuple[VariantView, ...]
    expires_at: datetime
    expired: bool
    zip_key: str | None
    created_at: datetime

    @property
    def finished(self) -> bool:
        return self.counts.get("queued", 0) + self.counts.get("rendering", 0) == 0

    @property
    def seconds_left(self) -> float:
        return time_left(self.expires_at).total_seconds()


def _view(v: BatchVariant) -> VariantView:
    i = v.inputs or {}
    return VariantView(
        v.id,
        v.n,
        v.file_name,
        v.status,
        v.video_key,
        i.get("video_title", ""),
        i.get("audio_title", ""),
        i.get("hook_text"),
        i.get("hook_category", "none"),
        v.duration_s,
        aspect_label(v.width or i.get("width"), v.height or i.get("height")),
        v.render_mode,
        (v.error or {}).get("message") if v.error else None,
        v.kept_video_id is not None,
        v.created_at,
    )


def batch_status(batch_id: str, *, user_id: str, services: Services) -> BatchStatus:
    with services.db.session(user_id=user_id) as session:
        batch = batch_of(session, batch_id, user_id, Right.VIEW)
        rows = session.scalars(
            select(BatchVariant).where(BatchVariant.batch_id == batch_id).order_by(BatchVariant.n)
        ).all()
        counts: dict[str, int] = {}
        for row in rows:
            counts[row.status] = counts.get(row.status, 0) + 1
        return BatchStatus(
            batch.id,
            batch.name,
            batch.mode,
            batch.total,
            counts,
            tuple(_view(r) for r in rows),
            batch.expires_at,
            batch.expired,
            batch.zip_key,
            batch.created_at,
        )


def list_batches(project_id: str, *, user_id: str, services: Services, limit: int = 20) -> list[BatchStatus]:
    from core.services.accounts.access import project_with_right

    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.VIEW)
        ids = session.scalars(
            select(VariantBatch.id)
            .where(VariantBatch.project_id == project_id)
            .order_by(VariantBatch.created_at.desc())
            .limit(limit)
        ).all()
    return [batch_status(batch_id, user_id=user_id, services=services) for batch_id in ids]


def manifest_csv(status: BatchStatus) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    for v in status.variants:
        if v.status != "ready":
            continue
        writer.writerow(
            [
                v.file_name,
                _cell(v.video_title),
                _cell(v.audio_title),
                _cell(v.hook_text or ""),
                v.hook_category,
                f"{v.duration_s or 0:.3f}",
                v.aspect,
                v.created_at.isoformat(),
                status.id,
            ]
        )
    return out.getvalue()


def _cell(text: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas; a leading quote keeps them text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _zip_name(name: str) -> str:
    """Names inside the ZIP: a flat, safe base name (naming already did this; checked again here)."""
    stem = safe_part(name.rsplit(".", 1)[0]) or "variant"
    return f"{stem}.mp4"


def build_zip(batch_id: str, *, user_id: str, services: Services) -> str:
    """Write the ready variants and the manifest into a ZIP, one file at a time (stored: MP4 is
    compressed already), within the size bound; store it and return its key."""
    status = batch_status(batch_id, user_id=user_id, services=services)
    with services.db.session(user_id=user_id) as session:
        batch_of(session, batch_id, user_id, Right.EDIT)
    if status.expired:
        raise ValidationError("This batch has expired; its files are gone.")
    ready = [v for v in status.variants if v.status == "ready" and v.video_key]
    if not ready:
        raise ValidationError("No variant of this batch is ready yet.")
    limit = services.settings.factory_zip_max_bytes
    with scratch_dir(services) as tmp:
        archive = Path(tmp) / "batch.zip"
        total = 0
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            zf.writestr(MANIFEST, manifest_csv(status), compress_type=zipfile.ZIP_DEFLATED)
            for v in ready:
                path = services.storage.download_to(v.video_key, Path(tmp) / "part.mp4")  # type: ignore[arg-type]
                total += path.stat().st_size
                if total > limit:
                    raise ValidationError(f"The ZIP would pass {format_mb(limit)}; download the variants one by one.")
                zf.write(path, arcname=_zip_name(v.file_name))
                path.unlink()
        key = services.storage.put_file(
            MediaKind.VIDEO, archive, name=f"batches/{batch_id}/batch", content_type="application/zip"
        )
        size = archive.stat().st_size
    with services.db.session(user_id=user_id) as session:
        batch = batch_of(session, batch_id, user_id, Right.EDIT)
        batch.zip_key, batch.zip_bytes = key, size
    return key


def keep_variants(batch_id: str, variant_ids: list[str], *, user_id: str, services: Services) -> list[str]:
    """Copy chosen ready variants into the video library (type variant, parent = the source video)."""
    status = batch_status(batch_id, user_id=user_id, services=services)
    with services.db.session(user_id=user_id) as session:
        batch = batch_of(session, batch_id, user_id, Right.EDIT)
        project_id = batch.project_id
    wanted = {v.id: v for v in status.variants if v.id in set(variant_ids)}
    if len(wanted) != len(set(variant_ids)):
        raise ValidationError("Some of those variants are not in this batch.")
    kept = []
    for v in wanted.values():
        if v.kept or v.status != "ready" or not v.video_key:
            continue
        with services.db.session(user_id=user_id) as session:
            parent = session.get(BatchVariant, v.id).video_id  # type: ignore[union-attr]
        title = f"{v.file_name.rsplit('.', 1)[0]}"
        video_id = _copy_in(
            project_id,
            v.video_key,
            title=title,
            user_id=user_id,
            services=services,
            kind="variant",
            origin="variant",
            source_ref=v.id,
            parent_id=parent,
        )
        with services.db.session(user_id=user_id) as session:
            session.get(BatchVariant, v.id).kept_video_id = video_id  # type: ignore[union-attr]
        kept.append(video_id)
    return kept


def expire_batches(services: Services) -> int:
    """Delete the files and ZIP of batches past their expiry; a file another live batch reuses
    stays. Kept variants are copies in the library and are not touched. Returns batches expired."""
    now = utcnow()
    with services.db.session() as session:
        due = session.scalars(
            select(VariantBatch).where(VariantBatch.expired.is_(False), VariantBatch.expires_at < now)
        ).all()
        if not due:
            return 0
        ids = [b.id for b in due]
        keys = {
            k
            for (k,) in session.execute(
                select(BatchVariant.video_key).where(
                    BatchVariant.batch_id.in_(ids), BatchVariant.video_key.is_not(None)
                )
            )
            if k is not None  # the query keeps only rows with a key
        }
        live = set(
            session.scalars(
                select(BatchVariant.video_key)
                .join(VariantBatch, VariantBatch.id == BatchVariant.batch_id)
                .where(VariantBatch.expired.is_(False), VariantBatch.id.not_in(ids), BatchVariant.video_key.in_(keys))
            )
        )
        keys = (keys - live) | {b.zip_key for b in due if b.zip_key}
        for batch in due:
            batch.expired, batch.zip_key = True, None
        for variant in session.scalars(select(BatchVariant).where(BatchVariant.batch_id.in_(ids))):
            variant.video_key = None
    for key in keys:
        try:
            services.storage.delete(key)
        except Exception:
            logger.warning("could not delete expired %s", key, exc_info=True)
    logger.info("expired %d variant batches, %d files deleted", len(ids), len(keys))
    return len(ids)
