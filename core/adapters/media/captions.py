"""Burned-in captions: timing from the voice lines, layout inside the platform's safe area,
and the escaping that keeps a creator's words from ever changing the filter graph.

Caption text never enters the graph: each caption is written to its own text file, read
by `drawtext` through `textfile=` with `expansion=none` (so `%{...}` is not expanded).
Only our own values go into the graph (file names, numbers), and even those pass through
`filter_value`, which applies FFmpeg's two escaping levels (option value, then graph).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from core.domain.ads import Caption, Platform
from core.domain.text import speakable

logger = logging.getLogger(__name__)

FONT = Path(__file__).resolve().parents[3] / "seeds" / "fonts" / "DejaVuSans-Bold.ttf"
MAX_WORDS_PER_CAPTION = 5
MAX_CAPTION_CHARS = 120
NO_GLYPHS_FROM = 0x1F000  # emoji and pictographs: not in DejaVu Sans
# Han, kana, Hangul, CJK punctuation and full-width forms: drawn with Noto Sans CJK.
CJK_RANGES = (
    (0x1100, 0x11FF),
    (0x2E80, 0x2FDF),
    (0x3000, 0x30FF),
    (0x3130, 0x318F),
    (0x31F0, 0x31FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0xFF00, 0xFFEF),
    (0x20000, 0x2FA1F),
)
# Share of the frame kept clear of platform UI, (top, bottom, left, right), for 9:16.
SAFE_MARGINS = {
    Platform.TIKTOK: (0.08, 0.20, 0.06, 0.12),
    Platform.REELS: (0.11, 0.22, 0.06, 0.08),
    Platform.SHORTS: (0.10, 0.20, 0.06, 0.12),
}
OTHER_ASPECT_MARGINS = (0.06, 0.10, 0.06, 0.06)


def filter_value(value: str) -> str:
    """Escape a value for one filter option, then for the filter graph (ffmpeg-utils "Quoting and escaping")."""
    option = value.replace("\\", "\\\\").replace("'", "\\'").replace(":", "\\:")
    out = []
    for char in option:
        out.append("\\" + char if char in "\\'[],;" else char)
    return "".join(out)


def clean_text(text: str) -> str:
    """Printable characters only, whitespace collapsed, capped. Quotes, colons, braces,
    brackets, backslashes and % are shown as typed; emoji and pictographs are dropped, as
    they are from the voice (`speakable`): what is shown is what is said."""
    spaced = "".join(" " if c.isspace() else c for c in unicodedata.normalize("NFC", speakable(text)))
    kept = "".join(
        c
        for c in spaced
        if (unicodedata.category(c)[0] != "C" or c == " ") and ord(c) < NO_GLYPHS_FROM and c != "\ufe0f"
    )
    return " ".join(kept.split())[:MAX_CAPTION_CHARS]


@dataclass(frozen=True, slots=True)
class Rect:
    x: int
    y: int
    w: int
    h: int

    def intersects(self, other: Rect) -> bool:
        return (
            self.x < other.x + other.w and other.x < self.x + self.w and self.y < other.y + other.h
            and other.y < self.y + self.h
        )  # fmt: skip

    def contains(self, other: Rect) -> bool:
        return (
            other.x >= self.x
            and other.y >= self.y
            and other.x + other.w <= self.x + self.w
            and (other.y + other.h <= self.y + self.h)
        )


def safe_area(platform: Platform, width: int, height: int) -> Rect:
    top, bottom, left, right = SAFE_MARGINS[platform] if height > width else OTHER_ASPECT_MARGINS
    x0, y0 = round(width * left), round(height * top)
    return Rect(x0, y0, width - x0 - round(width * right), height - y0 - round(height * bottom))


def chunk_line(text: str, start_s: float, duration_s: float) -> list[Caption]:
    """Split one voice line into short captions timed by their share of the characters."""
    words = clean_text(text).split()
    if not words or duration_s <= 0:
        return []
    groups = [words[i : i + MAX_WORDS_PER_CAPTION] for i in range(0, len(words), MAX_WORDS_PER_CAPTION)]
    weights = [sum(len(w) + 1 for w in g) for g in groups]
    total, t = float(sum(weights)), start_s
    captions = []
    for group, weight in zip(groups, weights, strict=True):
        length = duration_s * weight / total
        captions.append(Caption(round(t, 3), round(t + length, 3), " ".join(group)))
        t += length
    return captions


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in CJK_RANGES)


@lru_cache(maxsize=1)
def _cjk_font() -> Path | None:
    """Noto Sans CJK Bold, shipped by a PyPI package (Latin, Chinese, Japanese and Korean glyphs)."""
    try:
        from importlib.resources import files

        path = Path(str(files("cvttf_NotoSansCJK_Bold") / "NotoSansCJKtc-Bold.otf"))
    except ModuleNotFoundError:
        return None
    return path if path.is_file() else None


def font_for(text: str) -> Path:
    """The one place that picks the caption font: DejaVu Sans for Latin, Greek and Cyrillic, Noto
    Sans CJK when the caption has CJK characters (DejaVu has no glyphs for them: empty boxes)."""
    if any(_is_cjk(c) for c in text):
        cjk = _cjk_font()
        if cjk is not None:
            return cjk
        logger.warning("captions: CJK text but the Noto Sans CJK package is missing; glyphs will be boxes")
    return FONT


@lru_cache(maxsize=32)
def _font(size: int, path: Path = FONT) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def font_size_for(width: int) -> int:
    return max(10, round(width * 0.056))


def wrap(text: str, size: int, max_width: int) -> list[str]:
    """Greedy word wrap by the font's real advance widths; a word wider than the line is split."""
    font = _font(size, font_for(text))
    lines: list[str] = []
    current = ""
    for word in text.split():
        while font.getlength(word) > max_width and len(word) > 1:
            cut = max(1, next((i for i in range(len(word), 0, -1) if font.getlength(word[:i]) <= max_width), 1))
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{current} {word}".strip()
        if font.getlength(candidate) <= max_width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


