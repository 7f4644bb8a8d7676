"""The scene studio (spec 004): every scene's audio, images and clip with a status each, and
batch "generate all" that carries on past a scene that fails and says why, per scene.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from core.adapters.db.models.ads import Ad
from core.domain.ads import AssetKind
from core.errors import StudioError
from core.ports_services import Services
from core.services.accounts.access import Right, project_with_right
from core.services.ads import assets, spend
from core.services.ads.generation import retry_in_session
from core.services.ads.wizard import ad_with_right, scenes_of

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    scene_number: int
    state: str  # queued | up to date | skipped | error
    message: str = ""


@dataclass(frozen=True, slots=True)
class AdSummary:
    id: str
    title: str
    status: str
    scenes: int


def list_ads(project_id: str, *, user_id: str, services: Services) -> list[AdSummary]:
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.VIEW)
        ads = session.scalars(select(Ad).where(Ad.project_id == project_id).order_by(Ad.updated_at.desc())).all()
        return [
            AdSummary(a.id, a.title or a.product_name or "Untitled ad", a.status, len(scenes_of(session, a.id)))
            for a in ads
        ]


def _one(services: Services, ad_id: str, scene_id: str, kind: AssetKind, user_id: str) -> BatchOutcome:
    """Queue one scene's asset in its own transaction, so one failure cannot undo the others."""
    prices = spend.unit_prices(services, user_id)
    with services.db.session(user_id=user_id) as session:
        ad = ad_with_right(session, ad_id, user_id, Right.EDIT)
        scene = next(s for s in scenes_of(session, ad_id) if s.id == scene_id)
        if kind is AssetKind.FRAME:
            ctx = assets.load_context(session, ad, services.settings)
            jobs = assets.ensure_frames(session, ctx, scene, user_id) or assets.retry_frames(
                session, ctx, scene, user_id
            )
            spend.admit_assets(session, ad, jobs, prices, user_id=user_id, services=services)
        else:
            jobs = retry_in_session(session, services, ad, scene, kind, user_id, prices)
        number = scene.number
    assets.enqueue_all(services, jobs)
    return BatchOutcome(number, "queued" if jobs else "up to date")


def generate_all(ad_id: str, kind: AssetKind, *, user_id: str, services: Services) -> list[BatchOutcome]:
    """Queue `kind` for every scene that lacks it; a scene that cannot be queued is reported and skipped."""
    with services.db.session(user_id=user_id) as session:
        ad_with_right(session, ad_id, user_id, Right.EDIT)
        scenes = [(s.id, s.number) for s in scenes_of(session, ad_id)]
    outcomes = []
    for scene_id, number in scenes:
        try:
            outcomes.append(_one(services, ad_id, scene_id, kind, user_id))
        except StudioError as exc:
            outcomes.append(BatchOutcome(number, "skipped", exc.message))
        except Exception:  # one broken scene must not stop the batch
            logger.exception("batch %s for scene %s failed", kind.value, number)
            outcomes.append(BatchOutcome(number, "error", "Something went wrong with this scene; try it again."))
    return outcomes
