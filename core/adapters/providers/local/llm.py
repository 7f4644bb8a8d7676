"""Offline script writer: fills the creative-brief and script schemas from templates and rules.

Not a language model. It reads the structured `context` of a `ScriptRequest` (brief,
product DNA, character DNA) and writes the same JSON a hosted model is asked for, so
the rest of the pipeline cannot tell the difference. Deterministic for a given request.
Every answer says it was written offline (`"writer": "offline templates"`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import re
from pathlib import Path
from typing import Any

from core.adapters.providers.local.base import FinishedOnSubmit
from core.adapters.providers.local.scenes import SCENE_WORDS
from core.adapters.providers.local.script_lines import call_to_action, clean_phrase, grow, pain_phrase, point_sentences
from core.adapters.providers.local.script_templates import (
    ACTIONS,
    CAMERAS,
    EXPRESSIONS,
    FALLBACK_POINT,
    FOLLOWERS,
    HOOKS,
    KIND_KEYWORDS,
    LIGHTING_BY_TONE,
    OPENERS,
    PAINS,
    POINT_SCENES,
    SETTINGS_BY_TYPE,
    VISIBILITY,
    scene_plan,
)
from core.errors import ValidationError
from core.ports import PollResult, ScriptAnswer, ScriptRequest, ScriptTask, Submission

logger = logging.getLogger(__name__)

WRITER = "offline templates"
BLOCKED_WORDS = ("guaranteed cure", "miracle cure", "get rich quick", "weapon", "cures cancer")


def request_id(request: ScriptRequest) -> str:
    payload = [request.task.value, request.prompt, request.context, request.seed]
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode("utf-8")).hexdigest()
    return f"local-llm-{digest[:32]}"


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9][A-Za-z0-9'&-]*", text)


def product_kind(product: dict[str, Any]) -> str:
    """skincare | beverage | food | tech | fitness | home | fashion | general, from type and name."""
    text = f"{product.get('product_type', '')} {product.get('product_name', '')}".lower()
    for kind, words in KIND_KEYWORDS.items():
        if any(w in text for w in words):
            return kind
    return "general"


def _pain_from_prompt(prompt: str) -> str | None:
    """The phrase after "tired of" (and the like), commas kept: "dull, tired-looking skin"."""
    match = re.search(r"(?:tired of|sick of|struggl\w* with|no more|hate|fix(?:es)?)\s+([^.;!?]{3,80})", prompt, re.I)
    if not match:
        return None
    phrase = re.split(r"(?i),?\s+(?:and|but|so|because|which|while)\s+|,\s*(?=\w+ \w+ \w+ \w+)", match.group(1))[0]
    return " ".join(phrase.split()) or None


def _points_from_prompt(prompt: str) -> list[str]:
    parts = re.split(r"[,;.!?\n]| and | with ", prompt)
    points = []
    for part in parts:
        words = _words(part)
        if re.search(r"(?i)tired of|sick of|struggl|no more|hate", part):
            continue  # that is the pain, not a selling point
        if 2 <= len(words) <= 7 and not re.match(r"(?i)(make|create|an?|the|for|i|we|my|our)\b", words[0]):
            points.append(clean_phrase(" ".join(words)))
    return points


def _setting(prompt: str, kind: str) -> str:
    text = prompt.lower()
    for scene, words in SCENE_WORDS.items():
        if scene != "studio" and any(re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", text) for w in words):
            return scene
    return SETTINGS_BY_TYPE.get(kind, "bedroom")


def creative_brief(context: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    brief, product = context.get("brief", {}), context.get("product", {})
    name = product.get("product_name") or context.get("product_name") or "this"
    kind = product_kind(product)
    prompt = brief.get("prompt", "")
    pain = pain_phrase(_pain_from_prompt(prompt) or "", kind) or rng.choice(PAINS[kind])
    features = [clean_phrase(f) for f in product.get("distinctive_features", []) if not re.search(r"[#:%\d]", f)]
    points = [p for p in _points_from_prompt(prompt) if p.lower() not in pain.lower()]  # the pain is no selling point
    points += features  # only what the brief and the DNA say: no invented claims
    unique = list(dict.fromkeys(p.strip() for p in points if p.strip()))[:3] or [FALLBACK_POINT]
    style = brief.get("style", "testimonial")
    return {
        "hook_strategy": HOOKS.get(style, HOOKS["testimonial"]),
        "pain_point": pain,
        "selling_points": unique,
        "emotional_arc": "frustration -> curiosity -> relief -> confidence",
        "call_to_action": f"Tap the link and try {name} today",
        "audience": f"{brief.get('platform', 'tiktok')} viewers who care about {pain.split(' ')[-1]}",
        "writer": WRITER,
    }


def _dialogue(scene_type: str, slots: dict[str, str], points: list[str], max_words: int, rng: random.Random) -> str:
    """The scene's line: its type's opening, a selling point where the type calls for one, grown to the budget."""
    openers = tuple(t.format(**slots) for t in OPENERS[scene_type])
    followers = tuple(t.format(**slots) for t in FOLLOWERS[scene_type])
    if scene_type in POINT_SCENES and points:
        stated = point_sentences(points[0])
        if scene_type == "demo":
            second = tuple(point_sentences(p)[0] for p in points[1:2])
            openers, followers = stated, followers + openers + second
        else:
            followers = stated[:1] + followers
    return grow(openers, followers, max_words, rng)


def _scene(
    scene_type: str, seconds: float, slots: dict[str, str], look: dict[str, Any], dialogue: str
) -> dict[str, Any]:
    shot, angle, movement = CAMERAS[scene_type]
    primary = VISIBILITY[scene_type] == "primary"
    return {
        "scene_type": scene_type, "duration_seconds": seconds, "dialogue": dialogue,
        "action": ACTIONS[scene_type].format(product=slots["product"], setting=look["setting"]),
        "expression": EXPRESSIONS[scene_type], "camera": {"shot_type": shot, "angle": angle, "movement": movement},
        "lighting": look["lighting"], "product_visibility": VISIBILITY[scene_type],
        "product_action": "held in hand, label facing camera" if primary else "", "setting": look["setting"],
    }  # fmt: skip


def script(context: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    brief, product = context.get("brief", {}), context.get("product", {})
    creative = context.get("creative_brief", {})
    name = product.get("product_name") or context.get("product_name") or "it"
    kind = product_kind(product)
    wpm, per_8s = int(context.get("words_per_minute", 150)), int(context.get("max_words_per_8s", 20))
    tone = brief.get("tone", "warm")
    light_type, light_dir = LIGHTING_BY_TONE.get(tone, ("natural", "window_left"))
    setting = _setting(brief.get("prompt", ""), kind)
    look = {"setting": setting, "lighting": {"type": light_type, "direction": light_dir}}
    points = [p for p in (clean_phrase(str(p)) for p in creative.get("selling_points") or []) if p] or [FALLBACK_POINT]
    scenes = []
    for number, (scene_type, seconds) in enumerate(scene_plan(float(brief.get("duration_s", 30))), start=1):
        max_words = max(3, min(math.floor(seconds * wpm / 60), math.floor(seconds * per_8s / 8)))
        slots = {
            "product": name,
            "pain": pain_phrase(str(creative.get("pain_point") or ""), kind) or PAINS[kind][0],
            "cta": call_to_action(str(creative.get("call_to_action") or ""), name),
        }
        mine = points[(number - 1) % len(points) :] + points[: (number - 1) % len(points)]
        dialogue = _dialogue(scene_type, slots, mine, max_words, rng)
        scenes.append({"scene_number": number, **_scene(scene_type, seconds, slots, look, dialogue)})
    return {
        "title": f"{name}: {brief.get('style', 'testimonial')} for {brief.get('platform', 'tiktok')}",
        "total_duration": sum(s["duration_seconds"] for s in scenes),
        "scenes": scenes,
        "audio_direction": f"{tone.capitalize()} conversational, authentic UGC energy",
        "writer": WRITER,
    }


def safety(request: ScriptRequest) -> dict[str, Any]:
    text = f"{request.prompt} {json.dumps(request.context)}".lower()
    reasons = [f"mentions '{w}'" for w in BLOCKED_WORDS if w in text]
    return {"allowed": not reasons, "reasons": reasons, "writer": WRITER}


class LocalScriptWriter(FinishedOnSubmit):
    """Provider[ScriptRequest, ScriptAnswer]. Finishes on submit; writes in collect."""

    model = WRITER

    def submit(self, request: ScriptRequest) -> Submission:
        if not isinstance(request.task, ScriptTask):
            raise ValidationError("Unknown writing task.")
        return Submission(request_id=request_id(request), poll_after_s=0.0)

    def collect(self, request: ScriptRequest, result: PollResult, dest_dir: Path) -> ScriptAnswer:
        rng = random.Random(request_id(request))
        if request.task is ScriptTask.CREATIVE_BRIEF:
            answer = creative_brief(request.context, rng)
        elif request.task is ScriptTask.SCRIPT:
            answer = script(request.context, rng)
        else:
            answer = safety(request)
        return ScriptAnswer(text=json.dumps(answer, ensure_ascii=False), model=WRITER)