@dataclass(frozen=True, slots=True)
class PlacedCaption:
    caption: Caption
    lines: tuple[str, ...]
    box: Rect
    font_size: int
    line_spacing: int


def place(
    captions: list[Caption],
    platform: Platform,
    width: int,
    height: int,
    keep_clear: list[list[Rect]] | None = None,
) -> list[PlacedCaption]:
    """Each caption wrapped to the safe area's width, centred, on the safe area's bottom edge,
    or, if that would cover something in `keep_clear[i]` (the face and the product of the
    scene caption i is shown over), at the lowest height in the safe area that covers nothing."""
    safe = safe_area(platform, width, height)
    size = font_size_for(width)
    spacing = round(size * 0.25)
    font = _font(size)
    ascent, descent = font.getmetrics()
    placed = []
    for index, caption in enumerate(captions):
        clear = keep_clear[index] if keep_clear and index < len(keep_clear) else []
        options = []
        for share in (1.0, 0.6):  # full width first; narrower (more lines) to fit beside a face or product
            lines = tuple(wrap(caption.text, size, round((safe.w - 2 * round(size * 0.4)) * share)))
            text_w = max(round(font.getlength(line)) for line in lines)
            text_h = len(lines) * (ascent + descent) + (len(lines) - 1) * spacing
            pad = round(size * 0.25)
            left = safe.x + (safe.w - text_w) // 2 - pad  # centred in the safe area (its margins are uneven)
            box, covering = _clear_spot(Rect(left, 0, text_w + 2 * pad, text_h + 2 * pad), safe, clear)
            options.append((covering, share != 1.0, lines, box))
            if covering == 0:
                break
        _, _, lines, box = min(options, key=lambda o: (o[0], o[1]))
        placed.append(PlacedCaption(caption, lines, box, size, spacing))
    return placed


def _clear_spot(box: Rect, safe: Rect, clear: list[Rect]) -> tuple[Rect, int]:
    """The lowest position inside the safe area that covers none of `clear` (else the least covering):
    centred, else slid to the safe area's left or right edge, at each height from the bottom up."""
    bottom = safe.y + safe.h - box.h
    step = max(4, safe.h // 40)
    xs = [box.x] + [x for x in (safe.x, safe.x + safe.w - box.w) if x != box.x and x >= safe.x]
    heights = list(range(bottom, safe.y - 1, -step)) or [bottom]
    candidates = [Rect(x, y, box.w, box.h) for y in heights for x in xs]

    def covered(r: Rect) -> int:
        return sum(
            max(0, min(r.x + r.w, c.x + c.w) - max(r.x, c.x)) * max(0, min(r.y + r.h, c.y + c.h) - max(r.y, c.y))
            for c in clear
        )

    free = next((r for r in candidates if covered(r) == 0), None)
    best = free if free is not None else min(candidates, key=covered)
    return best, covered(best)


def safe_file_stem(index: int) -> str:
    """Generated names only: nothing a creator typed ends up in a path."""
    return f"caption{index:04d}"


_EXPR_OK = re.compile(r"^[0-9a-z_().,+\-*/ ]+$")


def between(start_s: float, end_s: float) -> str:
    expression = f"between(t,{start_s:.3f},{end_s:.3f})"
    assert _EXPR_OK.match(expression)
    return expression
