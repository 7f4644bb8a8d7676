"""The offline writer's phrase handling: whatever a creator typed becomes a phrase that fits a sentence.

A pain point may arrive as an adjective ("dull"), a noun phrase ("dull, tired-looking
skin") or a gerund ("waking up tired"); a selling point as a verb phrase ("lasts all
day"), an adjective ("waterproof") or a noun phrase ("a vegan formula"). Each is sorted
into one form and put in a sentence written for that form, so no line ends on a
dangling "with dull." Lines are then grown sentence by sentence toward the scene's word
budget (150 words a minute), so the voice fills the scene instead of music.
"""

from __future__ import annotations

import logging
import random
import re

logger = logging.getLogger(__name__)


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# What a bare adjective is about, per product kind ("dull" -> "dull skin").
KIND_NOUNS = {
    "skincare": "skin",
    "beverage": "mornings",
    "food": "snacks",
    "tech": "gadgets",
    "fitness": "workouts",
    "home": "evenings at home",
    "fashion": "outfits",
    "general": "results",
}
ADJECTIVES = _set(
    "dull dry oily tired slow weak flat frizzy sticky greasy boring bland rough itchy patchy uneven sore stiff "
    "messy noisy heavy bulky cheap fragile flaky puffy red dark thin brittle cold hot tight loose sluggish groggy "
    "stressed bloated restless low broken tangled sweaty smelly stale lumpy saggy"
)
_ADJECTIVE_ENDINGS = ("ful", "less", "ous", "ive", "able", "ible", "ish", "-looking", "-feeling")
VERBS = _set(
    "lasts fits works absorbs charges keeps helps makes gives feels smells tastes looks dries cleans holds stays "
    "blocks boosts cuts goes comes runs sets brews blends leaves protects hydrates softens removes fights reduces "
    "supports folds packs connects pairs glides melts washes stacks plugs doubles adapts"
)
_QUALITIES = _set("vegan organic soft light compact portable refillable quiet silent smooth creamy gentle natural")
_PARTICIPLES = ("made", "built", "designed", "packed", "infused", "loaded", "crafted", "sized", "tested", "free")
_DETERMINERS = _set("a an the my your its our this that these those every")
_NEGATIONS = ("no ", "zero ", "without ", "never ")
_TRAILING = _set("with of and or the a an to for from my your its is are very so that in on at by")
_VERB_FOLLOWERS = _set("in up all on for without like any your you the a to with into under over")


def clean_phrase(text: str) -> str:
    """Lower-cased words (acronyms and brand capitals kept), no dangling joiners at either end."""
    text = re.sub(r"[^\w\s,'&%+/-]", " ", text.replace("_", " "))
    words = [w if (w.isupper() and w != "A") or w[1:] != w[1:].lower() else w.lower() for w in text.split()]
    while words and words[-1].strip(",").lower() in _TRAILING:
        words.pop()
    while words and words[0].lower() in ("with", "of", "and", "or", "to", "for", "from", "by"):
        words.pop(0)
    return " ".join(words).strip(" ,")


def _adjective(word: str) -> bool:
    word = word.lower().strip(",")
    return word in ADJECTIVES or (len(word) > 4 and word.endswith(_ADJECTIVE_ENDINGS))


def _describes(word: str) -> bool:
    """A single word that describes the product ("waterproof", "vegan"), said as "It's ..."."""
    return _adjective(word) or word in _QUALITIES or word.endswith(("proof", "weight", "-free", "ic", "al"))


def pain_phrase(raw: str, kind: str) -> str:
    """A noun phrase for the pain: bare adjectives get the kind's noun ("dull" -> "dull skin")."""
    phrase = clean_phrase(raw)
    if not phrase:
        return ""
    if all(_adjective(w) or w in ("and", "or") for w in phrase.split()):
        phrase = f"{phrase} {KIND_NOUNS.get(kind, KIND_NOUNS['general'])}"
    return phrase


def point_form(point: str) -> str:
    """'verb' (lasts all day), 'state' (waterproof, made with oats), 'none' (no sugar) or 'noun'."""
    words = point.lower().split()
    if not words:
        return "noun"
    first = words[0]
    if point.lower().startswith(_NEGATIONS):
        return "none"
    if first in VERBS or (
        first.endswith("s")
        and not first.endswith(("ss", "us", "is", "ics"))
        and len(words) > 1
        and (words[1] in _VERB_FOLLOWERS or words[1].endswith("ly"))
    ):
        return "verb"
    if first in _PARTICIPLES or first.endswith("-free") or (len(words) == 1 and _describes(first)):
        return "state"
    return "noun"


def point_sentences(point: str) -> tuple[str, ...]:
    """Sentences that state a selling point exactly as given, in the form it came in."""
    form = point_form(point)
    if form == "verb":
        return (f"It {point}.", f"And it really {point}.", f"The best part is that it {point}.")
    if form == "state":
        return (f"It's {point}.", f"I love that it's {point}.", f"And yes, it's {point}.")
    if form == "none":
        return (f"There's {point}.", f"And there's {point}, which I love.", f"I love that there's {point}.")
    noun = point if point.split()[0].lower() in _DETERMINERS else f"the {point}"
    return (f"I love {noun}.", f"My favourite part is {noun}.", f"Just look at {noun}.")


def words_in(text: str) -> int:
    return len(text.split())


def grow(first: tuple[str, ...], more: tuple[str, ...], budget: int, rng: random.Random) -> str:
    """One line for the scene: an opening sentence, then more sentences while they fit the word budget.

    Aims at the budget (the scene's 150-words-a-minute maximum) without passing it, so the
    voice fills the scene. Sentences are never cut mid-way."""
    fitting = [s for s in first if words_in(s) <= budget] or [min(first, key=words_in)]
    line = [rng.choice(fitting)]
    pool = [s for s in more if s not in line]
    rng.shuffle(pool)
    for sentence in sorted(pool, key=words_in, reverse=True):
        if sum(map(words_in, line)) >= budget - 1:
            break
        if sum(map(words_in, line)) + words_in(sentence) <= budget and sentence not in line:
            line.append(sentence)
    return " ".join(line)


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def call_to_action(text: str, product: str) -> str:
    """The creative brief's call to action as one sentence ending in a full stop."""
    cta = " ".join(text.split()).rstrip(" .!,;:")
    return sentence_case(cta or f"Try {product} today") + "."
