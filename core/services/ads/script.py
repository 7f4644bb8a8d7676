"""Wizard steps 3 and 4: the brief (expanded into a creative brief) and the structured script.

Writing the script is all or nothing: the writer's answer is parsed and checked whole
(JSON, shape, 150 words a minute) before anything is stored, and the new scenes replace
the old ones in one transaction. A malformed answer stores nothing and says so.
"""

from __future__ import annotations

import copy
import json
import logging
import math
from typing import Any

from sqlalchemy import delete

from core.adapters.db.models.ads import Ad, AdAvatar, AdScene
from core.domain import text as text_rules
from core.domain.ads import STYLES, TONES, BriefInput, CreativeBrief, Platform, ScriptDraft
from core.errors import ValidationError
from core.ports import ScriptRequest, ScriptTask
from core.ports_services import Services
from core.services.accounts.access import Right
from core.services.ads import calls, continuity, pacing, parse
from core.services.ads.assets import CLIP_HANDLE_S, brief_of
from core.services.ads.parse import MAX_SCENES, SCENE_SECONDS
from core.services.ads.wizard import ad_with_right
from core.services.safety import content_guard

logger = logging.getLogger(__name__)

PROMPT_MAX = 1000
DURATIONS = (10, 60)
BRIEF_SCHEMA = {
    "type": "object",
    "required": ["hook_strategy", "pain_point", "selling_points", "emotional_arc", "call_to_action"],
    "properties": {
        "hook_strategy": {"type": "string"},
        "pain_point": {"type": "string"},
        "selling_points": {"type": "array", "items": {"type": "string"}},
        "emotional_arc": {"type": "string"},
        "call_to_action": {"type": "string"},
        "audience": {"type": "string"},
    },
}
SCENE_SCHEMA = {
    "type": "object",
    "required": ["scene_type", "duration_seconds", "dialogue", "action", "camera", "lighting", "product_visibility"],
    "properties": {
        "scene_type": {"type": "string", "enum": ["hook", "problem", "solution", "demo", "testimonial", "cta"]},
        "duration_seconds": {"type": "number", "minimum": SCENE_SECONDS[0], "maximum": SCENE_SECONDS[1]},
        "dialogue": {
            "type": "string",
            "description": "Spoken line: at most 2.5 words per second of the scene (20 words in 8 s).",
        },
        "action": {"type": "string"},
        "expression": {"type": "string"},
        "setting": {"type": "string"},
        "product_action": {"type": "string"},
        "camera": {"type": "object", "properties": {k: {"type": "string"} for k in ("shot_type", "angle", "movement")}},
        "lighting": {"type": "object", "properties": {k: {"type": "string"} for k in ("type", "direction")}},
        "product_visibility": {"type": "string", "enum": ["primary", "secondary", "none"]},
    },
}
SCRIPT_SCHEMA = {
    "type": "object",
    "required": ["title", "scenes"],
    "properties": {
        "title": {"type": "string"},
        "audio_direction": {"type": "string"},
        "scenes": {"type": "array", "items": SCENE_SCHEMA, "minItems": 2, "maxItems": MAX_SCENES},
    },
}


def script_schema(max_scene_s: float) -> dict[str, Any]:
    """The script's schema with the longest scene the video model can make (one generation and its extensions)."""
    schema: dict[str, Any] = copy.deepcopy(SCRIPT_SCHEMA)
    schema["properties"]["scenes"]["items"]["properties"]["duration_seconds"]["maximum"] = max_scene_s
    return schema


DIRECTOR = (
    "You are a UGC ad director. Write natural, spoken, honest lines; keep the product visible in at least "
    "80% of scenes; answer with one JSON object following the schema, nothing else."
)


def save_brief(ad_id: str, brief: BriefInput, *, user_id: str, services: Services) -> None:
    prompt = text_rules.required(
        brief.prompt, field="brief", multiline=False, message="Describe the ad you want in a sentence or two."
    )
    prompt = " ".join(prompt.split())
    if len(prompt) > PROMPT_MAX:
        raise ValidationError(f"Keep the brief under {PROMPT_MAX} characters (it has {len(prompt)}).")
    if brief.style not in STYLES or brief.tone not in TONES:
        raise ValidationError("Pick a style and a tone from the lists.")
    if not DURATIONS[0] <= brief.duration_s <= DURATIONS[1]:
        raise ValidationError(f"Ads last {DURATIONS[0]}-{DURATIONS[1]} seconds.")
    content_guard.check_texts(services.settings, brief=prompt)
    clean = BriefInput(Platform(brief.platform), brief.style, brief.tone, int(brief.duration_s), prompt)
    with services.db.session(user_id=user_id) as session:
        ad = ad_with_right(session, ad_id, user_id, Right.EDIT)
        ad.options = {**(ad.options or {}), "brief": clean.to_dict()}


