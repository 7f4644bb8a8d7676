"""A small grammar rule set for the offline writer's lines (spoken English, one ad line at a time).

Not a parser: rules that catch the mistakes template filling makes — a sentence that does
not start with a capital, a missing full stop, "a" before a vowel, a sentence ending on a
preposition or a bare adjective ("with dull."), doubled words, empty slots, stray
punctuation, a lower-case "i", and "it" followed by a bare verb ("it absorb").
"""

from __future__ import annotations

import re


def _set(words: str) -> set[str]:
    return set(words.split())


DANGLING = _set("with of and or the a an to for from my your its is are very so that by at in on about than")
BARE_ADJECTIVES = _set("dull dry oily tired slow weak flat frizzy sticky greasy boring bland rough itchy sore")
BASE_VERBS = _set("absorb last fit work charge keep help make give feel smell taste look dry clean hold stay")
VOWEL_SOUND_EXCEPTIONS = ("uni", "use", "usu", "one", "eu", "ur")
SILENT_H = ("hour", "honest", "honou", "heir")


def sentences(line: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", line.strip()) if s]


def problems(line: str, *, names: tuple[str, ...] = ()) -> list[str]:
    """Every rule the line breaks, as readable strings (empty when the line is fine)."""
    found: list[str] = []
    if "{" in line or "}" in line:
        found.append("unfilled slot")
    if re.search(r"[,;:]\s*[.!?]|\.\.|\s[,.!?]|,,|^[,.]", line):
        found.append("stray punctuation")
    for sentence in sentences(line):
        words = re.findall(r"[A-Za-z']+", sentence)
        for a, b in zip(words, words[1:], strict=False):
            if a.lower() == b.lower() and a.lower() not in ("very", "so"):
                found.append(f"doubled word '{a} {b}'")
    if re.search(r"\bi\b", line):
        found.append("lower-case i")
    for sentence in sentences(line):
        found += _sentence_problems(sentence, names)
    return found


def _sentence_problems(sentence: str, names: tuple[str, ...]) -> list[str]:
    found = []
    if not sentence.endswith((".", "!", "?")):
        found.append(f"no end punctuation: {sentence!r}")
    if not (sentence[0].isupper() or sentence[0].isdigit() or any(sentence.startswith(n) for n in names)):
        found.append(f"sentence starts in lower case: {sentence!r}")
    tokens = re.findall(r"[A-Za-z0-9'&-]+", sentence)
    if tokens and tokens[-1].lower() in DANGLING:
        found.append(f"ends on '{tokens[-1]}': {sentence!r}")
    if len(tokens) >= 2 and tokens[-2].lower() in DANGLING and tokens[-1].lower() in BARE_ADJECTIVES:
        found.append(f"ends on a bare adjective '{tokens[-2]} {tokens[-1]}': {sentence!r}")
    for a, b in zip(tokens, tokens[1:], strict=False):
        low = b.lower()
        vowel = low[0] in "aeiou" and not low.startswith(VOWEL_SOUND_EXCEPTIONS) or low.startswith(SILENT_H)
        if a.lower() == "a" and vowel:
            found.append(f"'a {b}' should be 'an {b}'")
        if a.lower() == "an" and not vowel and not b.isupper():
            found.append(f"'an {b}' should be 'a {b}'")
        if a.lower() == "it" and low in BASE_VERBS:
            found.append(f"'it {b}' needs an -s")
    return found
