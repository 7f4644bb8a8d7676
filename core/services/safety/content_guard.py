"""The content guard: scripts and prompts checked against the block list before any provider call.

Matching is on whole words, ignoring case, accents-as-written forms (Unicode NFKC), invisible
format characters (zero-width space, soft hyphen) and the punctuation between words, so
"Self-Harm", "self harm", "SELF  harm" and "self\u00adharm" all match the term "self-harm",
while "gorgeous" does not match "gore". The refusal names the term and where it was found,
in plain words.

Services call `check_texts` when a request arrives; `check_request` is the backstop in
`StepContext.call_provider`, so text that reaches a provider by any other path (pipelines
of later features) is checked too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from core.config import Settings
from core.domain import text as text_rules
from core.errors import ContentBlocked

_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)
# Request fields that carry a creator's words to a provider (negative prompts list what to avoid).
TEXT_FIELDS = ("text", "prompt", "script")


def _words(text: str) -> str:
    # Invisible characters never split a word here: "nu\u200bde" and "na\u00adked" match.
    folded = text_rules.for_matching(text).casefold()
    return f" {_NOT_WORD.sub(' ', folded).strip()} "


def find_blocked(text: str, terms: Iterable[str]) -> str | None:
    """The first blocked term in `text`, as configured, or None."""
    haystack = _words(text or "")
    for term in terms:
        needle = _words(term)
        if needle.strip() and needle in haystack:
            return term
    return None


def check_texts(settings: Settings, **texts: str | None) -> None:
    """Raise ContentBlocked naming the term and the field, e.g. `script="..."`, `image_prompt="..."`."""
    for where, text in texts.items():
        if not text:
            continue
        term = find_blocked(text, settings.blocked_terms)
        if term is not None:
            place = where.replace("_", " ")
            raise ContentBlocked(
                f"The {place} contains “{term}”, which this studio does not allow. "
                "Rephrase it without that word and try again.",
                details={"term": term, "field": where},
            )


def check_request(settings: Settings, request: Any) -> None:
    """The backstop before a paid call: the text fields of a provider request."""
    texts = {name: getattr(request, name, None) for name in TEXT_FIELDS}
    check_texts(settings, **{k: v for k, v in texts.items() if isinstance(v, str)})
