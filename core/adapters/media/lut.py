"""Colour grading LUTs: a `.cube` file (Adobe / Resolve 3D LUT) parsed and checked in Python.

FFmpeg's `lut3d` never reads an uploaded file: the upload is parsed here (size cap, one
`LUT_3D_SIZE`, exactly size^3 rows of three finite numbers inside the domain), kept as
numbers, and a `.cube` of our own writing is what the filter graph names at render time.
Anything else (1D LUTs, text in the rows, NaN, a wrong row count) is refused with a
message a person can act on, and nothing is stored.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import ValidationError

MAX_LUT_BYTES = 16 * 1024 * 1024  # a 65-point .cube is about 8 MB of text
MAX_LUT_SIZE = 65  # points per axis; lut3d's own limit is 256, but nobody grades with more than 65
MIN_LUT_SIZE = 2
_SLACK = 1e-3  # values a hair outside the domain (rounding in the exporter) are accepted and clamped


@dataclass(frozen=True, slots=True)
class Lut3d:
    size: int
    table: np.ndarray  # (size**3, 3) float32, red fastest (the .cube order), within 0..1 after domain scaling

    def to_json(self) -> bytes:
        """What we store: the numbers only (float32, base64), never the uploaded text."""
        raw = base64.b64encode(np.ascontiguousarray(self.table, dtype="<f4").tobytes()).decode("ascii")
        return json.dumps({"format": "lut3d/v1", "size": self.size, "table": raw}).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Lut3d:
        """A stored LUT, checked again (storage is outside this process)."""
        try:
            doc = json.loads(data)
            size = int(doc["size"])
            table = np.frombuffer(base64.b64decode(doc["table"], validate=True), dtype="<f4")
        except (ValueError, KeyError, TypeError) as exc:
            raise ValidationError("The stored colour LUT is damaged; upload it again.") from exc
        if doc.get("format") != "lut3d/v1" or not MIN_LUT_SIZE <= size <= MAX_LUT_SIZE or table.size != 3 * size**3:
            raise ValidationError("The stored colour LUT is damaged; upload it again.")
        table = table.reshape(-1, 3).astype(np.float32)
        if not np.isfinite(table).all() or table.min() < 0 or table.max() > 1:
            raise ValidationError("The stored colour LUT is damaged; upload it again.")
        return cls(size, table)

    def write_cube(self, path: Path) -> Path:
        """A `.cube` of our own writing (no title, no comments, default domain) for `lut3d`."""
        lines = [f"LUT_3D_SIZE {self.size}"]
        lines += [f"{r:.6f} {g:.6f} {b:.6f}" for r, g, b in self.table.tolist()]
        path.write_text("\n".join(lines) + "\n", encoding="ascii")
        return path


def _numbers(words: list[str], line_no: int, what: str) -> list[float]:
    try:
        values = [float(w) for w in words]
    except ValueError:
        raise ValidationError(f"Line {line_no} of the LUT is not {what}.") from None
    if not all(math.isfinite(v) for v in values):
        raise ValidationError(f"Line {line_no} of the LUT has a value that is not a number (NaN or infinity).")
    return values


def _is_number(word: str) -> bool:
    try:
        float(word)  # "nan" and "inf" count: the row is then refused as not a number
    except ValueError:
        return False
    return True


def _text(data: bytes, max_bytes: int) -> str:
    if len(data) > max_bytes:
        raise ValidationError(f"That LUT is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB.")
    if not data.strip():
        raise ValidationError("That LUT file is empty.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("That file is not a .cube LUT (it is not text).") from None


def parse_cube(data: bytes, *, max_bytes: int = MAX_LUT_BYTES, max_size: int = MAX_LUT_SIZE) -> Lut3d:
    """The LUT in a `.cube` file, or a `ValidationError` saying what is wrong with it."""
    text = _text(data, max_bytes)
    size: int | None = None
    low, high = [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]
    rows: list[str] = []
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        key = words[0].upper()
        if key == "TITLE":
            continue
        if key == "LUT_1D_SIZE":
            raise ValidationError("That is a 1D LUT; colour grading needs a 3D LUT (LUT_3D_SIZE).")
        if key == "LUT_3D_SIZE":
            if size is not None or rows:
                raise ValidationError(f"Line {line_no} of the LUT sets LUT_3D_SIZE a second time or too late.")
            if len(words) != 2 or not words[1].isdigit():
                raise ValidationError(f"Line {line_no} of the LUT has an unreadable LUT_3D_SIZE.")
            size = int(words[1])
            if not MIN_LUT_SIZE <= size <= max_size:
                raise ValidationError(f"LUT_3D_SIZE {size} is not supported: use {MIN_LUT_SIZE} to {max_size}.")
            continue
        if key in ("DOMAIN_MIN", "DOMAIN_MAX"):
            if len(words) != 4:
                raise ValidationError(f"Line {line_no} of the LUT needs three numbers after {key}.")
            (low if key == "DOMAIN_MIN" else high)[:] = _numbers(words[1:], line_no, f"a {key}")
            continue
        if key == "LUT_3D_INPUT_RANGE":  # Resolve's spelling of one domain for all three channels
            if len(words) != 3:
                raise ValidationError(f"Line {line_no} of the LUT needs two numbers after {key}.")
            lo, hi = _numbers(words[1:], line_no, f"a {key}")
            low[:], high[:] = [lo] * 3, [hi] * 3
            continue
        if not _is_number(words[0]):
            raise ValidationError(f"Line {line_no} of the LUT has a keyword we do not read ({words[0][:20]}).")
        rows.append(line)
    return _table(rows, size, low, high)


def _table(rows: list[str], size: int | None, low: list[float], high: list[float]) -> Lut3d:
    if size is None:
        raise ValidationError("That file has no LUT_3D_SIZE line; it is not a 3D .cube LUT.")
    if any(h <= lo for lo, h in zip(low, high, strict=True)):
        raise ValidationError("The LUT's DOMAIN_MAX must be above its DOMAIN_MIN.")
    expected = size**3
    if len(rows) != expected:
        raise ValidationError(f"A {size}-point LUT needs {expected} colour rows; this file has {len(rows)}.")
    table = np.empty((expected, 3), np.float64)
    for index, row in enumerate(rows):
        words = row.split()
        if len(words) != 3:
            raise ValidationError(f"Colour row {index + 1} of the LUT needs three numbers; it has {len(words)}.")
        table[index] = _numbers(words, index + 1, "three numbers")
    lo, hi = np.array(low), np.array(high)
    if (table < lo - _SLACK).any() or (table > hi + _SLACK).any():
        raise ValidationError("The LUT has colours outside its domain (0 to 1 unless DOMAIN_MIN/MAX say otherwise).")
    scaled = np.clip((table - lo) / (hi - lo), 0.0, 1.0)
    return Lut3d(size, scaled.astype(np.float32))
