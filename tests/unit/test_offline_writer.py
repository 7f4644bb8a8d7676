"""The offline writer over a table of varied briefs: grammatical, no invented claims, lines that fill their scene."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from core.adapters.providers.local import script_templates as templates
from core.adapters.providers.local.llm import LocalScriptWriter
from core.adapters.providers.local.script_lines import KIND_NOUNS, pain_phrase, point_form, point_sentences
from core.ports import ScriptRequest, ScriptTask
from core.services.ads import parse
from tests.grammar_rules import problems

# (product name, product type, prompt, style, tone, seconds, DNA features)
BRIEFS: list[tuple[str, str, str, str, str, int, list[str]]] = [
    (
        "Glow Serum",
        "skincare serum",
        "Tired of dull, tired-looking skin. Vitamin C serum with a light texture",
        "testimonial",
        "warm",
        30,
        [],
    ),
    ("Glow Serum", "skincare serum", "For people tired of dull", "problem-solution", "calm", 30, []),
    (
        "Pulse Buds",
        "tech earbuds",
        "Wireless earbuds for the gym; tired of dead batteries",
        "unboxing",
        "energetic",
        30,
        [],
    ),
    (
        "AirFlex Pro 2",
        "running shoe",
        "sick of sore feet after a run. lightweight mesh upper, wide toe box",
        "before-after",
        "energetic",
        45,
        [],
    ),
    ("oat&co", "oat milk", "Hate watery oat milk? creamy texture, made with Swedish oats", "tutorial", "funny", 15, []),
    (
        "Brew Buddy",
        "coffee maker",
        "struggling with slow mornings and bitter coffee",
        "testimonial",
        "warm",
        60,
        ["glass carafe"],
    ),
    (
        "Lumi",
        "desk lamp",
        "no more eye strain at night. warm dimmable light",
        "problem-solution",
        "calm",
        20,
        ["brass base"],
    ),
    ("ZenBand", "fitness band", "", "testimonial", "premium", 30, []),
    (
        "Crunchies",
        "protein snack bar",
        "tired of snacks that leave you hungry. 20 g protein, no added sugar",
        "unboxing",
        "funny",
        30,
        [],
    ),
    ("The Ordinary Niacinamide", "skincare serum", "fixes oily skin", "before-after", "warm", 30, []),
    (
        "Nimbus",
        "pillow",
        "Sick of waking up with a stiff neck. memory foam, cooling cover",
        "testimonial",
        "calm",
        40,
        [],
    ),
    ("X", "gadget", "tired of tangled cables", "tutorial", "energetic", 15, []),
    ("Hydra", "water bottle", "keeps drinks cold for 24 hours; leak-proof lid", "testimonial", "energetic", 30, []),
    (
        "Velvet Matte",
        "lipstick",
        "Hate lipstick that smudges. long-wear formula and a soft matte finish",
        "tutorial",
        "premium",
        30,
        [],
    ),
    (
        "SnapCharge",
        "phone charger",
        "struggle with phones that die by lunch. charges twice as fast",
        "problem-solution",
        "energetic",
        25,
        [],
    ),
    ("Cosy Nights", "candle", "lavender scent with a cotton wick", "unboxing", "calm", 30, ["hand-poured soy wax"]),
    (
        "Trailblazer",
        "hiking jacket",
        "tired of getting soaked on the trail. waterproof, packs into its own pocket",
        "before-after",
        "energetic",
        30,
        [],
    ),
    ("Mighty Mop", "floor cleaner", "tired of streaky floors", "problem-solution", "funny", 20, []),
    (
        "Aura",
        "smart watch",
        "sleep tracking; a seven-day battery; bright always-on display",
        "testimonial",
        "premium",
        30,
        [],
    ),
    ("Little Greens", "baby food", "Tired of fussy eaters. organic vegetables, no salt", "testimonial", "warm", 30, []),
    ("FlexMat", "yoga mat", "tired of slippery mats. non-slip grip, extra cushioning", "tutorial", "calm", 30, []),
    ("Ember", "hot sauce", "sick of bland dinners. smoky chipotle flavour", "unboxing", "funny", 15, []),
    (
        "SilkSleep",
        "silk pillowcase",
        "no more frizzy hair in the morning. pure mulberry silk",
        "before-after",
        "premium",
        30,
        [],
    ),
    ("Kettle One", "electric kettle", "boils in two minutes, auto shut-off", "testimonial", "warm", 30, []),
    ("PawPal", "pet brush", "hate dog hair on the sofa. self-cleaning button", "problem-solution", "funny", 30, []),
    ("Nova", "sunscreen", "tired of greasy sunscreen. SPF 50, invisible finish", "testimonial", "energetic", 30, []),
    (
        "StudyBuddy",
        "planner",
        "struggling with missed deadlines. weekly layout and habit tracker",
        "tutorial",
        "calm",
        30,
        [],
    ),
    ("BoltBike", "e-bike", "tired of traffic. folds in seconds, 60 km range", "before-after", "energetic", 60, []),
    ("Chai Co", "tea", "a spiced blend with real cardamom", "testimonial", "warm", 30, ["loose-leaf"]),
    (
        "Ultra Denim",
        "jeans",
        "tired of jeans that lose their shape. stretch denim, high rise",
        "unboxing",
        "premium",
        30,
        [],
    ),
    ("Ïris Beauté", "face cream", "tired of tight skin after washing", "testimonial", "warm", 30, []),
    ("GRIP", "phone case", "", "unboxing", "energetic", 8, []),
]

SCENE_TYPES_IN_ORDER = {"hook": 0, "problem": 1, "solution": 2, "demo": 3, "testimonial": 4, "cta": 5}


def _template_words() -> set[str]:
    text = json.dumps([templates.OPENERS, templates.FOLLOWERS, templates.PAINS, templates.FALLBACK_POINT])
    text += " ".join(s for form in ("x lasts", "waterproof", "no x", "x") for s in point_sentences(form))
    text += " skin mornings snacks gadgets workouts evenings at home outfits results tap the link and try today"
    return _words(text)


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z0-9]+", text)}


def _write(context: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    writer = LocalScriptWriter()
    brief_request = ScriptRequest(ScriptTask.CREATIVE_BRIEF, "", "", context=context)
    creative = json.loads(
        writer.collect(brief_request, writer.poll(writer.submit(brief_request).request_id), Path(".")).text
    )
    parse.creative_brief(creative)  # the creative brief passes the same parser a hosted model's does
    request = ScriptRequest(ScriptTask.SCRIPT, "", "", context={**context, "creative_brief": creative})
    return creative, json.loads(writer.collect(request, writer.poll(writer.submit(request).request_id), Path(".")).text)


@pytest.mark.parametrize(("name", "kind", "prompt", "style", "tone", "seconds", "features"), BRIEFS)
def test_every_line_is_grammatical_true_and_fills_its_scene(
    name: str, kind: str, prompt: str, style: str, tone: str, seconds: int, features: list[str]
) -> None:
    context = {
        "brief": {"platform": "tiktok", "style": style, "tone": tone, "duration_s": seconds, "prompt": prompt},
        "product": {"product_name": name, "product_type": kind, "distinctive_features": features},
        "words_per_minute": 150,
        "max_words_per_8s": 20,
    }
    creative, script = _write(context)
    allowed = _template_words() | _words(prompt) | _words(name) | _words(kind) | _words(" ".join(features))
    draft = parse.script(json.dumps(script))
    for scene in script["scenes"]:
        line = scene["dialogue"]
        assert problems(line, names=(name,)) == [], line
        invented = _words(line) - allowed
        assert not invented, f"{line!r} says {sorted(invented)}, which neither the brief nor the DNA gave"
        budget = parse.max_words(scene["duration_seconds"], 150, 20)
        assert len(line.split()) <= budget
        if scene["scene_type"] != "cta":  # the call to action may be short; every other line fills its scene
            assert len(line.split()) >= 0.6 * budget, (line, budget)
    assert draft.total_duration_s == seconds
    order = [SCENE_TYPES_IN_ORDER[s["scene_type"]] for s in script["scenes"]]
    assert order == sorted(order) and order[0] == 0 and order[-1] == 5  # hook first, call to action last
    if any(w in prompt.lower() for w in ("tired of", "sick of", "hate", "struggl", "no more", "fix")):
        pain_words = _words(creative["pain_point"]) - _words(" ".join(KIND_NOUNS.values()))
        assert pain_words <= _words(prompt) | _words(kind)  # the pain is the brief's own


def test_phrases_take_the_form_their_sentence_needs() -> None:
    assert pain_phrase("dull", "skincare") == "dull skin"
    assert pain_phrase("dull, tired-looking skin", "skincare") == "dull, tired-looking skin"
    assert pain_phrase("waking up tired with", "home") == "waking up tired"
    assert [point_form(p) for p in ("lasts all day", "waterproof", "no added sugar", "creamy texture")] == [
        "verb",
        "state",
        "none",
        "noun",
    ]
    assert point_sentences("creamy texture")[0] == "I love the creamy texture."


def test_the_writer_is_deterministic_and_a_different_seed_may_differ() -> None:
    context = {"brief": {"duration_s": 30, "prompt": "tired of dull skin"}, "product": {"product_name": "Glow"}}
    assert _write(context) == _write(context)


def test_the_grammar_rules_catch_the_broken_lines_of_the_old_writer() -> None:
    assert problems("Stop scrolling if you deal with dull.")
    assert problems("Watch, tired-looking skin. That's it.") == []  # grammatical, but the claim test catches it
    assert problems("it absorb in seconds.")
    assert problems("I love a orange.")
