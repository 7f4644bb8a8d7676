"""Text a creator typed, made safe before any check, store or provider call.

`clean` is applied to every text field (scripts, prompts, titles, captions, brief, DNA)
before anything else looks at it: Unicode NFC; invisible format characters (zero-width
space, soft hyphen, BOM, bidi overrides) dropped; NUL and other control characters
refused with a message naming the field (PostgreSQL cannot store NUL, and a control
character is never something a creator meant to type). `required` also refuses text
that is empty once cleaned, so "\u200b\ufeff" is not a script.

`speakable` is what goes to speech and into the word count: emoji and pictographs are
not words, so they are neither read aloud nor counted. Captions use the same rule, so
what is shown is what is said.
"""

from __future__ import annotations

import re
import unicodedata

from core.errors import ValidationError

# Joiners that some scripts (Persian, Indic) need to render words correctly: kept in stored
# text, ignored by matching (see `for_matching`).
_JOINERS = {"\u200c", "\u200d"}
_LINE_BREAKS = {"\r\n": "\n", "\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n"}
_ALLOWED_CONTROLS = {"\n", "\t"}
# Emoji and pictographs, with what glues them together (ZWJ, variation selectors, skin tones,
# keycaps, tag characters). Ranges from Unicode's emoji data, kept coarse on purpose.
_PICTOGRAPH = re.compile(
    "["
    "\U0001f000-\U0001faff"  # mahjong .. symbols & pictographs extended-A (emoji proper)
    "\U0001fb00-\U0001fbff"  # legacy computing symbols
    "\u2600-\u27bf"  # miscellaneous symbols, dingbats (sun, check marks, hearts)
    "\u2b00-\u2bff"  # arrows and stars (⭐)
    "\u2190-\u21ff"  # arrows
    "\u2300-\u23ff"  # technical (⌚ ⏰)
    "\u25a0-\u25ff"  # geometric shapes
    "\u2900-\u297f"
    "\u3030\u303d\u3297\u3299"
    "\u00a9\u00ae\u203c\u2049\u2122\u2139"
    "\ufe0e\ufe0f\u200d\u20e3"  # variation selectors, ZWJ, keycap
    "\U000e0020-\U000e007f"  # tag characters (flag sequences)
    "]+"
)


def clean(text: str | None, *, field: str = "text", multiline: bool = True) -> str:
    """NFC, invisible format characters dropped, control characters refused, outer space trimmed."""
    if text is None:
        return ""
    for old, new in _LINE_BREAKS.items():
        text = text.replace(old, new)
    text = unicodedata.normalize("NFC", text)
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category == "Cc" and char not in _ALLOWED_CONTROLS:
            name = "NUL" if char == "\x00" else f"U+{ord(char):04X}"
            raise ValidationError(
                f"The {field} contains an invisible control character ({name}). Remove it (retype the text "
                "rather than pasting it) and try again.",
                details={"field": field, "character": name},
            )
        if category == "Cf" and char not in _JOINERS:
            continue  # zero-width space, soft hyphen, BOM, bidi controls: nothing a reader sees
        if not multiline and char in _ALLOWED_CONTROLS:
            char = " "
        kept.append(char)
    return "".join(kept).strip()


def required(text: str | None, *, field: str, message: str, multiline: bool = True) -> str:
    """`clean`, and refuse text that is empty once cleaned (only spaces or invisible characters)."""
    cleaned = clean(text, field=field, multiline=multiline)
    if not cleaned:
        raise ValidationError(message, details={"field": field})
    return cleaned


def for_matching(text: str) -> str:
    """What the content guard compares: every format character gone, joiners too, then NFKC."""
    dropped = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return unicodedata.normalize("NFKC", dropped)


def speakable(text: str) -> str:
    """The words to speak and count: emoji and pictographs removed, spaces collapsed per line."""
    without = _PICTOGRAPH.sub(" ", text)
    lines = (" ".join(line.split()) for line in without.split("\n"))
    return "\n".join(line for line in lines if line)


def word_count(text: str) -> int:
    """Spoken words: emoji are not words."""
    return len(speakable(text).split())
