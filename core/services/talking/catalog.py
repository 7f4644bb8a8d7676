"""The actor catalog: listing with combined filters, one actor, and voice previews."""

from __future__ import annotations

from sqlalchemy import select

from core.adapters.db.models.talking import Actor
from core.domain.types import ActorFilter, ActorView, Voice
from core.domain.voices import voices_for_actor
from core.ports_services import Services


def to_view(actor: Actor) -> ActorView:
    return ActorView(
        id=actor.id,
        key=actor.key,
        display_name=actor.display_name,
        image_key=actor.image_key,
        voice=Voice(
            voice_id=actor.voice_id,
            language=actor.voice_language,
            rate_wpm=actor.voice_rate_wpm,
            pitch=actor.voice_pitch,
            voices=voices_for_actor(actor.key),
        ),
        age_range=actor.age_range,
        gender=actor.gender,
        tags=tuple(actor.tags or ()),
        bio=actor.bio,
    )


def list_actors(actor_filter: ActorFilter | None = None, *, services: Services) -> list[ActorView]:
    actor_filter = actor_filter or ActorFilter()
    with services.db.session() as session:
        actors = session.scalars(select(Actor).order_by(Actor.display_name)).all()
    # Ten to a few hundred rows: filtering in Python keeps tag matching identical on SQLite and Postgres.
    return [to_view(a) for a in actors if actor_filter.matches(a.age_range, a.gender, a.tags or ())]


def voice_preview_key(actor_id: str, *, services: Services) -> str | None:
    with services.db.session() as session:
        actor = session.get(Actor, actor_id)
        return (actor.meta or {}).get("voice_preview_key") if actor else None
