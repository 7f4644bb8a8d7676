"""What a chat's ad already has, what is still missing to make it, and the mode indicator.

The copilot reads these facts with every message. Whatever a model says, the list of
missing things is computed here from the rows, so "say precisely what's missing" never
depends on a model, and a VIDEO_READY label cannot start an ad that lacks a product.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.adapters.db.models.ads import Ad, AdAvatar, AdProductImage
from core.adapters.db.models.avatars import Avatar
from core.adapters.db.models.copilot import CopilotChat
from core.adapters.db.models.talking import Actor
from core.domain.ads import STYLES, TONES, Platform
from core.domain.copilot import Mode
from core.ports_services import Services
from core.services.accounts.access import Right
from core.services.ads.script import DURATIONS
from core.services.ads.wizard import scenes_of
from core.services.avatars.rights import visible_to
from core.services.copilot.chats import chat_with_right

logger = logging.getLogger(__name__)

# Missing item -> how the copilot asks for it.
ASK = {
    "product photo": "a product photo (attach it below, as Product)",
    "product name": "the product's name (e.g. “it's called Glow Serum”)",
    "avatar": "an avatar (name a catalog actor, e.g. “with Ava”, or one of your avatars from the Avatars page, "
    "or attach photos of the person, as Avatar)",
    "platform": "a platform (TikTok, Reels or Shorts)",
    "go": "a clear go (say “make it” when you're ready)",
}
DEFAULT_SECONDS = {"tiktok": 20, "reels": 30, "shorts": 30}


def actor_names(session: Session) -> list[str]:
    return list(session.scalars(select(Actor.display_name).order_by(Actor.display_name)))


def own_avatar_names(session: Session, project_id: str, user_id: str) -> list[str]:
    """The chat's project's avatars this user may use (their own and the team's shared ones)."""
    query = select(Avatar.name).where(Avatar.project_id == project_id, visible_to(user_id))
    return list(dict.fromkeys(session.scalars(query.order_by(Avatar.created_at))))


def facts_of(session: Session, chat: CopilotChat, user_id: str | None = None) -> dict[str, Any]:
    state = dict(chat.state or {})
    ad = session.get(Ad, chat.ad_id) if chat.ad_id else None
    facts: dict[str, Any] = {
        "product_name": "",
        "has_product_photo": False,
        "avatar": "",
        "platform": state.get("platform", ""),
        "duration_s": state.get("duration_s"),
        "scenes": 0,
        "status": "none",
        "actors": actor_names(session),
        "avatars": own_avatar_names(session, chat.project_id, user_id or chat.owner_id),
    }
    if ad is None:
        return facts
    photos = session.scalar(select(func.count()).select_from(AdProductImage).where(AdProductImage.ad_id == ad.id))
    avatar = session.get(AdAvatar, ad.avatar_id) if ad.avatar_id else None
    brief = (ad.options or {}).get("brief") or {}
    facts.update(
        product_name=ad.product_name,
        has_product_photo=bool(photos),
        avatar=avatar.name if avatar else "",
        platform=facts["platform"] or brief.get("platform", ""),
        scenes=len(scenes_of(session, ad.id)),
        status=ad.status,
        title=ad.title,
    )
    return facts


def clean_slots(slots: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    """Only values the services accept: a model's (or a pattern's) guesses are checked here."""
    clean: dict[str, Any] = {}
    name = " ".join(str(slots.get("product_name") or "").split())
    if 1 < len(name) <= 120:
        clean["product_name"] = name
    if actor := _known_face(str(slots.get("actor") or ""), facts):
        clean["actor"] = actor
    if slots.get("platform") in {p.value for p in Platform}:
        clean["platform"] = slots["platform"]
    duration = slots.get("duration_s")
    if isinstance(duration, int | float) and not isinstance(duration, bool):
        clean["duration_s"] = int(min(max(duration, DURATIONS[0]), DURATIONS[1]))
    if slots.get("tone") in TONES:
        clean["tone"] = slots["tone"]
    if slots.get("style") in STYLES:
        clean["style"] = slots["style"]
    hook = " ".join(str(slots.get("hook") or "").split())[:200]
    if hook:
        clean["hook"] = hook
    return clean


def _known_face(said: str, facts: dict[str, Any]) -> str:
    """A catalog actor or an own avatar, by full name or first name; an own avatar wins a clash
    (the person the creator photographed is the one they mean)."""
    known = {a.split()[0].lower(): a for a in facts.get("actors") or ()}
    for name in facts.get("avatars") or ():
        known[name.split()[0].lower()] = name
        known[name.lower()] = name
    said = " ".join(said.lower().split())
    return known.get(said) or known.get(said.split(" ")[0], "") if said else ""


def missing(facts: dict[str, Any], *, said_go: bool) -> list[str]:
    """What the ad still needs before it can be made, in the order the copilot asks for it."""
    needs = []
    if not facts.get("has_product_photo"):
        needs.append("product photo")
    if not facts.get("product_name"):
        needs.append("product name")
    if not facts.get("avatar"):
        needs.append("avatar")
    if not facts.get("platform"):
        needs.append("platform")
    if not said_go:
        needs.append("go")
    return needs


def ask_for(needs: list[str]) -> str:
    asks = [ASK[n] for n in needs]
    if len(asks) == 1:
        return f"To make the ad I still need {asks[0]}."
    return "To make the ad I still need: " + "; ".join(asks[:-1]) + f"; and {asks[-1]}."


def mode_of(facts: dict[str, Any], state: dict[str, Any]) -> Mode:
    """Ready when only the go is missing; "add" once the chat is about an ad; else chat."""
    if missing(facts, said_go=True) == []:
        return Mode.READY
    started = state.get("video") or facts.get("has_product_photo") or facts.get("avatar") or facts.get("product_name")
    return Mode.NEEDS_INPUT if started else Mode.CHAT


def chat_mode(chat_id: str, *, user_id: str, services: Services) -> Mode:
    """The mode indicator of a chat, from its ad's rows and what the chat has gathered."""
    with services.db.session() as session:
        chat = chat_with_right(session, chat_id, user_id, Right.VIEW)
        return mode_of(facts_of(session, chat), dict(chat.state or {}))