def longest_scene(services: Services, owner_id: str | None) -> float:
    """The longest scene the writer (or the creator) may ask for; read outside a transaction (user keys)."""
    return continuity.scene_bound(services, owner_id, CLIP_HANDLE_S)


def writer_context(
    ad: Ad, avatar: AdAvatar | None, services: Services, *, max_scene_s: float = SCENE_SECONDS[1]
) -> dict[str, Any]:
    brief = brief_of(ad)
    if brief is None:
        raise ValidationError("Fill in the brief first.")
    return {
        "brief": brief.to_dict(),
        "product": ad.product_dna or {"product_name": ad.product_name},
        "product_name": ad.product_name,
        "brand_name": ad.brand_name,
        "character": (avatar.dna if avatar else None) or {},
        "creative_brief": ad.creative_brief or {},
        **_pace_fields(pacing.pace(services.settings, avatar.voice if avatar else None)),
        "max_scene_seconds": max_scene_s,
    }


def _pace_fields(rules: pacing.Pace) -> dict[str, int]:
    return {"words_per_minute": rules.words_per_minute, "max_words_per_8s": rules.max_words_per_8s}


def context_pace(context: dict[str, Any]) -> pacing.Pace:
    return pacing.Pace(int(context["words_per_minute"]), int(context["max_words_per_8s"]))


def _load(ad_id: str, user_id: str, services: Services) -> dict[str, Any]:
    longest = longest_scene(services, user_id)
    with services.db.session(user_id=user_id) as session:
        ad = ad_with_right(session, ad_id, user_id, Right.EDIT)
        avatar = session.get(AdAvatar, ad.avatar_id) if ad.avatar_id else None
        return writer_context(ad, avatar, services, max_scene_s=longest)


def brief_request(context: dict[str, Any]) -> ScriptRequest:
    prompt = "Expand this brief into a creative brief.\n" + json.dumps(
        {k: context[k] for k in ("brief", "product", "brand_name")}, ensure_ascii=False
    )
    return ScriptRequest(ScriptTask.CREATIVE_BRIEF, DIRECTOR, prompt, context=context, schema=BRIEF_SCHEMA)


def script_request(context: dict[str, Any]) -> ScriptRequest:
    longest = float(context.get("max_scene_seconds") or SCENE_SECONDS[1])
    longer = (
        f" A scene the brief asks to hold longer (one continuous shot) may last up to {longest:g} s."
        if longest > SCENE_SECONDS[1]
        else ""
    )
    rules = (
        f"Total length about {context['brief']['duration_s']} s in scenes of 2-8 s; at most "
        f"{context['words_per_minute']} words a minute and {context['max_words_per_8s']} words per 8 s scene.{longer}"
    )
    prompt = f"Write the ad's script. {rules}\n" + json.dumps(
        {k: context[k] for k in ("brief", "creative_brief", "product", "character", "brand_name")}, ensure_ascii=False
    )
    return ScriptRequest(ScriptTask.SCRIPT, DIRECTOR, prompt, context=context, schema=script_schema(longest))


def expand_brief(ad_id: str, *, user_id: str, services: Services) -> CreativeBrief:
    context = _load(ad_id, user_id, services)
    answer = calls.ask(services, "llm", brief_request(context), user_id=user_id)
    creative = parse.creative_brief(parse.load_json(answer.text, "creative brief"))
    return save_creative_brief(ad_id, creative, user_id=user_id, services=services)


def save_creative_brief(ad_id: str, creative: CreativeBrief, *, user_id: str, services: Services) -> CreativeBrief:
    checked = parse.creative_brief(creative.to_dict())
    content_guard.check_texts(services.settings, creative_brief=json.dumps(checked.to_dict()))
    with services.db.session(user_id=user_id) as session:
        ad_with_right(session, ad_id, user_id, Right.EDIT).creative_brief = checked.to_dict()
    return checked


