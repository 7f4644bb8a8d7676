"""The one pipeline, driven from a chat: the chat's ad is filled through the wizard's own
services (product and DNA, avatar, brief, script) and made by the same `ugc_ad` job.

Nothing here writes an ad row directly: every change goes through `ugc_product`,
`ugc_avatar`, `ugc_script` and `ugc_generation`, with their checks, rights and calls,
so an ad made by chatting is an ordinary ad in the wizard and the Library.
`sync_progress` turns the ad's status changes into chat messages, once each.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from core.adapters.db.models.ads import Ad, AdAvatar, AdProductImage
from core.adapters.db.models.avatars import Avatar
from core.adapters.db.models.talking import Actor
from core.domain.ads import STYLES, TONES, AdStatus, BriefInput, Platform
from core.domain.copilot import MessageKind
from core.domain.types import ACTIVE_JOB_STATUSES
from core.errors import ValidationError
from core.ports_services import Services
from core.services.accounts.access import Right
from core.services.ads import avatar as ads_avatar
from core.services.ads import generation, script
from core.services.ads import product as ads_product
from core.services.ads import wizard as ads_wizard
from core.services.ads.script import PROMPT_MAX
from core.services.avatars import wizard
from core.services.avatars.rights import visible_to
from core.services.copilot.chats import add_message, chat_with_right, lock_chat
from core.services.copilot.facts import DEFAULT_SECONDS

logger = logging.getLogger(__name__)


def ensure_ad(chat_id: str, *, user_id: str, services: Services) -> str:
    """The chat's ad, made (as a fresh wizard draft in the chat's project) on first need."""
    with services.db.session() as session:
        chat = chat_with_right(session, chat_id, user_id, Right.EDIT)
        if chat.ad_id and session.get(Ad, chat.ad_id) is not None:
            return chat.ad_id
        project_id = chat.project_id
    ad_id = ads_wizard.open_wizard(project_id, user_id=user_id, services=services, fresh=True)
    with services.db.session() as session:
        chat_with_right(session, chat_id, user_id, Right.EDIT).ad_id = ad_id
    return ad_id


def attach(
    chat_id: str, files: list[bytes], as_avatar: bool, *, name: str, user_id: str, services: Services
) -> list[str]:
    """Photos from the chat input, checked and stored exactly as wizard uploads. Returns their keys."""
    ad_id = ensure_ad(chat_id, user_id=user_id, services=services)
    if as_avatar:
        avatar_id = ads_avatar.create_avatar_from_photos(ad_id, name, files, user_id=user_id, services=services)
        with services.db.session() as session:
            avatar = session.get(AdAvatar, avatar_id)
            return list(avatar.reference_keys) if avatar else []
    with services.db.session() as session:
        before = set(session.scalars(select(AdProductImage.image_key).where(AdProductImage.ad_id == ad_id)))
    ads_product.add_product_images(ad_id, files, user_id=user_id, services=services)
    with services.db.session() as session:
        after = session.scalars(
            select(AdProductImage.image_key).where(AdProductImage.ad_id == ad_id).order_by(AdProductImage.position)
        )
        keys = [k for k in after if k not in before]
    _refresh_product_dna(ad_id, user_id, services)
    return keys


def _refresh_product_dna(ad_id: str, user_id: str, services: Services) -> None:
    with services.db.session() as session:
        named = bool(session.get(Ad, ad_id).product_name)  # type: ignore[union-attr]
    if named:  # the vision call needs the name as its hint; without one it runs when the name comes
        ads_product.extract_product_dna(ad_id, user_id=user_id, services=services)


def apply_slots(chat_id: str, slots: dict[str, Any], *, user_id: str, services: Services) -> list[str]:
    """Put what a message said where the wizard keeps it. Returns what was set, in words."""
    done: list[str] = []
    if slots.get("product_name") or slots.get("actor"):
        ad_id = ensure_ad(chat_id, user_id=user_id, services=services)
        ad = ads_wizard.get_ad(ad_id, user_id=user_id, services=services, with_scenes=False)
        if slots.get("product_name") and slots["product_name"] != ad.product_name:
            ads_product.save_product_info(
                ad_id, name=slots["product_name"], brand=ad.brand_name, user_id=user_id, services=services
            )
            done.append(f"product: {slots['product_name']}")
            if ad.product_images:
                _refresh_product_dna(ad_id, user_id, services)
        if slots.get("actor") and (ad.avatar is None or ad.avatar.name != slots["actor"]):
            done.extend(_choose_face(ad_id, slots["actor"], user_id=user_id, services=services))
    keep: dict[str, Any] = {k: slots[k] for k in ("platform", "duration_s", "tone", "style", "hook") if k in slots}
    if keep:
        with services.db.session() as session:
            chat = chat_with_right(session, chat_id, user_id, Right.EDIT)
            chat.state = {**(chat.state or {}), **keep}
        done.extend(f"{k.replace('_s', '').replace('_', ' ')}: {v}" for k, v in keep.items() if k != "hook")
    return done


def _choose_face(ad_id: str, name: str, *, user_id: str, services: Services) -> list[str]:
    """An own avatar of that name (in the ad's project, visible to this user) first, else the catalog
    actor; the wizard's services copy its photos and check the rights again."""
    with services.db.session() as session:  # ads are read by the services' role (0003_ugc_rls)
        project_id = session.scalar(select(Ad.project_id).where(Ad.id == ad_id))
        own_id = session.scalar(
            select(Avatar.id)
            .where(Avatar.project_id == project_id, Avatar.name == name, visible_to(user_id))
            .order_by(Avatar.created_at)
            .limit(1)
        )
        actor_id = None if own_id else session.scalar(select(Actor.id).where(Actor.display_name == name))
    if own_id:
        wizard.choose_saved_avatar(ad_id, own_id, user_id=user_id, services=services)
        return [f"avatar: {name} (your avatar)"]
    if actor_id:
        ads_avatar.choose_catalog_actor(ad_id, actor_id, user_id=user_id, services=services)
        return [f"avatar: {name}"]
    return []


def _brief(state: dict[str, Any], product: str) -> BriefInput:
    platform = Platform(state.get("platform") or "tiktok")
    notes = " ".join(state.get("notes") or [])
    hook = f" Hook on {state['hook']}." if state.get("hook") else ""
    prompt = " ".join(f"{notes}{hook}".split())[:PROMPT_MAX] or f"An honest, natural ad for {product}."
    return BriefInput(
        platform,
        str(state["style"]) if state.get("style") in STYLES else STYLES[0],
        str(state["tone"]) if state.get("tone") in TONES else TONES[0],
        int(state.get("duration_s") or DEFAULT_SECONDS[platform.value]),
        prompt,
    )


def fill_and_start(chat_id: str, *, user_id: str, services: Services) -> str:
    """Brief, creative brief, script, then the generation job, all through the wizard's services.
    Posts what happened to the chat; returns the job's id."""
    ad_id = ensure_ad(chat_id, user_id=user_id, services=services)
    ad = ads_wizard.get_ad(ad_id, user_id=user_id, services=services, with_scenes=False)
    if ad.job is not None and ad.job.status in ACTIVE_JOB_STATUSES:
        raise ValidationError("This chat's ad is already being made; I'll post here when it moves on.")
    if ad.product_dna is None:
        ads_product.extract_product_dna(ad_id, user_id=user_id, services=services)
    with services.db.session() as session:
        state = dict(chat_with_right(session, chat_id, user_id, Right.EDIT).state or {})
    brief = _brief(state, ad.product_name)
    script.save_brief(ad_id, brief, user_id=user_id, services=services)
    script.expand_brief(ad_id, user_id=user_id, services=services)
    draft = script.generate_script(ad_id, user_id=user_id, services=services)
    job_id = generation.start_generation(ad_id, user_id=user_id, services=services)
    text = (
        f"Script written: “{draft.title}”, {len(draft.scenes)} scenes, about {draft.total_duration_s:.0f} s for "
        f"{brief.platform.value}. I'm drawing the storyboard now; you'll approve it here before the clips are made."
    )
    with services.db.session() as session:
        chat = chat_with_right(session, chat_id, user_id, Right.EDIT)
        chat.state = {**(chat.state or {}), "seen_status": AdStatus.GENERATING.value, "seen_job": job_id}
        add_message(session, chat, role="assistant", text=text, kind=MessageKind.PROGRESS, ad_id=ad_id)
    return job_id


def approve(chat_id: str, *, user_id: str, services: Services) -> list[int]:
    """Approve the chat's storyboard (each scene's best frame, as the wizard's default)."""
    ad_id = ensure_ad(chat_id, user_id=user_id, services=services)
    ad = ads_wizard.get_ad(ad_id, user_id=user_id, services=services, with_scenes=False)
    if ad.status is not AdStatus.REVIEW:
        raise ValidationError("There is no storyboard waiting for approval.")
    redrawn = generation.approve_storyboard(ad_id, user_id=user_id, services=services)
    pending = ", ".join(map(str, redrawn))
    note = f" Scene(s) {pending} are still being drawn and will use their best frame." if redrawn else ""
    with services.db.session() as session:
        chat = chat_with_right(session, chat_id, user_id, Right.EDIT)
        chat.state = {**(chat.state or {}), "seen_status": AdStatus.GENERATING.value}
        add_message(
            session,
            chat,
            role="assistant",
            kind=MessageKind.PROGRESS,
            ad_id=ad_id,
            text="Storyboard approved. Making the clips, the voice-over and the final cut now." + note,
        )
    return redrawn


ANNOUNCE = {
    AdStatus.REVIEW: (
        MessageKind.STORYBOARD,
        "The storyboard is ready. Approve it, or ask for changes, e.g. “redo scene 3 with a closer shot”.",
    ),
    AdStatus.COMPLETED: (
        MessageKind.VIDEO,
        "Your ad is ready. Ask for changes (“make scene 2 punchier”, "
        "“shorter”) and only the changed scenes are made again.",
    ),
    AdStatus.NEEDS_ATTENTION: (MessageKind.ERROR, "A scene failed"),
    AdStatus.FAILED: (MessageKind.ERROR, "The generation failed"),
    AdStatus.CANCELLED: (MessageKind.PROGRESS, "The generation was cancelled."),
}


def sync_progress(chat_id: str, *, user_id: str, services: Services) -> bool:
    """Post a message for an ad status not announced yet (each once, even with two browsers open).
    Returns whether one was posted."""
    with services.db.session() as session:
        chat = chat_with_right(session, chat_id, user_id, Right.EDIT)
        ad = session.get(Ad, chat.ad_id) if chat.ad_id else None
        if ad is None or not ad.job_id:
            return False
        lock_chat(session, chat.id)
        session.refresh(chat)
        state = dict(chat.state or {})
        status = AdStatus(ad.status)
        if state.get("seen_status") == status.value and state.get("seen_job") == ad.job_id:
            return False
        chat.state = {**state, "seen_status": status.value, "seen_job": ad.job_id}
        if status not in ANNOUNCE:
            return False
        kind, text = ANNOUNCE[status]
        if kind is MessageKind.ERROR:
            reason = (ad.error or {}).get("message") or "no reason given"
            text = f"{text}: {reason}. Open the ad in the Mass generator to retry that scene."
        add_message(session, chat, role="assistant", text=text, kind=kind, ad_id=ad.id)
        return True
