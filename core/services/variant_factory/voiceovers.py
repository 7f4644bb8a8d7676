"""New voice-overs for the audio library: a script said by a catalog actor's voice through the
speech port. A cloud voice is paid: the job is admitted against the daily ceilings with its
estimate held, and its speech call lands in the cost ledger like any other."""

from __future__ import annotations

from sqlalchemy import func, select

from core.adapters.db.models.jobs import Job
from core.adapters.db.models.talking import Actor
from core.adapters.db.models.variant_factory import LibraryAudio
from core.errors import NotFound
from core.ports_services import Services
from core.services.accounts import audit
from core.services.accounts.access import Right, project_with_right
from core.services.safety import content_guard
from core.services.talking.videos import spoken_seconds, validate_script
from core.services.usage import estimates, spend
from core.services.variant_factory.media import clean_title

VOICEOVER_JOB = "factory_voiceover"


def estimate_voiceover(script: str, *, user_id: str, services: Services) -> float:
    seconds = spoken_seconds(script, services.settings.words_per_minute)
    return estimates.speech_cost(seconds, services=services, user_id=user_id)


def create_voiceover(
    project_id: str, script: str, actor_id: str, *, title: str, user_id: str, services: Services
) -> str:
    with audit.refusals(services, user_id=user_id, project_id=project_id, what="voice-over"):
        script = validate_script(script, services)
        content_guard.check_texts(services.settings, script=script)
        cost = estimate_voiceover(script, user_id=user_id, services=services)
        with services.db.session(user_id=user_id) as session:
            project_with_right(session, project_id, user_id, Right.EDIT)
            if session.scalar(select(func.count()).select_from(Actor).where(Actor.id == actor_id)) != 1:
                raise NotFound("That actor is not in the catalog.")
            spend.admit(session, user_id=user_id, project_id=project_id, estimate_usd=cost, services=services)
            row = LibraryAudio(
                owner_id=user_id,
                project_id=project_id,
                title=clean_title(title, script[:60]),
                origin="voiceover",
                status="queued",
                script=script,
                actor_id=actor_id,
            )
            session.add(row)
            session.flush()
            job = Job(owner_id=user_id, kind=VOICEOVER_JOB, subject_id=row.id, payload={"audio_id": row.id})
            session.add(job)
            session.flush()
            row.job_id = job.id
            spend.hold(session, job_id=job.id, user_id=user_id, project_id=project_id, estimate_usd=cost)
            audio_id, job_id = row.id, job.id
    services.queue.enqueue(job_id)
    return audio_id
