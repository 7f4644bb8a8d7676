"""Ads of the mass generator: open (resume) the wizard, save its step and options, read it back.

Every read and write passes `core.services.accounts.access` project rights: viewers may look,
editors may change. The wizard's state is the ad row, so a refresh or another browser
resumes where the creator left off.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.adapters.db.models.ads import Ad, AdAvatar, AdOutput, AdProductImage, AdQcReport, AdScene
from core.adapters.db.models.jobs import Job
from core.adapters.media.lut import parse_cube
from core.domain.ad_views import AdView, AvatarView, OutputView, ProductImageView
from core.domain.ads import (
    REALISM_KEYS,
    WIZARD_STEPS,
    AdStatus,
    Aspect,
    QcFinding,
    QcReport,
    RealismSettings,
    Transition,
)
from core.domain.types import ErrorInfo, JobStatus, JobView, MediaKind
from core.errors import NotFound, ValidationError
from core.ports_services import Services
from core.services.accounts.access import Right, project_with_right
from core.services.ads import parse

logger = logging.getLogger(__name__)


def ad_with_right(session: Session, ad_id: str, user_id: str, need: Right) -> Ad:
    ad = session.get(Ad, ad_id)
    if ad is None:
        raise NotFound("That ad does not exist or is not shared with you.")
    project_with_right(session, ad.project_id, user_id, need)
    return ad


def default_options(services: Services) -> dict[str, Any]:
    s = services.settings
    realism = RealismSettings(
        s.ugc_grain, s.ugc_vignette, s.ugc_shake_px, s.ugc_saturation, s.ugc_chromatic_aberration, s.ugc_lens_distortion
    )
    return {
        "aspects": [Aspect.VERTICAL.value],
        "transition": "auto",
        "captions": True,
        "music": True,
        "realism": {k: getattr(realism, k) for k in REALISM_KEYS},
        "lut": {"on": False},
    }


def open_wizard(project_id: str, *, user_id: str, services: Services, fresh: bool = False) -> str:
    """The creator's latest ad in this project (resumed), or a new draft. Returns its id."""
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.EDIT)
        if not fresh:
            latest = session.scalar(
                select(Ad.id)
                .where(Ad.project_id == project_id, Ad.owner_id == user_id)
                .order_by(Ad.updated_at.desc())
                .limit(1)
            )
            if latest:
                return latest
        ad = Ad(owner_id=user_id, project_id=project_id, options=default_options(services))
        session.add(ad)
        session.flush()
        return ad.id


def save_step(ad_id: str, step: str, *, user_id: str, services: Services) -> None:
    if step not in WIZARD_STEPS:
        raise ValidationError(f"Unknown wizard step “{step}”.")
    with services.db.session(user_id=user_id) as session:
        ad_with_right(session, ad_id, user_id, Right.EDIT).wizard_step = step


@dataclass(frozen=True, slots=True)
class LutUpload:
    """A `.cube` file as the creator chose it: its bytes and its file name (shown back, never used as a path)."""

    data: bytes
    name: str


def _realism_ok(realism: RealismSettings) -> bool:
    return (
        0 <= realism.grain <= 20
        and 0 <= realism.vignette <= 1
        and 0 <= realism.shake_px <= 8
        and 0.5 <= realism.saturation <= 1.5
        and 0 <= realism.chromatic_aberration <= 6
        and 0 <= realism.lens_distortion <= 0.3
    )


def _stored_lut(ad_id: str, upload: LutUpload, services: Services) -> dict[str, Any]:
    """Parse and check the upload (a clear error, nothing stored, if it is not a good 3D LUT); store the numbers."""
    lut = parse_cube(upload.data, max_bytes=services.settings.ugc_lut_max_bytes)
    key = services.storage.put_bytes(
        MediaKind.IMAGE, lut.to_json(), name=f"ugc/{ad_id}/lut-{uuid.uuid4().hex}", content_type="application/json"
    )
    name = "".join(c for c in upload.name if c.isprintable())[:80] or "LUT"
    return {"key": key, "name": name, "size": lut.size}


def save_output_options(
    ad_id: str,
    *,
    aspects: list[str],
    transition: str,
    realism: RealismSettings,
    captions: bool,
    music: bool,
    user_id: str,
    services: Services,
    lut_on: bool | None = None,
    lut_upload: LutUpload | None = None,
) -> None:
    """The generate step's choices: output aspect ratios (first = the one drawn), transitions, realism layer,
    and the colour grade (a new `.cube` replaces the ad's LUT; `lut_on` switches grading on or off)."""
    if not aspects:
        raise ValidationError("Pick at least one output format.")
    chosen = [Aspect(a).value for a in dict.fromkeys(aspects)]
    if transition != "auto":
        Transition(transition)
    if not _realism_ok(realism):
        raise ValidationError("A realism setting is out of range.")
    with services.db.session(user_id=user_id) as session:  # the right to edit, before anything is parsed or stored
        old = dict(ad_with_right(session, ad_id, user_id, Right.EDIT).options or {}).get("lut") or {"on": False}
    lut = {**old, **_stored_lut(ad_id, lut_upload, services)} if lut_upload is not None else dict(old)
    if lut_upload is not None:
        lut["on"] = True  # a new LUT is uploaded to be used
    elif lut_on is not None:
        lut["on"] = bool(lut_on) and "key" in lut
    with services.db.session(user_id=user_id) as session:
        ad = ad_with_right(session, ad_id, user_id, Right.EDIT)
        ad.options = {
            **(ad.options or {}),
            "aspects": chosen,
            "transition": transition,
            "captions": captions,
            "music": music,
            "realism": {k: getattr(realism, k) for k in REALISM_KEYS},
            "lut": lut,
        }
    if lut_upload is not None and old.get("key") and old["key"] != lut.get("key"):
        services.storage.delete(old["key"])  # the LUT it replaced


