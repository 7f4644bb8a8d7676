"""Refinement by chat: "make scene 2 punchier", "shorter", "more casual", "redo scene 3 with a closer shot".

The copilot proposes structured edits; they are applied with `ugc_scenes.edit_scene`
(the same validation as the wizard's editor), and the ad is remade with the wizard's
services: at the storyboard review, changed scenes are redrawn; once the ad is done, a
new generation runs, and the asset fingerprints make sure only changed scenes are made
again.
"""

from __future__ import annotations

import logging

from core.domain.ad_views import AdView
from core.domain.ads import AdStatus
from core.domain.copilot import MessageKind
from core.errors import StudioError, ValidationError
from core.ports import EditRequest
from core.ports_services import Services
from core.services.accounts.access import Right
from core.services.ads import generation, parse, wizard
from core.services.ads import scenes as ads_scenes
from core.services.copilot import calls
from core.services.copilot.chats import add_message, chat_with_right

logger = logging.getLogger(__name__)

VISUAL = ("camera", "action", "setting", "lighting", "expression", "product_action")


def _request(ad: AdView, instruction: str, services: Services) -> EditRequest:
    scenes = tuple({"number": s.number, **parse.canonical(s.script)} for s in ad.scenes)
    limits = {
        "words_per_minute": services.settings.words_per_minute,
        "max_words_per_8s": services.settings.ugc_scene_max_words_per_8s,
    }
    return EditRequest(instruction, scenes, limits)


def _apply(ad: AdView, request: EditRequest, *, user_id: str, services: Services) -> tuple[list[int], list[int], str]:
    """(changed scene numbers, scenes to redraw, the copilot's summary); invalid edits are skipped and said."""
    answer = calls.propose_edits(services, request, user_id=user_id)
    by_number = {s.number: s for s in ad.scenes}
    changed, redraw, problems = [], set(answer.redo), []
    for edit in answer.edits:
        scene = by_number.get(edit.number)
        if scene is None:
            problems.append(f"there is no scene {edit.number}")
            continue
        try:
            if ads_scenes.edit_scene(scene.id, edit.changes, user_id=user_id, services=services):
                changed.append(edit.number)
                if any(k in VISUAL for k in edit.changes):
                    redraw.add(edit.number)
        except StudioError as exc:
            problems.append(f"scene {edit.number}: {exc.message}")
    summary = answer.summary + (" Not done: " + "; ".join(problems) + "." if problems else "")
    return changed, sorted(n for n in redraw if n in by_number), summary


def refine(chat_id: str, instruction: str, *, user_id: str, services: Services) -> str:
    """Apply the creator's change request to the chat's ad; posts and returns the reply."""
    with services.db.session() as session:
        ad_id = chat_with_right(session, chat_id, user_id, Right.EDIT).ad_id
    if not ad_id:
        raise ValidationError("There is no script in this chat yet to change.")
    ad = wizard.get_ad(ad_id, user_id=user_id, services=services)
    if ad.status is AdStatus.GENERATING:
        raise ValidationError("The ad is being made right now; ask again at the storyboard review or when it's done.")
    changed, redraw, summary = _apply(ad, _request(ad, instruction, services), user_id=user_id, services=services)
    scene_ids = {s.number: s.id for s in ad.scenes}
    after = summary
    if ad.status is AdStatus.REVIEW:
        for number in redraw:
            generation.regenerate_frame(scene_ids[number], user_id=user_id, services=services)
        if redraw:
            after += f" Redrawing the storyboard of scene(s) {', '.join(map(str, redraw))}."
    elif ad.job is not None and (changed or redraw):
        if not changed and len(redraw) == 1:
            generation.redo_scene(scene_ids[redraw[0]], user_id=user_id, services=services, frame=True)
        else:
            generation.start_generation(ad_id, user_id=user_id, services=services)
        remade = sorted(set(changed) | set(redraw))
        after += f" Making scene(s) {', '.join(map(str, remade))} again; the others are reused."
    elif changed:
        after += " Say “make it” when you want the video."
    with services.db.session() as session:
        chat = chat_with_right(session, chat_id, user_id, Right.EDIT)
        if ad.job is not None and ad.status is not AdStatus.REVIEW and (changed or redraw):
            chat.state = {**(chat.state or {}), "seen_status": AdStatus.GENERATING.value}
        add_message(session, chat, role="assistant", text=after, kind=MessageKind.PROGRESS, ad_id=ad_id)
    return after
