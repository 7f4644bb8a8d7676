"""The offline copilot: rules, not a language model, and it says so.

Intent comes from what the chat's ad already has (product photo and name, avatar,
platform) and from the message itself: a go word ("make", "generate", "let's go") that
is not a question. Slots (product name, actor, platform, length, tone, style, hook) are
read with patterns. Answers are short templated tips, streamed word by word like a
model's. Edits ("make scene 2 punchier", "shorter", "more casual", "closer shot") are
rewrites by rule. Scripts are written by the offline script writer through the usual
`llm` capability. Everything is free and nothing leaves the machine.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Generator
from typing import Any

from core.ports import CopilotRequest, EditAnswer, EditRequest, Intent, IntentAnswer, SceneEdit

logger = logging.getLogger(__name__)

MODEL = "offline rules"
PLATFORMS = {
    "tiktok": r"tik ?toks?",
    "reels": r"reels?|instagram|insta|ig",
    "shorts": r"shorts?|youtube|yt",
}
VIDEO_NOUNS = r"videos?|ads?|advert\w*|commercials?|clips?|spots?|ugc|tik ?toks?|reels?|shorts?|promos?|testimonials?"
GO = re.compile(
    r"\b(make|create|generate|produce|render|build|shoot|film|start|do it|go ahead|let'?s go|let'?s do|"
    r"go for it|run it|kick it off|ready when you are)\b",
    re.I,
)
QUESTION_START = re.compile(
    r"^\s*(how|what|why|which|when|where|who|should|is|are|does|do|would|tips?|any tips|explain)\b", re.I
)
POLITE_GO = re.compile(r"^\s*(can|could|would|will) you (please )?(make|create|generate|produce|start|build)\b", re.I)
NEGATED = re.compile(r"\b(don'?t|do not|not yet|no need to|never|wait)\b", re.I)
APPROVE = re.compile(
    r"^\s*(approve[ds]?|approved|looks? (good|great)|lgtm|ship it|go on|continue|perfect|love it|"
    r"yes|yep|ok(ay)?|good to go|all good)\b",
    re.I,
)
EDIT = re.compile(
    r"\b(scene \d+|shorter|longer|punchier|snappier|more (casual|energetic|formal|fun|premium|calm|warm)|"
    r"closer|wider|redo|rewrite|change|tweak|replace)\b",
    re.I,
)
PRODUCT = re.compile(
    r"\b(?:for|about|of|selling|promoting)\s+(?:this|my|our|the|a|an)\s+"
    r"(?P<name>[a-z0-9][\w'& -]{1,40}?)\s*(?=$|[,.;!?]| with\b| on\b| for\b| in\b| using\b| featuring\b| starring\b)",
    re.I,
)
NAMED = re.compile(
    r"\b(?:called|named|product is)\s+[\"“']?(?P<name>[\w'& -]{2,40}?)[\"”']?\s*(?=$|[,.;!?]| with\b)", re.I
)
DURATION = re.compile(r"\b(?P<n>\d{1,2})\s*-?\s*(?:s|sec|secs|seconds?)\b", re.I)
HOOK = re.compile(r"\bhook(?:ing)?\s+(?:on|about|around|with)\s+(?P<hook>[^.,;!?]{3,80})", re.I)
TONES = ("warm", "energetic", "calm", "funny", "premium")
STYLES = ("testimonial", "problem-solution", "unboxing", "tutorial", "before-after")
WORD_DELAY_S = 0.02

TIPS = {  # pattern in the message -> the tip
    r"hook|first second|opening|scroll": "Open on the problem in the first second, in the creator's own words, with "
    "the product already in frame. A question or a bold claim beats a greeting.",
    r"cta|call to action|end|close|conversion": 'End on one clear action ("tap the link", "grab yours"), said while '
    "the product is in hand, not on a logo card.",
    r"long|length|duration|seconds|platform|tiktok|reels|shorts": "TikTok ads work best at 15-30 s, Reels and Shorts "
    "at 30-60 s; keep scenes 2-8 s.",
    r"light|camera|shot|angle": "Shoot handheld at eye level in soft window light; cut to a close-up when the product "
    "does its thing.",
    r"script|dialogue|words|say": "Write it as speech: short sentences, about 150 words a minute, one idea per scene.",
}
DEFAULT_TIP = "Good UGC feels like a friend's honest recommendation: one problem, one product, one proof, one action."


def _words(text: str) -> list[str]:
    return re.findall(r"\S+", text)


def stream_words(text: str, *, delay_s: float = WORD_DELAY_S) -> Generator[str, None, None]:
    """A text as a model-like stream, one word (with its space) at a time."""
    for index, word in enumerate(_words(text)):
        if delay_s and index:
            time.sleep(delay_s)
        yield word if index == 0 else " " + word


def is_question(text: str) -> bool:
    return bool(QUESTION_START.search(text)) and not POLITE_GO.search(text)


def clear_go(text: str) -> bool:
    """A go word, said as an instruction: not a question, not negated."""
    if not GO.search(text) or NEGATED.search(text):
        return False
    return POLITE_GO.search(text) is not None or not is_question(text)


def slots_of(text: str, facts: dict[str, Any]) -> dict[str, Any]:
    """What this message says about the ad, by pattern."""
    slots: dict[str, Any] = {}
    low = text.lower()
    for platform, pattern in PLATFORMS.items():
        if re.search(rf"\b({pattern})\b", low):
            slots["platform"] = platform
            break
    if match := DURATION.search(text):
        slots["duration_s"] = int(match.group("n"))
    for name in [*(facts.get("avatars") or ()), *(facts.get("actors") or ())]:  # the creator's own first
        if re.search(rf"\b{re.escape(name.split()[0])}\b", text, re.I):
            slots["actor"] = name
            break
    match = NAMED.search(text) or PRODUCT.search(text)
    if match:
        name = re.sub(rf"\b({VIDEO_NOUNS}|new)\b", "", match.group("name"), flags=re.I)
        name = " ".join(name.split())
        name = name.title() if name.islower() else name  # "this serum" -> "Serum", "Glow iQ" stays
        if name:
            slots["product_name"] = name
    if match := HOOK.search(text):
        slots["hook"] = " ".join(match.group("hook").split())
    tones = [t for t in TONES if re.search(rf"\b{t}\b", low)]
    styles = [s for s in STYLES if re.search(rf"\b{s.replace('-', '[- ]?')}\b", low)]
    if tones:
        slots["tone"] = tones[0]
    if styles:
        slots["style"] = styles[0]
    return slots


def _about_video(text: str, slots: dict[str, Any], facts: dict[str, Any]) -> bool:
    if re.search(rf"\b({VIDEO_NOUNS})\b", text, re.I) or slots or facts.get("attached"):
        return True
    started = facts.get("has_product_photo") or facts.get("avatar") or facts.get("product_name")
    return bool(started) and clear_go(text)


def missing_of(facts: dict[str, Any], slots: dict[str, Any], go: bool) -> list[str]:
    missing = []
    if not facts.get("has_product_photo"):
        missing.append("product photo")
    if not (facts.get("product_name") or slots.get("product_name")):
        missing.append("product name")
    if not (facts.get("avatar") or slots.get("actor")):
        missing.append("avatar")
    if not (facts.get("platform") or slots.get("platform")):
        missing.append("platform")
    if not go:
        missing.append("go")
    return missing


def detect(message: str, facts: dict[str, Any]) -> IntentAnswer:
    text = " ".join(message.split())
    slots = slots_of(text, facts)
    status, has_script = facts.get("status"), bool(facts.get("scenes"))
    if status == "review" and APPROVE.search(text) and not EDIT.search(text):
        return IntentAnswer(Intent.CHAT, slots, action="approve", model=MODEL)
    if has_script and EDIT.search(text) and not is_question(text):
        return IntentAnswer(Intent.CHAT, slots, action="edit", model=MODEL)
    if not _about_video(text, slots, facts) or (is_question(text) and not POLITE_GO.search(text)):
        return IntentAnswer(Intent.CHAT, slots, model=MODEL)
    go = clear_go(text)
    intent = Intent.VIDEO_NEEDS_INPUT if missing_of(facts, slots, go) else Intent.VIDEO_READY
    return IntentAnswer(intent, slots, said_go=go, model=MODEL)


# --------------------------------------------------------------------------- edits

CASUAL = (
    (r"\bI am\b", "I'm"),
    (r"\bdo not\b", "don't"),
    (r"\bit is\b", "it's"),
    (r"\byou are\b", "you're"),
    (r"\bcannot\b", "can't"),
    (r"\bthat is\b", "that's"),
    (r"\bwill not\b", "won't"),
)


def _fit(words: list[str], limit: int) -> str:
    text = " ".join(words[: max(1, limit)]).rstrip(",;:")
    return text if text.endswith((".", "!", "?")) else text + "."


def _punchier(dialogue: str, limit: int) -> str:
    first = re.split(r"(?<=[.!?;,])\s+| - ", dialogue.strip())[0]
    words = _words(first)[: min(limit, 8)]
    return " ".join(words).rstrip(".,;:!?") + "!"


def _casual(dialogue: str) -> str:
    text = dialogue
    for pattern, short in CASUAL:
        text = re.sub(pattern, short, text, flags=re.I)
    return text if re.match(r"(?i)(honestly|okay|so|ok),?\s", text) else "Honestly, " + text[:1].lower() + text[1:]


def _max_words(duration_s: float, facts: dict[str, Any]) -> int:
    wpm, per_8s = int(facts.get("words_per_minute", 150)), int(facts.get("max_words_per_8s", 20))
    return max(1, min(int(duration_s * wpm / 60), int(duration_s * per_8s / 8)))


def _scene_changes(scene: dict[str, Any], text: str, facts: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    dialogue = str(scene.get("dialogue", ""))
    duration = float(scene.get("duration_seconds", 4))
    if re.search(r"\bshorter\b", text):
        duration = max(2.0, round(duration * 0.75, 1))
        changes["duration_seconds"] = duration
        dialogue = _fit(_words(dialogue), _max_words(duration, facts))
    if re.search(r"\b(punchier|snappier)\b", text):
        dialogue = _punchier(dialogue, _max_words(duration, facts))
    if re.search(r"\bmore casual\b", text):
        dialogue = _casual(dialogue)
        words = _words(dialogue)
        if len(words) > _max_words(duration, facts):
            dialogue = _fit(words, _max_words(duration, facts))
    if dialogue != scene.get("dialogue"):
        changes["dialogue"] = dialogue
    if re.search(r"\bcloser\b|close-?up", text):
        changes["camera"] = {"shot_type": "close_up"}
    elif re.search(r"\bwider\b|wide shot", text):
        changes["camera"] = {"shot_type": "wide"}
    return changes


def edits_for(request: EditRequest) -> EditAnswer:
    text = " ".join(request.instruction.lower().split())
    targets = {int(n) for n in re.findall(r"\bscenes? (\d+)", text)}
    scenes = [s for s in request.scenes if not targets or int(s["number"]) in targets]
    edits = []
    for scene in scenes:
        changes = _scene_changes(scene, text, request.facts)
        if changes:
            edits.append(SceneEdit(int(scene["number"]), changes))
    redo = tuple(sorted(targets)) if re.search(r"\b(redo|again|remake|redraw)\b", text) else ()
    if not edits and not redo:
        summary = (
            "Offline, I can make scenes shorter, punchier or more casual, use a closer or wider shot, "
            'or redo a scene, e.g. "make scene 2 punchier".'
        )
    else:
        changed = ", ".join(str(e.number) for e in edits) or "none"
        summary = f"Changed scene(s): {changed}." + (f" Redoing scene(s) {', '.join(map(str, redo))}." if redo else "")
    return EditAnswer(tuple(edits), redo, summary, MODEL)


# --------------------------------------------------------------------------- answers


def tip_for(message: str) -> str:
    for pattern, tip in TIPS.items():
        if re.search(pattern, message, re.I):
            return tip
    return DEFAULT_TIP


def answer_for(request: CopilotRequest) -> str:
    greeting = re.match(r"^\s*(hi|hello|hey|yo|good (morning|afternoon|evening))\b", request.message, re.I)
    opener = "Hi! " if greeting else ""
    how = (
        'To make an ad here, attach a product photo, name an avatar (e.g. "with Ava") and a platform, '
        'then say "make it".'
    )
    offline = "I'm the offline copilot (no model connected), so I answer with short tips."
    return f"{opener}{offline} {tip_for(request.message)} {how}"


class LocalCopilot:
    """Copilot port, offline."""

    name = "local:copilot"
    offline = True

    def __init__(self, *, word_delay_s: float = WORD_DELAY_S) -> None:
        self._delay = word_delay_s

    def detect_intent(self, request: CopilotRequest) -> IntentAnswer:
        return detect(request.message, request.facts)

    def stream_answer(self, request: CopilotRequest) -> Generator[str, None, None]:
        return stream_words(answer_for(request), delay_s=self._delay)

    def propose_edits(self, request: EditRequest) -> EditAnswer:
        return edits_for(request)

    def cost_usd(self, call: str) -> float:
        return 0.0