def _job_view(job: Job | None) -> JobView | None:
    if job is None:
        return None
    error = (
        ErrorInfo(job.error.get("code", "error"), job.error.get("message", ""), job.error.get("details"))
        if job.error
        else None
    )
    return JobView(job.id, JobStatus(job.status), job.current_step, job.progress, error, job.updated_at)


def _avatar_view(avatar: AdAvatar | None) -> AvatarView | None:
    if avatar is None:
        return None
    dna = parse.character_dna(avatar.dna) if avatar.dna else None
    return AvatarView(
        avatar.id, avatar.name, avatar.actor_id, list(avatar.reference_keys or []), dna, dict(avatar.voice or {})
    )


def _qc(report: AdQcReport | None) -> QcReport | None:
    if report is None:
        return None
    raw = report.report or {}
    findings = [QcFinding(**f) for f in raw.get("findings", [])]
    return QcReport(report.passed, findings, raw.get("metrics", {}), raw.get("flagged_scenes", []))


def _outputs(session: Session, ad: Ad) -> list[OutputView]:
    if not ad.job_id:
        return []
    rows = session.scalars(select(AdOutput).where(AdOutput.ad_id == ad.id).order_by(AdOutput.created_at.desc())).all()
    latest_job = rows[0].job_id if rows else None
    views = []
    for row in (r for r in rows if r.job_id == latest_job):
        report = session.scalar(select(AdQcReport).where(AdQcReport.output_id == row.id))
        views.append(
            OutputView(
                row.id,
                row.aspect,
                row.video_key,
                row.poster_key,
                list(row.captions or []),
                row.duration_s,
                row.width,
                row.height,
                _qc(report),
                row.created_at,
            )
        )
    return views


def get_ad(ad_id: str, *, user_id: str, services: Services, with_scenes: bool = True) -> AdView:
    from core.services.ads.scenes import scene_views  # scenes need the asset fingerprints

    with services.db.session(user_id=user_id) as session:
        ad = ad_with_right(session, ad_id, user_id, Right.VIEW)
        images = session.scalars(
            select(AdProductImage).where(AdProductImage.ad_id == ad.id).order_by(AdProductImage.position)
        )
        avatar = session.get(AdAvatar, ad.avatar_id) if ad.avatar_id else None
        job = session.get(Job, ad.job_id) if ad.job_id else None
        view = AdView(
            id=ad.id,
            project_id=ad.project_id,
            title=ad.title,
            status=AdStatus(ad.status),
            wizard_step=ad.wizard_step,
            product_name=ad.product_name,
            brand_name=ad.brand_name,
            options=dict(ad.options or {}),
            product_images=[ProductImageView(i.id, i.image_key, i.width, i.height) for i in images],
            product_dna=parse.product_dna(ad.product_dna) if ad.product_dna else None,
            avatar=_avatar_view(avatar),
            creative_brief=parse.creative_brief(ad.creative_brief) if ad.creative_brief else None,
            script_meta=dict(ad.script_meta) if ad.script_meta else None,
            job=_job_view(job),
            error=(ad.error or {}).get("message"),
            updated_at=ad.updated_at,
        )
        if with_scenes:
            view.scenes.extend(scene_views(session, ad, services.settings))
        view.outputs.extend(_outputs(session, ad))
        return view


def scenes_of(session: Session, ad_id: str) -> list[AdScene]:
    return list(session.scalars(select(AdScene).where(AdScene.ad_id == ad_id).order_by(AdScene.number)))


def srt_text(captions: list[dict[str, Any]]) -> str:
    """A finished ad's captions as SubRip text, for download."""

    def stamp(seconds: float) -> str:
        ms = round(seconds * 1000)
        return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    blocks = [
        f"{i}\n{stamp(c['start_s'])} --> {stamp(c['end_s'])}\n{c['text']}\n" for i, c in enumerate(captions, start=1)
    ]
    return "\n".join(blocks)


def script_json(ad: AdView) -> str:
    import json

    return json.dumps(
        {
            "title": ad.title,
            "scenes": [s.script.to_dict() for s in ad.scenes],
            "creative_brief": ad.creative_brief.to_dict() if ad.creative_brief else None,
        },
        indent=2,
    )


@dataclass(frozen=True, slots=True)
class AdSummary:
    id: str
    title: str
    status: AdStatus
    outputs: int
    updated_at: datetime


def project_ads(project_id: str, *, user_id: str, services: Services) -> list[AdSummary]:
    """The project's ads, newest first, for anyone who may view the project (the read-only wizard)."""
    with services.db.session() as session:
        project_with_right(session, project_id, user_id, Right.VIEW)
        ads = session.scalars(select(Ad).where(Ad.project_id == project_id).order_by(Ad.updated_at.desc())).all()
        counts = dict(
            session.execute(
                select(AdOutput.ad_id, func.count(AdOutput.id))
                .where(AdOutput.ad_id.in_([a.id for a in ads]))
                .group_by(AdOutput.ad_id)
            ).all()
        )
        return [
            AdSummary(a.id, a.title or a.product_name or "", AdStatus(a.status), int(counts.get(a.id, 0)), a.updated_at)
            for a in ads
        ]