def parse_script(
    text: str, services: Services, rules: pacing.Pace | None = None, *, max_scene_s: float = SCENE_SECONDS[1]
) -> ScriptDraft:
    """The script checked against the pacing rules of its voice (`writer_context`), or the spec's, and
    the longest scene the video model can make."""
    settings = services.settings
    rules = rules or pacing.Pace(settings.words_per_minute, settings.ugc_scene_max_words_per_8s)
    return parse.script(text, wpm=rules.words_per_minute, per_8s=rules.max_words_per_8s, max_s=max_scene_s)


def store_script(
    ad_id: str, draft: ScriptDraft, services: Services, *, writer: str = "", user_id: str | None = None
) -> None:
    """Replace the ad's scenes with the draft's, in one transaction (their assets go with them).
    `user_id`: the creator (a user-scoped session); None for the generation job."""
    with services.db.session(user_id=user_id) as session:
        ad = session.get(Ad, ad_id)
        assert ad is not None
        session.execute(delete(AdScene).where(AdScene.ad_id == ad_id))
        for scene in draft.scenes:
            spec = parse.canonical(scene)
            session.add(AdScene(ad_id=ad_id, number=scene.number, spec=spec, original=dict(spec)))
        ad.script_meta = {
            "title": draft.title,
            "audio_direction": draft.audio_direction,
            "writer": writer,
            "total_duration": draft.total_duration_s,
        }
        ad.title = draft.title


def generate_script(ad_id: str, *, user_id: str, services: Services) -> ScriptDraft:
    """Write (or rewrite) the script; a malformed answer raises ValidationError and stores nothing."""
    context = _load(ad_id, user_id, services)
    if not context["creative_brief"]:
        expand_brief(ad_id, user_id=user_id, services=services)
        context = _load(ad_id, user_id, services)
    answer = calls.ask(services, "llm", script_request(context), user_id=user_id)
    draft = parse_script(answer.text, services, context_pace(context), max_scene_s=context["max_scene_seconds"])
    content_guard.check_texts(services.settings, script=" ".join(s.dialogue for s in draft.scenes))
    store_script(ad_id, draft, services, writer=answer.model, user_id=user_id)
    return draft


def typed_scenes(text: str, *, wpm: int, per_8s: int) -> list[dict[str, Any]]:
    """A script typed or pasted as plain lines: one scene per line (long lines split to fit 8 s),
    each as long as its words need at `wpm`, hook first and call to action last."""
    limit = parse.max_words(SCENE_SECONDS[1], wpm, per_8s)
    lines: list[str] = []
    for raw in text.splitlines():
        words = raw.split()
        lines += [" ".join(words[i : i + limit]) for i in range(0, len(words), limit)]
    scenes = []
    for index, line in enumerate(lines):
        seconds = len(line.split()) * 60.0 / wpm
        duration = min(SCENE_SECONDS[1], max(SCENE_SECONDS[0], math.ceil(seconds * 2) / 2 + 0.5))
        kind = "hook" if index == 0 else ("cta" if index == len(lines) - 1 and len(lines) > 1 else "testimonial")
        scenes.append(
            {"scene_type": kind, "duration_seconds": duration, "dialogue": line, "product_visibility": "primary",
             "action": "talks to the camera, holding the product"}
        )  # fmt: skip
    return scenes


def save_typed_script(ad_id: str, text: str, *, user_id: str, services: Services, title: str = "") -> ScriptDraft:
    """The creator's own script (plain lines, or the writer's JSON pasted back), checked like a
    written one; nothing is stored unless all of it is valid."""
    text = text_rules.clean(text, field="script").strip()  # invisible characters count as nothing
    if not text:
        raise ValidationError("Type the script: one line per scene.")
    settings = services.settings
    if text.startswith("{"):  # the writer's JSON: its scenes may be as long as the video model can make
        draft = parse_script(text, services, max_scene_s=longest_scene(services, user_id))
    else:
        scenes = typed_scenes(text, wpm=settings.words_per_minute, per_8s=settings.ugc_scene_max_words_per_8s)
        payload = {"title": title or "My script", "scenes": scenes}
        draft = parse_script(json.dumps(payload), services)
    content_guard.check_texts(settings, script=" ".join(s.dialogue for s in draft.scenes))
    with services.db.session(user_id=user_id) as session:
        ad_with_right(session, ad_id, user_id, Right.EDIT)
    store_script(ad_id, draft, services, writer="typed by you", user_id=user_id)
    return draft
